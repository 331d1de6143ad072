"""Log lines as an operator reads them: one JSON object per line with the change's id on
every line about a change, or readable text lines with a UTC timestamp."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from bot import logs
from bot.chat.slack.post import ChannelQueues
from bot.core.redact import RedactingFilter
from tests.conftest import Govbot
from tests.support.logstate import logging_kept


@pytest.fixture
def restored() -> Iterator[None]:
    """Logging as it was before the test: handlers, their filters and the level."""
    with logging_kept():
        yield


def _failing_apply(govbot: Govbot) -> None:
    """The directory target cannot write: a file stands where its folder goes, so the
    merge of a change logs why its apply is pending."""
    rendered = govbot.home / "rendered"
    if rendered.exists():
        rendered.rename(govbot.home / "rendered-before")
    rendered.write_text("not a folder\n")


def _json_lines(err: str) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert all(isinstance(entry, dict) for entry in parsed)
    return parsed


def test_json_lines_parse_and_carry_the_change_id(govbot: Govbot, restored: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    govbot.seed("svc-user")
    logs.configure("json", [], level=logging.INFO)
    capsys.readouterr()
    assert govbot.one("/canary svc-user 20%").ok
    _failing_apply(govbot)
    govbot.say("/approve 1", user="bob")
    logging.getLogger("govbot.test").warning("after the command")
    entries = _json_lines(capsys.readouterr().err)

    assert entries, "the failed apply is logged"
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= set(entry), entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry["time"])
    # what the merge of #1 logged about the documents it applied: the target cannot take
    # the first one it writes (other threads may log meanwhile)
    about = [e for e in entries if "services/dev/demo/" in e["message"]]
    assert about and all(e.get("change") == 1 for e in about), about
    last = entries[-1]
    assert last["message"] == "after the command" and "change" not in last


def test_an_exception_is_one_json_line_with_its_traceback(restored: None,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    logs.configure("json", [], level=logging.INFO)
    capsys.readouterr()
    with logs.about_change(7):
        try:
            raise ValueError("the reason\non two lines")
        except ValueError:
            logging.getLogger("govbot.test").exception("merging #%d", 7)
    (entry,) = _json_lines(capsys.readouterr().err)
    assert entry["message"] == "merging #7" and entry["level"] == "ERROR"
    assert entry["change"] == 7
    assert "ValueError: the reason" in entry["exception"] and "Traceback" in entry["exception"]


def test_text_lines_have_a_utc_time_and_name_the_change(restored: None,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    logs.configure("text", [], level=logging.INFO)
    capsys.readouterr()
    log = logging.getLogger("govbot.test")
    log.info("before")
    with logs.about_change(12):
        log.warning("during")
    lines = capsys.readouterr().err.splitlines()
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    assert re.fullmatch(rf"{stamp} INFO govbot\.test: before", lines[0]), lines
    assert re.fullmatch(rf"{stamp} WARNING govbot\.test: during \(change 12\)", lines[1]), lines


def test_configuring_again_keeps_one_handler_and_one_redaction(restored: None) -> None:
    logs.configure("text", ["first-secret"])
    logs.configure("json", ["second-secret"])
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, logging.StreamHandler)
            and type(h).__module__ == "bot.logs"]
    assert len(ours) == 1
    for handler in root.handlers:
        assert len([f for f in handler.filters if isinstance(f, RedactingFilter)]) == 1


def test_an_unknown_format_is_refused(restored: None) -> None:
    with pytest.raises(ValueError, match="text, json"):
        logs.configure("yaml", [])


def test_a_change_can_be_followed_through_its_lines(govbot: Govbot, restored: None,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    govbot.seed("svc-user")
    logs.configure("json", [], level=logging.INFO)
    capsys.readouterr()
    assert govbot.one("/canary svc-user 20%").ok
    govbot.say("/approve 1", user="bob")
    steps = [e for e in _json_lines(capsys.readouterr().err)
             if e["logger"] == "govbot.changes"]
    assert [e["message"].split(" #")[0] for e in steps] == [
        "opened", "approved", "merged", "applied"], steps
    assert all(e["change"] == 1 and e["level"] == "INFO" for e in steps), steps
    assert "#1 for svc-user by alice" in steps[0]["message"]


def test_a_channels_posting_thread_keeps_the_change_it_posts_about() -> None:
    queues = ChannelQueues(interval=0.0)
    seen: list[int | None] = []
    try:
        with logs.about_change(5):
            queues.put("C0123", lambda: seen.append(logs.current_change()))
        queues.put("C0123", lambda: seen.append(logs.current_change()))
        assert queues.backlog.wait(timeout=30)
    finally:
        queues.close()
    assert seen == [5, None]
