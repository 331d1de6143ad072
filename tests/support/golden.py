"""Golden files: rendered chat output compared with a reviewed copy under version control.

`check(folder, name, text)` fails with a unified diff when `text` differs from the file,
and when the file is missing. With `GOVBOT_UPDATE_GOLDEN=1` it writes the file instead and
passes; review the change with `git diff` before committing it.

Example:
    GOVBOT_UPDATE_GOLDEN=1 python -m pytest tests/chat/test_golden.py   # rewrite
    python -m pytest tests/chat/test_golden.py                          # compare
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

UPDATE = "GOVBOT_UPDATE_GOLDEN"


class GoldenMismatch(AssertionError):
    """The rendered text is not the reviewed one."""


def as_json(value: Any) -> str:
    """Stable JSON for a golden file: sorted keys, real Unicode, a final newline."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def check(folder: Path, name: str, text: str, *, update: bool | None = None) -> None:
    path = folder / name
    if update if update is not None else os.environ.get(UPDATE) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.is_file():
        raise GoldenMismatch(f"{path} is missing; run with {UPDATE}=1 to write it")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(keepends=True),
                                            text.splitlines(keepends=True),
                                            f"{name} (golden)", f"{name} (rendered)"))
        raise GoldenMismatch(f"{path} differs from what was rendered; if the change is "
                             f"intended, run with {UPDATE}=1 and review the diff:\n{diff}")
