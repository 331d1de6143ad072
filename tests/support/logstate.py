"""Logging as it was: tests that configure govbot's logging put the root logger back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def logging_kept() -> Iterator[None]:
    """On leaving, the root logger has the handlers, their filters and the level it had
    on entering; handlers added inside are removed."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    filters = {handler: list(handler.filters) for handler in handlers}
    level = root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for handler, kept in filters.items():
            handler.filters[:] = kept
        root.setLevel(level)
