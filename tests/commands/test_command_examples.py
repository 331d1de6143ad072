"""Every example in a command's docstring parses: the examples /help shows are tested."""

from __future__ import annotations

import importlib

import pytest

import commands
from commands import docs
from commands.spec import CommandSpec
from policies.intents import (
    Approve,
    BlueGreen,
    Canary,
    CanaryControl,
    CircuitBreak,
    Dashboard,
    Deploy,
    Drift,
    Expose,
    Fault,
    Help,
    ListChanges,
    ListEvents,
    ListFreezes,
    ListPolicies,
    MeshQuery,
    MeshSwitch,
    Onboard,
    RateLimit,
    Reject,
    Rollback,
    Route,
    Scale,
    Show,
    Status,
    StoreQuery,
    Sync,
    TemplateApplyMany,
    TemplateList,
    TemplateSave,
    TemplateShow,
    Timeout,
    Undeploy,
    Unexpose,
    WhatIf,
    Whitelist,
)

INTENT_OF: dict[str, type | tuple[type, ...]] = {
    "canary": (Canary, CanaryControl),
    "bluegreen": BlueGreen,
    "route": Route,
    "ratelimit": RateLimit,
    "circuitbreak": CircuitBreak,
    "whitelist": Whitelist,
    "fault": Fault,
    "timeout": Timeout,
    "scale": Scale,
    "expose": Expose,
    "unexpose": Unexpose,
    "onboard": Onboard,
    "sync": Sync,
    "rollback": Rollback,
    "policies": ListPolicies,
    "approve": Approve,
    "reject": Reject,
    "changes": ListChanges,
    "events": ListEvents,
    "freeze": ListFreezes,
    "show": Show,
    "status": Status,
    "dashboard": Dashboard,
    "drift": Drift,
    "whatif": WhatIf,
    "help": Help,
    "template": (TemplateSave, TemplateApplyMany, TemplateList, TemplateShow),
    "store": StoreQuery,
    "deploy": Deploy,
    "undeploy": Undeploy,
    "mesh": (MeshSwitch, MeshQuery),
}

EXAMPLES = [
    pytest.param(spec, example, id=f"{spec.name}: {example}")
    for spec in commands.REGISTRY
    for example in spec.examples
]


def test_every_command_has_an_intent_type_here() -> None:
    assert sorted(spec.name for spec in commands.REGISTRY) == sorted(INTENT_OF)


@pytest.mark.parametrize(("spec", "example"), EXAMPLES)
def test_example_parses_to_the_commands_intent(spec: CommandSpec, example: str) -> None:
    parsed = commands.parse(example)
    assert parsed.spec is spec
    assert isinstance(parsed.intent, INTENT_OF[spec.name])


@pytest.mark.parametrize("spec", commands.REGISTRY, ids=lambda spec: spec.name)
def test_spec_is_written_from_its_module_docstring(spec: CommandSpec) -> None:
    module = importlib.import_module(f"commands.{spec.name}")
    written = docs.read(module.__doc__)
    assert module.SPEC is spec
    assert written.usage == module.USAGE == spec.usage
    assert spec.summary and spec.summary == written.summary
    assert len(spec.examples) >= 2
    assert spec.examples == written.examples
    assert spec.aliases == written.aliases


@pytest.mark.parametrize(
    ("text", "intent", "env", "namespace"),
    [
        ("/canary svc-user 20%", Canary("svc-user", "set", 20), None, None),
        ("/canary svc-user promote", Canary("svc-user", "promote"), None, None),
        ("灰度 svc-user 50% --env prod", Canary("svc-user", "set", 50), "prod", None),
        ("/ratelimit svc-user 500/5s", RateLimit("svc-user", "set", 500, "5s"), None, None),
        (
            "/ratelimit svc-user 100/1m header user=w_shenyu",
            RateLimit("svc-user", "set", 100, "1m", ("user", "w_shenyu")),
            None,
            None,
        ),
        ("/ratelimit svc-user off", RateLimit("svc-user", "off"), None, None),
        (
            "限流 svc-user 20/1s --env prod --ns demo",
            RateLimit("svc-user", "set", 20, "1s"),
            "prod",
            "demo",
        ),
        ("/approve #12", Approve(12), None, None),
        ("/reject #3 too risky today", Reject(3, "too risky today"), None, None),
        ("/reject 12", Reject(12, ""), None, None),
        ("/changes --env prod", ListChanges(), "prod", None),
        ("状态 svc-user --env prod", Status("svc-user"), "prod", None),
        ("/drift", Drift(), None, None),
        ("漂移 svc-user --env prod", Drift("svc-user"), "prod", None),
        ("/sync svc-user", Sync("svc-user"), None, None),
        ("同步 svc-user --ns demo", Sync("svc-user"), None, "demo"),
        ("/help", Help(None), None, None),
        ("/store", StoreQuery(), None, None),
        ("应用商店 mysql", StoreQuery("mysql"), None, None),
        ("/deploy redis from store", Deploy("redis", "redis"), None, None),
        ("部署 mysql from store version 8.0.40 as orders-db set storage=50Gi cpu=1 --env prod",
         Deploy("orders-db", "mysql", "8.0.40", ("storage=50Gi", "cpu=1")), "prod", None),
        ("/deploy redis from store set memory=1Gi as cache",
         Deploy("cache", "redis", None, ("memory=1Gi",)), None, None),
        ("下线 cache purge", Undeploy("cache", purge=True), None, None),
        ("帮助 灰度", Help("canary"), None, None),
        ("/mesh demo ambient --env prod", MeshSwitch("demo", "ambient"), "prod", None),
        ("网格 demo Sidecar", MeshSwitch("demo", "sidecar"), None, None),
        ("/mesh demo", MeshQuery("demo"), None, None),
        ("/mesh --env dev", MeshQuery(), "dev", None),
        ("/expose svc-user host user.example.com",
         Expose("svc-user", ("user.example.com",)), None, None),
        ("暴露 svc-user host a.example.com、*.b.example.com a.example.com gateway edge/public "
         "--env prod", Expose("svc-user", ("a.example.com", "*.b.example.com"), "edge/public"),
         "prod", None),
        ("取消暴露 svc-user --ns demo", Unexpose("svc-user"), None, "demo"),
    ],
)
def test_example_gives_exactly_this_intent(
    text: str, intent: object, env: str | None, namespace: str | None
) -> None:
    parsed = commands.parse(text)
    assert (parsed.intent, parsed.env, parsed.namespace) == (intent, env, namespace)


def test_only_policy_changing_commands_are_mutating() -> None:
    mutating = {spec.name for spec in commands.REGISTRY if spec.mutating}
    assert mutating == {
        "onboard",
        "canary",
        "bluegreen",
        "route",
        "ratelimit",
        "circuitbreak",
        "whitelist",
        "fault",
        "timeout",
        "scale",
        "sync",
        "template",
        "deploy",
        "undeploy",
        "mesh",
        "expose",
        "unexpose",
    }


def test_names_and_aliases_are_unique() -> None:
    names = [name for spec in commands.REGISTRY for name in spec.names]
    assert len(names) == len(set(names))


def test_docstring_reader_takes_summary_aliases_and_examples() -> None:
    written = docs.read(
        """/x <svc> — do x to a service.

        More prose that is not an example.

        Aliases: 甲, 乙
        Examples:
            /x a
            /x b --env prod

        Trailing prose.
        """
    )
    assert written == docs.ModuleDoc(
        "/x <svc>", "do x to a service", ("甲", "乙"), ("/x a", "/x b --env prod")
    )


def test_docstring_reader_tolerates_a_missing_docstring() -> None:
    assert docs.read(None) == docs.ModuleDoc("", "", (), ())
