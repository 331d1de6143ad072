"""/status and /policies text: one line per policy, on / off / not set."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from policies import document
from policies.edit import apply
from policies.intents import (
    BlueGreen,
    Canary,
    CircuitBreak,
    Fault,
    PolicyIntent,
    RateLimit,
    Route,
    Scale,
    Timeout,
    Whitelist,
    resolve,
)
from policies.status import overview, status

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def data_after(*intents: PolicyIntent) -> dict[str, Any]:
    text: str | None = None
    for intent in intents:
        text = apply(resolve(intent, NOW), text, "prod", "demo").after_text
    assert text is not None
    return document.plain(text)


def line(text: str, start: str) -> str:
    found = [row for row in text.splitlines() if row.startswith(start)]
    assert len(found) == 1, text
    return found[0]


def test_a_new_document_routes_nothing_and_has_nothing_set() -> None:
    lines = status(document.plain(document.new_document("prod", "demo", "svc-user"))).splitlines()
    assert lines == [
        "svc-user in prod/demo",
        "versions: stable v1, canary v2",
        "release: not set (no traffic routing)",
        "routes: not set",
        "rate limit: not set",
        "circuit breaker: not set",
        "whitelist: not set",
        "fault: not set",
        "timeout: not set",
        "autoscale: not set",
    ]


def test_every_policy_shows_its_numbers() -> None:
    data = data_after(
        Canary("svc-user", "set", 20),
        RateLimit("svc-user", "set", 500, "5s", ("user", "w_shenyu")),
        Route("svc-user", "header", "user", "w_", "prefix", "v2"),
        Route("svc-user", "cookie", "group", "beta", version="v2"),
        CircuitBreak("svc-user", "set", 5, "30s", "30s", 50, 100, 10),
        Whitelist("svc-user", "allow", ("svc-index", "ops/admin")),
        Fault("svc-user", "abort", 10, http_status=503, duration="2h"),
        Fault("svc-user", "delay", 5, delay="2s", duration="2h"),
        Timeout("svc-user", "set", "3s", 2, "1s", "5xx,reset"),
        Scale("svc-user", "set", 2, 10, 70),
    )
    text = status(data, now=NOW)
    assert line(text, "release:") == "release: canary, 80% to v1, 20% to v2"
    assert line(text, "routes:") == ("routes: 2, first match wins: 1. header user=w_ (prefix) "
                                     "→ v2; 2. cookie group=beta → v2")
    assert line(text, "rate limit:") == \
        "rate limit: on, 500 requests per 5s, only header user=w_shenyu"
    assert line(text, "circuit breaker:") == (
        "circuit breaker: on, eject after 5 5xx in 30s for 30s, at most 50% ejected, "
        "100 connections, 10 pending requests")
    assert line(text, "whitelist:") == "whitelist: on, callers svc-index, ops/admin"
    assert line(text, "fault:") == \
        "fault: on, abort 503 to 10%, delay 2s to 5%, until 2026-11-27 12:00:00 UTC"
    assert line(text, "timeout:") == "timeout: 3s, retries 2 per 1s on 5xx,reset"
    assert line(text, "autoscale:") == "autoscale: on, 2-10 replicas at 70% cpu"
    assert overview(data, now=NOW) == (
        "svc-user  canary 20% · routes 2 · ratelimit on · circuitbreak on · whitelist on · "
        "fault on (until 2026-11-27 12:00:00 UTC) · timeout 3s · autoscale on")


def test_an_expired_fault_says_so() -> None:
    data = data_after(Fault("svc-user", "abort", 10, http_status=503, duration="30m"))
    later = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    # nothing re-renders at expiry: the text says when it leaves and how to record it
    assert line(status(data, now=later), "fault:") == (
        "fault: expired at 2026-11-27 10:30:00 UTC "
        "(taken out of the applied manifests; govbot reverts it)")
    assert "fault expired" in overview(data, now=later)
    assert "fault on (until 2026-11-27 10:30:00 UTC)" in overview(data, now=NOW)
    tomorrow = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
    assert "fault on (until 2026-11-27 10:30:00 UTC)" in overview(data, now=tomorrow)


def test_off_policies_read_off_and_keep_their_numbers() -> None:
    data = data_after(RateLimit("svc-user", "set", 9, "1m"), RateLimit("svc-user", "off"),
                      CircuitBreak("svc-user", "set", 3, "10s", "1m"),
                      CircuitBreak("svc-user", "off"), Scale("svc-user", "set", 1, 3),
                      Scale("svc-user", "off"))
    text = status(data)
    assert line(text, "rate limit:") == "rate limit: off, 9 requests per 1m"
    assert line(text, "circuit breaker:") == \
        "circuit breaker: off, eject after 3 5xx in 10s for 1m"
    assert line(text, "autoscale:") == "autoscale: off, 1-3 replicas"
    assert overview(data) == (
        "svc-user  release — · routes — · ratelimit off · circuitbreak off · whitelist — · "
        "fault — · timeout — · autoscale off")


def test_blue_green_and_the_controller_are_shown() -> None:
    data = data_after(BlueGreen("svc-user", "switch"))
    data["spec"]["managedBy"] = "argo-rollouts"
    text = status(data)
    assert text.splitlines()[1] == "managed by: argo-rollouts"
    assert line(text, "release:") == "release: blue-green, all traffic to v2"
    assert overview(data).startswith("svc-user  bluegreen v2 · routes —")
    assert overview(data).endswith(" · managed by argo-rollouts")


def test_after_promote_there_is_no_canary() -> None:
    data = data_after(Canary("svc-user", "set", 50), Canary("svc-user", "promote"))
    assert status(data).splitlines()[1:3] == [
        "versions: stable v2, no canary", "release: canary, all traffic to v2"]


def test_a_broken_document_still_gets_an_answer() -> None:
    broken = {"metadata": "x", "spec": {"release": {"canaryWeight": "lots"},
                                        "versions": {"stable": "v1", "canary": "v2"},
                                        "rateLimit": 7, "routes": ["x"], "fault": [],
                                        "allowFrom": {"callers": 5}, "retries": 3}}
    assert status(broken).splitlines() == [
        "? in ?/?",
        "versions: stable v1, canary v2",
        "release: canary weight 'lots' is not a percentage",
        "routes: 1, first match wins: 1. ? → ?",
        "rate limit: on, ? requests per ?",
        "circuit breaker: not set",
        "whitelist: on, callers ?",
        "fault: on",
        "timeout: not set",
        "autoscale: not set",
    ]
    assert overview(broken).startswith("?  canary ? · routes 1 · ratelimit on")


def test_a_release_flagger_owns_is_not_shown_as_govbots() -> None:
    data = data_after(Canary("svc-user", "set", 20))
    data["spec"]["managedBy"] = "flagger"
    text = status(data)
    assert line(text, "release:") == "release: managed by Flagger"
    assert "20%" not in text
    assert overview(data).startswith("svc-user  release by Flagger · ")


def test_routing_without_a_release_says_every_pod_gets_the_traffic() -> None:
    data = data_after(Timeout("svc-user", "set", "3s"))
    assert line(status(data), "release:") == \
        "release: not set (no version split: every pod gets the traffic)"
    assert overview(data).startswith("svc-user  release — · ")


def test_one_request_is_singular() -> None:
    data = data_after(RateLimit("svc-user", "set", 1, "5s"))
    assert line(status(data), "rate limit:") == "rate limit: on, 1 request per 5s"


def test_an_expiry_on_an_earlier_day_shows_the_date() -> None:
    data = data_after(Fault("svc-user", "abort", 10, http_status=503, duration="30m"))
    next_day = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert line(status(data, now=next_day), "fault:") == (
        "fault: expired at 2026-11-27 10:30:00 UTC "
        "(taken out of the applied manifests; govbot reverts it)")
    off = data_after(Fault("svc-user", "abort", 10, http_status=503, duration="30m"),
                     Fault("svc-user", "off"))
    assert line(status(off, now=next_day), "fault:") == \
        "fault: off, abort 503 to 10%, expired at 2026-11-27 10:30:00 UTC"


def test_times_show_the_date_and_seconds_in_utc_never_microseconds() -> None:
    spec = {"fault": {"enabled": True, "abort": {"httpStatus": 503, "percent": 10},
                      "expires": "2026-11-27T12:30:15.123456+02:00"}}
    data = {"metadata": {"name": "svc-user", "namespace": "demo", "env": "prod"}, "spec": spec}
    text = status(data, now=NOW)
    assert "until 2026-11-27 10:30:15 UTC" in text
    assert "123456" not in text and "until 2026-11-27 10:30:15 UTC" in overview(data, now=NOW)
