"""The Alertmanager receiver: a real Alertmanager delivers to govbot's `/alerts` with its
bearer token; firing and resolved alerts become governance events with one key; a missing
or wrong token and a malformed body change nothing."""

from __future__ import annotations

import doctest
import json
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.events import GovernanceEvent
from bot.server import alert_events, make_server
from bot.sources import alertmanager
from bot.sources.alertmanager import PayloadError, environment_of, parse, placed
from tests.support.alertmanager import Alertmanager

TOKEN = "am-token-3f9a"
ENVIRONMENTS = {"dev": {"namespaces": {"demo": {"maxReplicas": 20}}},
                "prod": {"namespaces": {"shop": {}}}}
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@dataclass
class Receiver:
    """govbot's `/alerts` on a local server, with what it handed to the funnel."""

    url: str
    events: queue.Queue[GovernanceEvent] = field(default_factory=queue.Queue)
    deliveries: list[Sequence[GovernanceEvent]] = field(default_factory=list)

    def next(self, timeout: float = 20.0) -> GovernanceEvent:
        return self.events.get(timeout=timeout)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver("")

    def handle(events: Sequence[GovernanceEvent]) -> None:
        found.deliveries.append(events)
        for event in placed(events, lambda ns: environment_of(ENVIRONMENTS, ns)):
            found.events.put(event)

    server = make_server("127.0.0.1", 0, {"/alerts": alert_events(TOKEN, parse, handle)})
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    found.url = f"http://127.0.0.1:{server.server_port}/alerts"
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()


def send(url: str, body: bytes, authorization: str | None) -> tuple[int, dict[str, object]]:
    headers = {"Content-Type": "application/json"}
    if authorization is not None:
        headers["Authorization"] = authorization
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def webhook(*alerts: dict[str, object]) -> bytes:
    return json.dumps({"version": "4", "status": "firing", "receiver": "govbot",
                       "groupKey": '{}:{alertname="HighErrors"}',
                       "alerts": list(alerts)}).encode()


FIRING = {"status": "firing", "fingerprint": "ae682e21ce322118",
          "labels": {"alertname": "HighErrors", "namespace": "demo",
                     "destination_service_name": "svc-user", "severity": "critical"},
          "annotations": {"summary": "5xx above 5% on svc-user"},
          "startsAt": "2026-11-27T10:00:00.5Z", "endsAt": "0001-01-01T00:00:00Z"}


def test_a_real_alertmanager_delivers_firing_then_resolved_with_one_key(
        receiver: Receiver, tmp_path: Path) -> None:
    labels = {"alertname": "HighErrors", "namespace": "demo",
              "destination_service_name": "svc-user", "severity": "critical"}
    annotations = {"summary": "5xx above 5% on svc-user"}
    started = datetime.now(UTC) - timedelta(minutes=1)
    with Alertmanager(tmp_path, receiver.url, TOKEN) as manager:
        manager.post([{"labels": labels, "annotations": annotations,
                       "startsAt": started.isoformat()}])
        firing = receiver.next()
        assert (firing.kind, firing.env, firing.namespace, firing.service) == (
            "alert", "dev", "demo", "svc-user")
        assert (firing.severity, firing.title, firing.resolved) == (
            "critical", "5xx above 5% on svc-user", False)
        assert firing.key and abs(firing.at - started) < timedelta(seconds=1)

        ended = datetime.now(UTC) - timedelta(seconds=1)
        manager.post([{"labels": labels, "annotations": annotations,
                       "startsAt": started.isoformat(), "endsAt": ended.isoformat()}])
        resolved = receiver.next()
        while not resolved.resolved:  # a repeat of the firing may arrive first
            resolved = receiver.next()
        assert (resolved.key, resolved.namespace, resolved.service) == (
            firing.key, "demo", "svc-user")
        assert abs(resolved.at - ended) < timedelta(seconds=1)


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer wrong-token",
                                           f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_missing_or_wrong_token_is_401_and_nothing_is_ingested(
        receiver: Receiver, authorization: str | None) -> None:
    status, body = send(receiver.url, webhook(FIRING), authorization)
    assert status == 401 and body == {"error": "unauthorized"}
    status, _ = send(receiver.url, b"{not json", authorization)
    assert status == 401  # the token is checked before the body is read
    assert receiver.deliveries == []


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"version": "4", "alerts": {}}',
                                  b'{"version": "3", "alerts": []}', b"\xff\xfe",
                                  b'{"alerts": [{"status": "pending"}]}',
                                  b'{"alerts": [{"labels": ["namespace"]}]}'])
def test_a_malformed_body_is_400_and_nothing_is_ingested(receiver: Receiver,
                                                         body: bytes) -> None:
    status, answer = send(receiver.url, body, f"Bearer {TOKEN}")
    assert status == 400 and "reading the alerts" in str(answer["error"])
    assert receiver.deliveries == []


def test_a_delivery_is_answered_before_it_is_handled() -> None:
    held: list[Callable[[], object]] = []
    handled: list[Sequence[GovernanceEvent]] = []
    app = alert_events(TOKEN, parse, handled.append, run=held.append)
    server = make_server("127.0.0.1", 0, {"/alerts": app})
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        status, answer = send(f"http://127.0.0.1:{server.server_port}/alerts",
                              webhook(FIRING), f"bearer  {TOKEN}")
    finally:
        server.shutdown()
        server.server_close()
    assert (status, answer) == (202, {"ok": True, "alerts": 1})
    assert handled == [] and len(held) == 1
    held[0]()
    assert [e.key for e in handled[0]] == ["ae682e21ce322118"]


def test_no_token_configured_refuses_everything() -> None:
    app = alert_events("", parse, lambda events: pytest.fail("handled"))
    statuses: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "HTTP_AUTHORIZATION": "Bearer ",
               "CONTENT_LENGTH": "2", "wsgi.input": None}
    app(environ, lambda status, headers: statuses.append(status))
    assert statuses == ["401 Unauthorized"]


def test_labels_route_the_alert() -> None:
    def one(labels: dict[str, str], **alert: object) -> GovernanceEvent:
        [event] = parse(webhook({"labels": labels, **alert}), lambda: NOW)
        return event

    mesh = one({"destination_service": "svc-pay.shop.svc.cluster.local",
                "response_code": "503", "source_workload": "svc-order",
                "source_workload_namespace": "demo", "severity": "page"})
    assert (mesh.namespace, mesh.service, mesh.code, mesh.source_service,
            mesh.source_namespace, mesh.severity) == (
        "shop", "svc-pay", 503, "svc-order", "demo", "critical")
    assert mesh.at == NOW and mesh.key  # no startsAt: now; no fingerprint: the label set
    assert one({"namespace": "demo", "service": "svc-user", "env": "prod"}).env == "prod"
    assert one({"destination_service_namespace": "demo",
                "destination_service_name": "svc-user"}).namespace == "demo"
    assert one({"alertname": "Down", "namespace": "demo", "service": "svc-user"}).title == \
        "Down on svc-user.demo"
    assert one({"alertname": "Down"}, annotations={"description": "d"}).title == "d"
    assert one({"severity": "SHRUG"}).severity == "warning"
    assert one({"a": "1"}).key == one({"a": "1"}).key != one({"a": "2"}).key
    resolved = one({"namespace": "demo"}, status="resolved",
                   startsAt="2026-11-27T09:00:00Z", endsAt="2026-11-27T11:00:00.25+01:00")
    assert resolved.resolved and resolved.at == datetime(2026, 11, 27, 10, 0, 0, 250000,
                                                         tzinfo=UTC)


def test_the_environment_comes_from_the_label_or_the_one_environment_holding_the_namespace(
        ) -> None:
    shared = {**ENVIRONMENTS, "staging": {"namespaces": {"demo": {}}}}
    assert environment_of(ENVIRONMENTS, "demo") == "dev"
    assert environment_of(shared, "demo") == ""      # two environments: the alert must say
    assert environment_of(ENVIRONMENTS, "nowhere") == ""
    assert environment_of({"dev": None, "prod": {"namespaces": ["shop"]}}, "shop") == "prod"
    events = parse(webhook({"labels": {"namespace": "demo"}},
                           {"labels": {"namespace": "demo", "env": "prod"}}),
                   env_of=lambda ns: environment_of(ENVIRONMENTS, ns))
    assert [e.env for e in events] == ["dev", "prod"]


def test_the_module_examples_run() -> None:
    result = doctest.testmod(alertmanager, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted and not result.failed


def test_payload_error_is_a_value_error() -> None:
    with pytest.raises(PayloadError):
        parse(b"null")
