"""The commands of issue #3 (bluegreen, route, circuitbreak, whitelist, fault, timeout,
scale, rollback, policies) give exactly the intent their text asks for."""

from __future__ import annotations

import pytest

import commands
from commands.help import help_text
from policies.intents import (
    BlueGreen,
    CircuitBreak,
    Fault,
    ListPolicies,
    Rollback,
    Route,
    Scale,
    Timeout,
    Whitelist,
)

NEW = {
    "bluegreen": "蓝绿",
    "route": "路由",
    "circuitbreak": "熔断",
    "whitelist": "白名单",
    "fault": "故障注入",
    "timeout": "超时",
    "scale": "伸缩",
    "rollback": "回滚",
    "policies": "策略",
}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("/bluegreen svc-user switch", BlueGreen("svc-user", "switch")),
        ("/bluegreen svc-user SWITCH", BlueGreen("svc-user", "switch")),
        ("/bluegreen svc-user to v2", BlueGreen("svc-user", "to", "v2")),
        ("/bluegreen svc-user to green", BlueGreen("svc-user", "to", "green")),
        (
            "/route svc-user header user=w_shenyu -> v2",
            Route("svc-user", "header", "user", "w_shenyu", "exact", "v2"),
        ),
        (
            "/route svc-user header X-Tenant=beta prefix -> v2",
            Route("svc-user", "header", "x-tenant", "beta", "prefix", "v2"),
        ),
        (
            "/route svc-user header user=^w_.*$ regex → v2",
            Route("svc-user", "header", "user", "^w_.*$", "regex", "v2"),
        ),
        (
            "/route svc-user header q=a=b(c|d)=e regex -> v3",
            Route("svc-user", "header", "q", "a=b(c|d)=e", "regex", "v3"),
        ),
        (
            "/route svc-user header user=w_shenyu exact -> v2",
            Route("svc-user", "header", "user", "w_shenyu", "exact", "v2"),
        ),
        (
            "/route svc-user header user=w_shenyu －＞ v2",
            Route("svc-user", "header", "user", "w_shenyu", "exact", "v2"),
        ),
        (
            "/route svc-user header user=w_shenyu —> v2",
            Route("svc-user", "header", "user", "w_shenyu", "exact", "v2"),
        ),
        (
            "/route svc-user cookie Session=Beta -> v2",
            Route("svc-user", "cookie", "Session", "Beta", "exact", "v2"),
        ),
        ("/route svc-user clear", Route("svc-user", "clear")),
        (
            "/circuitbreak svc-user 5xx=5 interval=30s eject=30s",
            CircuitBreak("svc-user", "set", 5, "30s", "30s"),
        ),
        (
            "/circuitbreak svc-user pending=10 eject=1m maxconn=100 5xx=7 maxeject=50% "
            "interval=10s",
            CircuitBreak("svc-user", "set", 7, "10s", "1m", 50, 100, 10),
        ),
        ("/circuitbreak svc-user off", CircuitBreak("svc-user", "off")),
        ("/circuitbreak svc-user on", CircuitBreak("svc-user", "on")),
        (
            "/whitelist svc-user allow svc-index,istio-system/istio-ingressgateway",
            Whitelist("svc-user", "allow", ("svc-index", "istio-system/istio-ingressgateway")),
        ),
        (
            "/whitelist svc-user allow svc-a, svc-b svc-a，shop/svc-c、svc-d",
            Whitelist("svc-user", "allow", ("svc-a", "svc-b", "shop/svc-c", "svc-d")),
        ),
        ("/whitelist svc-user remove shop/svc-c", Whitelist("svc-user", "remove", ("shop/svc-c",))),
        ("/whitelist svc-user off", Whitelist("svc-user", "off")),
        ("/whitelist svc-user on", Whitelist("svc-user", "on")),
        ("/fault svc-user abort 503 10%", Fault("svc-user", "abort", 10, http_status=503)),
        (
            "/fault svc-user abort 200 0.0001% for 1h",
            Fault("svc-user", "abort", 0.0001, http_status=200, duration="1h"),
        ),
        (
            "/fault svc-user delay 2s 5% for 30m",
            Fault("svc-user", "delay", 5, delay="2s", duration="30m"),
        ),
        ("/fault svc-user delay 1.5s 100", Fault("svc-user", "delay", 100, delay="1.5s")),
        ("/fault svc-user off", Fault("svc-user", "off")),
        ("/fault svc-user on", Fault("svc-user", "on")),
        ("/timeout svc-user 3s", Timeout("svc-user", "set", "3s")),
        (
            "/timeout svc-user 3s retries 2 per 1s on 5xx,reset,connect-failure",
            Timeout("svc-user", "set", "3s", 2, "1s", "5xx,reset,connect-failure"),
        ),
        (
            "/timeout svc-user 3s retries 2 on 503,Gateway-Error per 500ms",
            Timeout("svc-user", "set", "3s", 2, "500ms", "503,gateway-error"),
        ),
        ("/timeout svc-user 1m retries 0", Timeout("svc-user", "set", "1m", 0)),
        ("/timeout svc-user off", Timeout("svc-user", "off")),
        ("/scale svc-user min 2 max 10 cpu 70%", Scale("svc-user", "set", 2, 10, 70)),
        ("/scale svc-user cpu 100 max 3 min 3", Scale("svc-user", "set", 3, 3, 100)),
        ("/scale svc-user off", Scale("svc-user", "off")),
        ("/scale svc-user on", Scale("svc-user", "on")),
        ("/rollback 12", Rollback(change_id=12)),
        ("/rollback #7", Rollback(change_id=7)),
        ("/rollback svc-user", Rollback(service="svc-user")),
        ("/policies", ListPolicies()),
    ],
)
def test_text_gives_exactly_this_intent(text: str, intent: object) -> None:
    assert commands.parse(text).intent == intent


def test_fault_percent_is_a_whole_number_when_whole() -> None:
    intent = commands.parse("/fault svc-user abort 503 10%").intent
    assert isinstance(intent, Fault) and type(intent.percent) is int
    intent = commands.parse("/fault svc-user abort 503 12.25%").intent
    assert isinstance(intent, Fault) and intent.percent == 12.25


def test_flags_work_with_the_new_commands() -> None:
    parsed = commands.parse("/route svc-user --env prod header user=a -> v2 --ns=shop")
    assert (parsed.env, parsed.namespace) == ("prod", "shop")
    assert parsed.intent == Route("svc-user", "header", "user", "a", "exact", "v2")


@pytest.mark.parametrize(("name", "alias"), NEW.items())
def test_alias_is_the_same_command(name: str, alias: str) -> None:
    spec = commands.lookup(name)
    assert spec is not None and commands.lookup(alias) is spec
    for example in spec.examples:
        words = example.split()
        if words[0] == f"/{name}":
            assert commands.parse(" ".join([alias, *words[1:]])).intent == (
                commands.parse(example).intent
            )


@pytest.mark.parametrize("name", NEW)
def test_help_lists_the_command_and_its_page_shows_examples(name: str) -> None:
    spec = commands.lookup(name)
    assert spec is not None
    assert any(line.lstrip().startswith(spec.usage) for line in help_text().splitlines())
    page = help_text(NEW[name])
    assert page.splitlines()[0] == spec.usage and NEW[name] in page
    assert all(example in page for example in spec.examples)


def test_only_rollback_and_policies_of_the_new_commands_are_read_only() -> None:
    read_only = {name for name in NEW if not (spec := commands.lookup(name)) or not spec.mutating}
    assert read_only == {"rollback", "policies"}
