"""Intents: what a command asks for, as typed values.

`commands/` parses chat text into these; `policies.edit` applies the policy intents to a
ServicePolicy document; the workflow runs the review and query intents. Each policy
intent round-trips through `to_json`/`from_json`, so a stored change can be replayed on a
newer main.

Example:
    >>> from_json(to_json(Canary("svc-user", "set", 20)))
    Canary(service='svc-user', step='set', weight=20)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Canary:
    """Steer `weight` percent of traffic to the canary version, or promote / abort it."""

    service: str
    step: Literal["set", "promote", "abort"]
    weight: int | None = None
    action = "canary"


@dataclass(frozen=True)
class RateLimit:
    """Envoy local rate limit: `requests` per `per` (a duration), optionally for one header."""

    service: str
    mode: Literal["set", "off", "on"]
    requests: int | None = None
    per: str | None = None
    header: tuple[str, str] | None = None
    action = "ratelimit"


PolicyIntent = Canary | RateLimit
POLICY_INTENTS: tuple[type[Canary] | type[RateLimit], ...] = (Canary, RateLimit)


@dataclass(frozen=True)
class Approve:
    change_id: int
    action = "approve"


@dataclass(frozen=True)
class Reject:
    change_id: int
    reason: str = ""
    action = "reject"


@dataclass(frozen=True)
class ListChanges:
    action = "changes"


@dataclass(frozen=True)
class Status:
    service: str
    action = "status"


@dataclass(frozen=True)
class Help:
    command: str | None = None
    action = "help"


Intent = PolicyIntent | Approve | Reject | ListChanges | Status | Help


def to_json(intent: PolicyIntent) -> dict[str, Any]:
    """Plain data for the store: `{"action": "canary", "service": ..., ...}`."""
    data = asdict(intent)
    if isinstance(intent, RateLimit) and intent.header is not None:
        data["header"] = list(intent.header)
    return {"action": intent.action, **data}


def from_json(data: dict[str, Any]) -> PolicyIntent:
    fields = {k: v for k, v in data.items() if k != "action"}
    match data.get("action"):
        case "canary":
            return Canary(**fields)
        case "ratelimit":
            header = fields.pop("header", None)
            return RateLimit(**fields, header=tuple(header) if header else None)
    raise ValueError(f"unknown intent action {data.get('action')!r}")
