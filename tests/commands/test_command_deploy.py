"""/store, /deploy and /undeploy: their grammar and its refusals.

Refusals are checked for the offending part, the usage and an example, not for wording.
What the catalog decides (unknown app, parameter, bounds) is checked in tests/flows.
"""

from __future__ import annotations

import pytest

import commands
from policies.intents import Deploy, StoreQuery, Undeploy
from tests.commands.explained import refusal


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("/store", StoreQuery()),
        ("/store redis", StoreQuery("redis")),
        ("/deploy redis from store", Deploy("redis", "redis")),
        ("/deploy redis from store version 7.2.7", Deploy("redis", "redis", "7.2.7")),
        ("/deploy redis from store set memory=1Gi cpu=500m as cache",
         Deploy("cache", "redis", None, ("memory=1Gi", "cpu=500m"))),
        ("/deploy redis from store as cache set maxmemoryPolicy=allkeys-lru version 7.4.2",
         Deploy("cache", "redis", "7.4.2", ("maxmemoryPolicy=allkeys-lru",))),
        ("/undeploy cache", Undeploy("cache")),
        ("/undeploy cache PURGE", Undeploy("cache", purge=True)),
    ],
)
def test_gives_this_intent(text: str, intent: object) -> None:
    assert commands.parse(text).intent == intent


@pytest.mark.parametrize(
    ("text", "offending"),
    [
        ("/deploy redis", "from store"),
        ("/deploy redis from shop", "from store"),
        ("/deploy redis from store set memory=1Gi memory=2Gi", "memory is set twice"),
        ("/deploy redis from store as Cache", "Cache"),
        ("/deploy redis from store as -cache", "-cache"),
        ("/deploy redis from store as cache as db", "as is given twice"),
        ("/deploy redis from store set memory", "memory"),
        ("/deploy redis from store set =1Gi", "=1Gi"),
        ("/deploy redis from store version", "version"),
        ("/deploy redis from store verison 7.4.2", 'did you mean "version"'),
        ("/deploy redis from store version 7.4.2;rm", "7.4.2;rm"),
        ("/deploy Redis! from store", "Redis!"),
        ("/deploy", "missing"),
        ("/store redis mysql", "mysql"),
        ("/undeploy", "missing"),
        ("/undeploy cache purge now", "now"),
        ("/undeploy cache prune", 'did you mean "purge"'),
    ],
)
def test_refusals_name_what_was_wrong_with_usage_and_example(text: str, offending: str) -> None:
    error = refusal(text)
    spec = commands.lookup(text.split()[0].lstrip("/"))
    assert spec is not None
    assert offending in error.problem, error.problem
    assert error.usage == spec.usage and error.example
    assert error.example.split()[0] in ("/deploy", "/store", "/undeploy", "部署", "下线"), \
        error.example
