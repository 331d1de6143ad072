"""Commands on different services run in parallel; one slow guard call holds up only its
own service. The guard is the OPA-server adapter against a local OPA REST server that
holds the decision for svc-order until the test lets it go."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.app import build
from bot.core.events import ChangeOpened, Event
from bot.core.types import Command
from bot.settings import Settings
from tests.support.opa_rest import running


def test_a_held_guard_call_on_one_service_does_not_delay_another(tmp_path: Path) -> None:
    with running() as (opa, url):
        app = build(Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home"),
                                       "GOVBOT_GUARD": "opa", "GOVBOT_OPA_URL": url}))
        try:
            release = threading.Event()
            opa.held["svc-order"] = release
            first: list[Event] = []
            slow = threading.Thread(target=lambda: first.extend(app.workflow.handle(
                Command("console", "alice", "console", "/canary svc-order 20%"))))
            slow.start()
            assert opa.arrived.wait(timeout=30), "the svc-order decision never reached OPA"

            other = app.workflow.handle(Command("console", "alice", "console",
                                                "/canary svc-pay 20%"))
            assert [type(e) for e in other] == [ChangeOpened], other
            assert slow.is_alive() and not first  # svc-order is still waiting on its guard

            release.set()
            slow.join(timeout=60)
            assert [type(e) for e in first] == [ChangeOpened], first
            assert {c.service for c in app.store.changes("open")} == {"svc-order", "svc-pay"}
            assert app.store.get(1).service == "svc-pay"  # it got its id while svc-order waited
        finally:
            opa.held.clear()
            app.close()


def test_a_second_command_on_a_held_service_names_the_holder(tmp_path: Path) -> None:
    app = build(Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home")}))
    try:
        app.workflow.handle(Command("console", "alice", "console", "/canary svc-order 20%"))
        refused = app.workflow.handle(Command("console", "bob", "console",
                                              "/ratelimit svc-order 100/1s"))
        assert not refused[0].ok and "#1 by alice" in refused[0].text
    finally:
        app.close()
