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
