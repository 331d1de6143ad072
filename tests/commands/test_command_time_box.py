"""`for <d>` on /ratelimit and /route: the time box parses into the intent's duration, and
a wrong one is refused naming the word, with the usage and an example."""

from __future__ import annotations

import pytest

import commands
from policies.intents import RateLimit, Route
from tests.commands.explained import assert_explained


@pytest.mark.parametrize(("text", "intent"), [
    ("/ratelimit svc-user 50/1s for 2h", RateLimit("svc-user", "set", 50, "1s", duration="2h")),
    ("/ratelimit svc-user 50/1s header user=w_shenyu shadow FOR 30m",
     RateLimit("svc-user", "set", 50, "1s", header=("user", "w_shenyu"), shadow=True,
               duration="30m")),
    ("限流 svc-user 20/1s for 1s --env prod", RateLimit("svc-user", "set", 20, "1s",
                                                        duration="1s")),
    ("/ratelimit svc-user 50/1s", RateLimit("svc-user", "set", 50, "1s")),
    ("/route svc-user header user=w_shenyu -> v2 for 1h",
     Route("svc-user", "header", "user", "w_shenyu", "exact", "v2", duration="1h")),
    ("/route svc-user header x-tenant=beta prefix -> v2 for 90m",
     Route("svc-user", "header", "x-tenant", "beta", "prefix", "v2", duration="90m")),
    ("/route svc-user cookie user=w_shenyu -> v2 for 2s",
     Route("svc-user", "cookie", "user", "w_shenyu", "exact", "v2", duration="2s")),
    ("/route svc-user header user=w_shenyu -> v2",
     Route("svc-user", "header", "user", "w_shenyu", "exact", "v2")),
])
def test_for_time_boxes_a_rate_limit_or_a_route(text: str, intent: object) -> None:
    assert commands.parse(text).intent == intent


@pytest.mark.parametrize(("text", "named"), [
    ("/ratelimit svc-user 50/1s for", "the duration after for"),
    ("/ratelimit svc-user 50/1s for soon", '"soon"'),
    ("/ratelimit svc-user 50/1s for 500ms", '"500ms"'),
    ("/ratelimit svc-user 50/1s for 9000h", '"9000h"'),
    ("/ratelimit svc-user 50/1s for 2h shadow", '"shadow"'),
    ("/route svc-user header user=w_shenyu -> v2 for", "the duration after for"),
    ("/route svc-user header user=w_shenyu -> v2 for 0s", '"0s"'),
    ("/route svc-user header user=w_shenyu -> v2 for 1h now", '"now"'),
    ("/route svc-user header user=w_shenyu for 1h -> v2", '"-> v2"'),
])
def test_a_wrong_time_box_is_explained(text: str, named: str) -> None:
    assert_explained(text, named)


def test_the_usage_lines_offer_for() -> None:
    for name in ("ratelimit", "route"):
        spec = commands.lookup(name)
        assert spec is not None and "[for <d>]" in spec.usage
