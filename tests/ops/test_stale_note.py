"""The note a stale change closes with names a command the person can type again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import commands
from bot.change import Change
from bot.core.types import Decision
from bot.runners.reminding import stale_note
from policies.intents import Canary

AT = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def change(action: str, service: str) -> Change:
    return Change(1, "prod", "demo", service, f"services/prod/demo/{service}.yaml", action,
                  "summary", "alice", "open", f"change/1-{service}", "a" * 40, "b" * 40,
                  "c" * 64, "", Canary(service, "set", 10), Decision(True), AT, AT)


@pytest.mark.parametrize(("action", "service", "command"), [
    ("canary", "svc-user", "/canary svc-user"),
    ("rollback", "svc-user", "/rollback"),
    ("template-save", "templates/resilient", "/template save"),
    ("template", "svc-pay", "/template apply"),
    ("deploy", "redis", "/deploy redis"),
])
def test_the_note_names_a_command_that_parses(action: str, service: str,
                                              command: str) -> None:
    note = stale_note(change(action, service), timedelta(days=7))
    again = note.split("ask again with ", 1)[1]
    assert again.startswith(command)
    # the command word is one the registry knows
    assert commands.lookup(again.split()[0].lstrip("/")) is not None
