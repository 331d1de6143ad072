"""How govbot logs: readable lines or one JSON object per line, never a secret in clear.

`configure(log_format, secrets)` is called once by the command line (`bot/cli.py`) when
the settings are read. It puts one handler on the root logger, writing to stderr:

    text   2026-12-02T11:38:28Z INFO govbot.changes: merged #12 (change 12)
    json   {"time": "2026-12-02T11:38:28.123Z", "level": "INFO", "logger": "govbot.changes",
            "message": "merged #12", "change": 12}

A line logged while govbot works on a change carries the change's id (`change`): the
runners mark it with `about_change` (under a change's lease) or `working_on` (once an
opened change has its id), in a context variable that follows the work through the
thread that runs it. Every handler of the root logger, also one a library or a test put
there, passes its records through `bot.core.redact.RedactingFilter`, the one redaction
govbot has. Lines at WARNING and above are counted in `govbot_log_messages_total`.
`transition` writes the one INFO line per step of a change's life (opened, approved,
merged, applied, rejected) on the `govbot.changes` logger, where the store records the
step and where the merge is applied, so an operator follows a change with one filter.

Example:
    logs.configure(settings.serve.log_format, settings.secrets(), level=logging.INFO)
    with logs.about_change(12):
        log.info("merging")        # carries change 12
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ParamSpec, TypeVar

from bot import metrics
from bot.core.redact import RedactingFilter

T = TypeVar("T")
P = ParamSpec("P")
FORMATS = ("text", "json")
_transitions = logging.getLogger("govbot.changes")

_change: contextvars.ContextVar[int | None] = contextvars.ContextVar("govbot_change",
                                                                     default=None)


def working_on(change_id: int) -> None:
    """Mark the rest of the current work as about `change_id` (its caller runs in its own
    context, `isolated`, so the mark ends with the work)."""
    _change.set(change_id)


@contextlib.contextmanager
def about_change(change_id: int) -> Iterator[None]:
    """Lines logged inside the block carry `change_id`; the mark before comes back after."""
    token = _change.set(change_id)
    try:
        yield
    finally:
        _change.reset(token)


def transition(change_id: int, message: str, *args: object) -> None:
    """One INFO line on `govbot.changes` about a step of change `change_id`'s life; it
    carries the change's id whatever the thread was marked with."""
    with about_change(change_id):
        _transitions.info(message, *args)


def current_change() -> int | None:
    return _change.get()


def isolated(work: Callable[..., T], *args: Any) -> T:
    """Run `work` in a copy of the current context, so a change it marks does not stay
    on the thread for the next command or job that thread runs."""
    return contextvars.copy_context().run(work, *args)


def scoped(method: Callable[P, T]) -> Callable[P, T]:
    """`method` always runs `isolated`: a change it marks for its log lines ends with it,
    whichever thread calls it (a scheduler job, a served request, a test)."""

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return contextvars.copy_context().run(method, *args, **kwargs)

    return run


class _ChangeFilter(logging.Filter):
    """Puts the change being worked on (or None) on each record as `change`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.change = _change.get()
        return True


class _Counted(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            metrics.LOG_MESSAGES.labels(level=record.levelname.lower()).inc()
        return True


class TextFormatter(logging.Formatter):
    """`<UTC time> LEVEL logger: message (change N)`, then the traceback when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        change = getattr(record, "change", None)
        return line if change is None else f"{line} (change {change})"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message; `exception` (the traceback)
    when there is one and `change` while a change is worked on."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        change = getattr(record, "change", None)
        if change is not None:
            entry["change"] = change
        return json.dumps(entry, ensure_ascii=False)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `configure` installs: told apart from handlers others put on the root,
    and writing to the stderr of the moment (a test runner swaps it and closes the old)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def configure(log_format: str, secrets: Sequence[str], level: int = logging.INFO) -> None:
    """Log to stderr in `log_format` (text | json) at `level`, every record redacted of
    `secrets`. Called again, it replaces its own handler and leaves others in place (each
    gets the redaction too)."""
    if log_format not in FORMATS:
        raise ValueError(f"log format {log_format!r}: expected one of {', '.join(FORMATS)}")
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
        old.close()
    handler = _Handler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(_Counted())
    root.addHandler(handler)
    root.setLevel(level)
    redacting = RedactingFilter(secrets)
    marking = _ChangeFilter()
    for each in root.handlers:
        for old_filter in [f for f in each.filters
                           if isinstance(f, RedactingFilter | _ChangeFilter)]:
            each.removeFilter(old_filter)
        # redaction first: the other filters and the formatter see only masked text
        each.filters.insert(0, marking)
        each.filters.insert(0, redacting)
