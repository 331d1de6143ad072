"""Which Istio series become which governance events (pure, no Prometheus)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.errors import ConfigError
from bot.settings import Settings
from bot.sources.istio import events, flags, kind_of, shadow_events

AT = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("reporter", "code", "response_flags", "kind"), [
    ("source", 503, "UO", "circuit_break"),
    ("source", 503, "UF,UO", "circuit_break"),
    ("source", 503, "URX", "retry"),
    ("source", 503, "UF,URX", "retry"),
    ("source", 504, "UT", "timeout"),
    ("source", 500, "FI", "fault"),
    ("source", 200, "DI", "fault"),
    ("source", 503, "UH", "no_healthy_upstream"),
    ("destination", 429, "RL", "rate_limit"),
    ("destination", 429, "-", "rate_limit"),
    ("destination", 503, "RL", "rate_limit"),
    ("destination", 403, "-", "denied"),
    ("destination", 403, "UAEX", "denied"),
    ("source", 403, "-", None),          # the caller's view of a denial is the server's
    ("source", 429, "-", None),          # a 429 passing back through the client sidecar
    ("destination", 503, "UO", None),    # overflow is the client's to report
    ("source", 503, "NURX", None),       # a flag is a whole comma-separated part
    ("source", 503, "UOX", None),
    ("source", 200, "-", None),
])
def test_flags_and_codes_name_their_kind(reporter: str, code: int, response_flags: str,
                                         kind: str | None) -> None:
    assert kind_of(reporter, code, response_flags) == kind


def test_flags_are_split_on_commas() -> None:
    assert flags("UF,URX") == {"UF", "URX"}
    assert flags("-") == frozenset()


def _row(service: str, code: str, response_flags: str, increase: float,
         caller: str = "svc-order", namespace: str = "demo") -> tuple[dict[str, str], float]:
    return ({"destination_service_name": service, "destination_service_namespace": namespace,
             "source_workload": caller, "source_workload_namespace": "demo",
             "response_code": code, "response_flags": response_flags}, increase)


def test_series_of_one_kind_and_caller_add_up_and_zero_is_dropped() -> None:
    rows = [("source", _row("svc-user", "503", "UO", 30.4)),
            ("source", _row("svc-user", "503", "UF,UO", 11.8)),
            ("source", _row("svc-user", "503", "URX", 0.3)),
            ("destination", _row("svc-pay", "429", "RL", 7, namespace="payments"))]
    found = events(rows, {"demo": "prod"}, "dev", AT, 30.0)
    assert [(e.kind, e.env, e.service, e.count, e.code, e.source_service) for e in found] == [
        ("rate_limit", "dev", "svc-pay", 7, 429, "svc-order"),
        ("circuit_break", "prod", "svc-user", 42, 503, "svc-order")]
    assert all(e.window == 30.0 and e.at == AT for e in found)


def test_a_shadow_limit_reports_what_it_would_have_rejected_apart() -> None:
    rows = [({"namespace": "demo", "app": "svc-user"}, 12.4),
            ({"namespace": "demo", "app": "svc-pay"}, 0.2)]
    (event,) = shadow_events(rows, {"demo": "prod"}, "dev", AT, 30.0)
    assert (event.kind, event.env, event.service, event.count, event.code) == (
        "rate_limit", "prod", "svc-user", 12, None)
    assert event.key == "shadow:prod/demo/svc-user" and "would have rejected" in event.text


@pytest.mark.parametrize(("variables", "named"), [
    ({"GOVBOT_PROMETHEUS_INTERVAL_SECONDS": "0"}, "GOVBOT_PROMETHEUS_INTERVAL_SECONDS"),
    ({"GOVBOT_PROMETHEUS_INTERVAL_SECONDS": "soon"}, "GOVBOT_PROMETHEUS_INTERVAL_SECONDS"),
    ({"GOVBOT_PROMETHEUS_URL": "prometheus:9090"}, "GOVBOT_PROMETHEUS_URL"),
])
def test_prometheus_settings_are_refused_naming_the_variable(variables: dict[str, str],
                                                             named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({"GOVBOT_HOME": "/tmp/unused", **variables})


def test_prometheus_settings_default_to_30_seconds_and_no_url() -> None:
    settings = Settings.from_env({"GOVBOT_HOME": "/tmp/unused"}).prometheus
    assert (settings.url, settings.interval_seconds) == ("", 30.0)
