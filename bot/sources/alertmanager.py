"""Alertmanager's webhook payload (version 4) as governance events: pure, no I/O.

`bot.server.alert_events` serves `POST /alerts`; it checks the bearer token, hands the
body to `parse` (a `PayloadError` is a 400) and, after answering, the funnel gets the
events with their environment filled in by `placed`.

One event per alert, kind "alert":

- namespace: the `namespace` label, else `destination_service_namespace`,
  `destination_workload_namespace`, or the namespace part of `destination_service`
  (`svc-user.demo.svc.cluster.local`);
- service: `destination_service_name`, `service`, or the first part of
  `destination_service`;
- env: the `env` label; else (`placed`) the one environment of govbot.yaml whose
  `namespaces` hold the namespace. A namespace several environments share stays without
  one: label the alert (Prometheus `external_labels: {env: prod}`) to say which;
- severity from the `severity` label, title from the `summary` (or `description`)
  annotation, `key` the alert's fingerprint, so a resolution updates the message of
  its firing; `resolved` when Alertmanager says the alert ended.

Example:
    >>> body = b'''{"version": "4", "status": "firing", "alerts": [{"status": "firing",
    ...   "labels": {"alertname": "HighErrors", "namespace": "demo", "service": "svc-user",
    ...              "severity": "critical"},
    ...   "annotations": {"summary": "5xx above 5% on svc-user"},
    ...   "startsAt": "2026-11-27T10:00:00.123456789Z", "fingerprint": "ae682e21ce322118"}]}'''
    >>> [event] = placed(parse(body), lambda namespace: "prod")
    >>> event.env, event.namespace, event.service, event.key, event.resolved
    ('prod', 'demo', 'svc-user', 'ae682e21ce322118', False)
    >>> event.at.isoformat(), event.severity, event.title
    ('2026-11-27T10:00:00.123456+00:00', 'critical', '5xx above 5% on svc-user')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.core.events import GovernanceEvent

VERSION = "4"
SEVERITIES = {"critical": "critical", "page": "critical", "error": "critical",
              "high": "critical", "warning": "warning", "warn": "warning",
              "medium": "warning", "info": "info", "informational": "info", "low": "info",
              "none": "info"}
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")
_NEVER = datetime(1, 1, 1, tzinfo=UTC)  # Go's zero time: Alertmanager's "no end yet"


class PayloadError(ValueError):
    """The body is not an Alertmanager webhook payload; the text says what is wrong."""


def parse(body: bytes, now: Callable[[], datetime] = lambda: datetime.now(UTC),
          env_of: Callable[[str], str] | None = None) -> list[GovernanceEvent]:
    """The events of one webhook delivery; `env_of` names the environment of a namespace
    (or "" when none does) for alerts without an `env` label."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PayloadError(f"reading the alerts: not JSON ({error})") from error
    except RecursionError as error:
        raise PayloadError("reading the alerts: JSON nested too deeply") from error
    if not isinstance(payload, Mapping):
        raise PayloadError("reading the alerts: the body is not a JSON object")
    version = str(payload.get("version", VERSION))
    if version != VERSION:
        raise PayloadError(f"reading the alerts: webhook version {version}; govbot reads "
                           f"version {VERSION}")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("reading the alerts: `alerts` is not a list")
    events = [_event(alert, index, now) for index, alert in enumerate(alerts)]
    return placed(events, env_of) if env_of is not None else events


def placed(events: Sequence[GovernanceEvent],
           env_of: Callable[[str], str]) -> list[GovernanceEvent]:
    """The events with the environment of their namespace where their labels named none."""
    return [event if event.env else dataclasses.replace(event, env=env_of(event.namespace))
            for event in events]


def environment_of(environments: Mapping[str, Any], namespace: str) -> str:
    """The one environment of govbot.yaml's `environments` whose `namespaces` hold
    `namespace`; "" when none or several do.

    >>> environment_of({"dev": {"namespaces": {"demo": {}}},
    ...                 "prod": {"namespaces": {"shop": {}}}}, "shop")
    'prod'
    """
    found = [env for env, settings in environments.items()
             if isinstance(settings, Mapping)
             and namespace in (_strings(settings.get("namespaces")))]
    return str(found[0]) if len(found) == 1 else ""


def _strings(value: Any) -> set[str]:
    if isinstance(value, Mapping | list):
        return {str(item) for item in value}
    return set()


def _event(alert: Any, index: int, now: Callable[[], datetime]) -> GovernanceEvent:
    if not isinstance(alert, Mapping):
        raise PayloadError(f"reading the alerts: alert {index} is not a JSON object")
    labels, annotations = _labels(alert, "labels", index), _labels(alert, "annotations", index)
    status = alert.get("status", "firing")
    if status not in ("firing", "resolved"):
        raise PayloadError(f"reading the alerts: alert {index} has status {status!r}; "
                           "Alertmanager sends firing or resolved")
    resolved = status == "resolved"
    fqdn = labels.get("destination_service", "").split(".")
    namespace = (labels.get("namespace") or labels.get("destination_service_namespace")
                 or labels.get("destination_workload_namespace")
                 or (fqdn[1] if len(fqdn) > 1 else ""))
    service = (labels.get("destination_service_name") or labels.get("service")
               or fqdn[0])
    at = _time(alert.get("endsAt") if resolved else alert.get("startsAt"))
    code = labels.get("response_code", "")
    return GovernanceEvent(
        kind="alert", env=labels.get("env", ""), namespace=namespace, service=service,
        at=at or now(),
        code=int(code) if code.isascii() and code.isdigit() else None,
        source_service=labels.get("source_workload") or labels.get("source_app", ""),
        source_namespace=labels.get("source_workload_namespace", ""),
        severity=SEVERITIES.get(labels.get("severity", "").lower(), "warning"),
        title=(annotations.get("summary") or annotations.get("description")
               or _fallback_title(labels, service, namespace)),
        key=str(alert.get("fingerprint") or "") or _fingerprint(labels),
        resolved=resolved)


def _labels(alert: Mapping[str, Any], field: str, index: int) -> dict[str, str]:
    value = alert.get(field) or {}
    if not isinstance(value, Mapping):
        raise PayloadError(f"reading the alerts: alert {index} `{field}` is not an object")
    return {str(k): str(v) for k, v in value.items()}


def _fallback_title(labels: Mapping[str, str], service: str, namespace: str) -> str:
    name = labels.get("alertname") or "alert"
    where = ".".join(part for part in (service, namespace) if part)
    return f"{name} on {where}" if where else name


def _fingerprint(labels: Mapping[str, str]) -> str:
    """A stable key for an alert that came without a fingerprint: its label set."""
    text = json.dumps(sorted(labels.items()), separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _time(value: Any) -> datetime | None:
    """RFC 3339 as Alertmanager writes it (nanoseconds, `Z`); None when absent, invalid
    or Go's zero time."""
    found = _TIME.match(value) if isinstance(value, str) else None
    if found is None:
        return None
    whole, fraction, zone = found.groups()
    text = whole + (f".{fraction[:6].ljust(6, '0')}" if fraction else "")
    try:
        at = datetime.fromisoformat(text + ("+00:00" if zone == "Z" else zone))
    except ValueError:
        return None
    return None if at <= _NEVER else at.astimezone(UTC)
