"""The one funnel, from `Workflow.ingest` to what each channel is told: routed by
govbot.yaml's bindings, grouped with a running count, thresholds per kind, linked to the
change that set the policy, and kept in the audit log whatever happens after."""

from __future__ import annotations

from datetime import timedelta

from bot.core.events import EventsReported
from bot.store.audit import EventQuery
from tests.conftest import FIXED_NOW, Govbot
from tests.events.support import channels, configure, event


def reported(events: object) -> list[EventsReported]:
    assert isinstance(events, list)
    assert all(isinstance(e, EventsReported) for e in events), events
    return events


def test_an_event_goes_to_every_channel_bound_to_its_namespace(govbot: Govbot) -> None:
    told = reported(govbot.app.workflow.ingest([event(count=3)]))
    assert {(t.platform, t.channel) for t in told} == {("slack", "C0123"),
                                                       ("dingtalk", "cidXXXX")}
    assert len({t.key for t in told}) == 1
    assert told[0].text.startswith("[warning] circuit breaker on svc-user (prod/demo) "
                                   "tripped 3×")
    assert "caller svc-order" in told[0].text and "code 503×3" in told[0].text


def test_an_unbound_namespace_goes_to_the_default_channel(govbot: Govbot) -> None:
    assert govbot.app.workflow.ingest([event(namespace="payments")]) == []
    configure(govbot, events={"defaultChannel": {"platform": "slack", "channel": "C0999"}})
    told = reported(govbot.app.workflow.ingest([event(namespace="payments")]))
    assert [(t.platform, t.channel) for t in told] == [("slack", "C0999")]
    assert govbot.app.store.events.find(EventQuery(namespace="payments"))[1] == 2


def test_a_binding_of_the_namespace_wins_over_the_default_channel(govbot: Govbot) -> None:
    configure(govbot, events={"defaultChannel": {"platform": "slack", "channel": "C0999"}},
              channels=channels(("slack", "C0777", "prod", "demo")))
    told = reported(govbot.app.workflow.ingest([event()]))
    assert [(t.platform, t.channel) for t in told] == [("slack", "C0777")]


def test_alike_events_within_the_window_update_one_group(govbot: Govbot) -> None:
    ingest = govbot.app.workflow.ingest
    first = reported(ingest([event(ago=600)]))[0]
    second = reported(ingest([event(ago=400, count=2, caller="svc-cart")]))[0]
    third = reported(ingest([event(ago=300, count=3)]))[0]
    assert first.key == second.key == third.key
    assert (first.count, second.count, third.count) == (1, 3, 6)
    assert "tripped 6× in 5 min (callers svc-order 4×, svc-cart 2×; code 503×6)" in third.text
    assert "first seen 2026-11-27 09:50:00 UTC, last seen 09:55:00 UTC" in third.text
    later = reported(ingest([event(ago=-600)]))[0]  # ten minutes after the last one
    assert later.key != first.key and later.count == 1


def test_below_the_kinds_threshold_events_are_stored_not_posted(govbot: Govbot) -> None:
    configure(govbot, events={"kinds": {"rate_limit": {"threshold": 10,
                                                       "severity": "critical"}}})
    ingest = govbot.app.workflow.ingest
    assert ingest([event(kind="rate_limit", code=429, count=4)]) == []
    told = reported(ingest([event(kind="rate_limit", code=429, count=7)]))
    assert told and told[0].count == 11 and told[0].severity == "critical"
    assert told[0].text.startswith("[critical] rate limit on svc-user")
    assert govbot.app.store.events.find(EventQuery(kind="rate_limit"))[1] == 2


def _merge(govbot: Govbot, text: str) -> int:
    opened = govbot.one(text)
    assert opened.ok and opened.change_id, opened.text
    merged = govbot.one(f"/approve {opened.change_id}", user="bob")
    assert "merged" in merged.text, merged.text
    return opened.change_id


def test_the_message_names_the_change_that_set_the_policy(govbot: Govbot) -> None:
    number = _merge(govbot, "/circuitbreak svc-user 5xx=5 interval=30s eject=30s")
    _merge(govbot, "/timeout svc-user 3s")
    [told] = reported(govbot.app.workflow.ingest([event(env="dev", count=42)]))
    assert (told.platform, told.channel) == ("console", "*")
    assert f"set by change #{number}, alice, approved by bob" in told.text
    assert "next: /status svc-user" in told.text
    [fault] = reported(govbot.app.workflow.ingest([event(env="dev", kind="fault")]))
    assert "set by change" not in fault.text


def test_an_enforced_shadow_limit_still_suggests_from_its_numbers(govbot: Govbot) -> None:
    _merge(govbot, "/ratelimit svc-user 100/1s shadow")
    number = _merge(govbot, "/ratelimit svc-user enforce")
    [limit] = reported(govbot.app.workflow.ingest([event(env="dev", kind="rate_limit",
                                                         code=429)]))
    assert f"set by change #{number}" in limit.text
    assert "next: /whatif ratelimit svc-user 200/1s" in limit.text


def test_the_next_step_is_the_obvious_command(govbot: Govbot) -> None:
    _merge(govbot, "/ratelimit svc-user 100/1s")
    _merge(govbot, "/canary svc-user 20%")
    ingest = govbot.app.workflow.ingest
    [limit] = reported(ingest([event(env="dev", kind="rate_limit", code=429)]))
    assert "next: /whatif ratelimit svc-user 200/1s" in limit.text
    [breaker] = reported(ingest([event(env="dev")]))
    assert "next: /canary svc-user abort" in breaker.text
    [alert] = reported(ingest([event(env="dev", kind="alert", code=None, caller="",
                                     title="svc-user error rate above 5%", key="fp-1")]))
    assert "svc-user error rate above 5%" in alert.text
    assert "next: /status svc-user" in alert.text
    [ended] = reported(ingest([event(env="dev", kind="alert", code=None, caller="",
                                     key="fp-1", resolved=True, ago=-7200)]))
    assert ended.key == alert.key and ended.resolved and "next:" not in ended.text


def test_a_burst_of_ten_thousand_events_is_all_kept_and_told_as_a_handful(
        govbot: Govbot) -> None:
    burst = [event(service=f"svc-{n % 3}", caller=f"svc-caller-{n % 7}", ago=n % 120,
                   code=(503, 429)[n % 2]) for n in range(10_000)]
    told = reported(govbot.app.workflow.ingest(burst))
    assert govbot.app.store.events.find(EventQuery())[1] == 10_000
    assert len(told) == 3 * 2  # three services, each told to its two bound channels
    assert sum(t.count for t in told if t.platform == "slack") == 10_000


def test_events_lists_the_audit_log_most_recent_first(govbot: Govbot) -> None:
    govbot.app.workflow.ingest([
        event(ago=600, count=5), event(ago=60, count=7, caller="svc-cart"),
        event(ago=7200, count=9), event(ago=30, code=500),
        event(service="svc-order", ago=30), event(env="dev", ago=30)])
    answer = govbot.one("/events svc-user since 1h code 503 --env prod --ns demo")
    lines = answer.text.splitlines()
    assert lines[0] == ("governance events of svc-user in prod/demo since 1h code 503, "
                        "most recent first:")
    assert lines[1:] == [
        "2026-11-27 09:59:00 UTC circuit_break svc-user prod/demo 7× code 503 from svc-cart",
        "2026-11-27 09:50:00 UTC circuit_break svc-user prod/demo 5× code 503 from svc-order",
    ]
    assert govbot.one("事件 svc-user from svc-cart --env prod --ns demo").text.count("\n") == 1
    assert "no governance events" in govbot.one("/events svc-none").text


def test_events_says_how_many_more_there_are(govbot: Govbot) -> None:
    govbot.app.workflow.ingest([event(env="dev", ago=n) for n in range(60)])
    lines = govbot.one("/events svc-user").text.splitlines()
    assert len(lines) == 1 + 50 + 1 and lines[-1].startswith("… and 10 more")


def test_the_sweep_deletes_events_past_their_retention(govbot: Govbot) -> None:
    old = FIXED_NOW - timedelta(days=31)
    govbot.app.workflow.ingest([event(at=old), event(at=FIXED_NOW - timedelta(days=29))])
    govbot.app.workflow.sweep()
    kept, total = govbot.app.store.events.find(EventQuery())
    assert total == 1 and kept[0].at == FIXED_NOW - timedelta(days=29)


def test_an_unknown_kind_lists_the_kinds(govbot: Govbot) -> None:
    answer = govbot.one("/events kind nope")
    assert not answer.ok and "circuit_break" in answer.text and "rate_limit" in answer.text
