"""An Alertmanager alert for a namespace reaches the channels bound to it, and its
resolution updates the same message (the receiver's parsing → the funnel)."""

from __future__ import annotations

import json

from bot.core.events import EventsReported
from bot.sources.alertmanager import environment_of, parse, placed
from tests.conftest import Govbot


def payload(status: str) -> bytes:
    alert = {"status": status, "fingerprint": "ae682e21ce322118",
             "labels": {"alertname": "HighErrors", "namespace": "demo",
                        "destination_service_name": "svc-user", "severity": "critical"},
             "annotations": {"summary": "5xx above 5% on svc-user"},
             "startsAt": "2026-11-27T09:58:00Z",
             "endsAt": "2026-11-27T10:00:00Z" if status == "resolved"
             else "0001-01-01T00:00:00Z"}
    return json.dumps({"version": "4", "status": status, "receiver": "govbot",
                       "groupKey": "{}:{}", "alerts": [alert]}).encode()


def told(govbot: Govbot, status: str) -> list[EventsReported]:
    context = govbot.app.workflow.context
    environments = context.config(context.main()).environments()
    events = placed(parse(payload(status)), lambda ns: environment_of(environments, ns))
    return [r for r in govbot.app.workflow.ingest(events) if isinstance(r, EventsReported)]


def test_an_alert_for_demo_reaches_the_demo_channel_and_its_resolution_updates_it(
        govbot: Govbot) -> None:
    firing = told(govbot, "firing")
    # demo is in dev and prod: an alert naming only the namespace goes to both bindings
    slack = [r for r in firing if (r.platform, r.channel) == ("slack", "C0123")]
    assert len(slack) == 1 and "5xx above 5% on svc-user" in slack[0].text
    assert not slack[0].resolved
    resolved = [r for r in told(govbot, "resolved")
                if (r.platform, r.channel) == ("slack", "C0123")]
    assert len(resolved) == 1 and resolved[0].key == slack[0].key and resolved[0].resolved


def test_an_event_the_store_could_never_keep_does_not_block_the_ones_after(
        govbot: Govbot) -> None:
    from datetime import UTC, datetime

    from bot.core.events import GovernanceEvent
    from bot.store.audit import EventQuery

    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    poison = GovernanceEvent("alert", "prod", "demo" * 40, "svc-user\nx", at,
                             code=10**20, count=10**12, title="two\nlines")
    good = GovernanceEvent("alert", "prod", "demo", "svc-user", at, title="after")
    govbot.app.workflow.ingest([poison])
    govbot.app.workflow.ingest([good])
    stored, total = govbot.app.store.events.find(EventQuery(limit=10))
    assert total == 2
    assert {e.title for e in stored} == {"two lines", "after"}
    kept = next(e for e in stored if e.title == "two lines")
    assert kept.code is None and len(kept.namespace) == 63 and kept.count == 2**31 - 1


def test_a_body_nested_too_deeply_or_with_odd_digits_is_a_payload_error() -> None:
    import pytest

    from bot.sources.alertmanager import PayloadError

    with pytest.raises(PayloadError):
        parse(b"[" * 100_000)
    body = json.loads(payload("firing"))
    body["alerts"][0]["labels"]["response_code"] = "\u00b2"
    [event] = parse(json.dumps(body).encode())
    assert event.code is None


def test_a_blank_alertmanager_token_is_refused_at_start_up() -> None:
    import pytest

    from bot.core.errors import ConfigError
    from bot.settings import Settings

    with pytest.raises(ConfigError, match="GOVBOT_ALERTMANAGER_TOKEN"):
        Settings.from_env({"GOVBOT_HOME": "/tmp/unused", "GOVBOT_ALERTMANAGER_TOKEN": "  \n"})
    settings = Settings.from_env({"GOVBOT_HOME": "/tmp/unused",
                                  "GOVBOT_ALERTMANAGER_TOKEN": "s3cret\n"})
    assert settings.alertmanager_token == "s3cret"
