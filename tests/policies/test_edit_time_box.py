"""Time boxes on a document: `for <d>` writes `rateLimit.expires` and a route's
`expires`; the checks read them; `/status` says until when; and govbot's `Expire` edit
ends exactly the parts whose `expires` it names."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.core.errors import InvalidDocument
from policies import document, kinds, status
from policies.edit import apply
from policies.edits.expiry import time_boxes
from policies.intents import Expire, Fault, RateLimit, Route
from tests.policies.sequence import NOW, run, spec

UNTIL = "2026-11-27T12:00:00Z"  # NOW + 2h
LIMIT = RateLimit("svc-user", "set", 10, "1s", duration="2h")
ROUTE = Route("svc-user", "header", "user", "w_shenyu", version="v2", duration="2h")
TENANT = Route("svc-user", "header", "tenant", "beta", version="v2")


def test_a_time_boxed_rate_limit_carries_its_end() -> None:
    text, edit = run([LIMIT])
    assert edit.summary == "ratelimit svc-user 10/1s for 2h (until 2026-11-27 12:00:00 UTC)"
    assert spec(text)["rateLimit"] == {"enabled": True, "requests": 10, "per": "1s",
                                       "expires": UNTIL}
    assert f'expires: "{UNTIL}"' in text


def test_a_limit_set_again_without_for_has_no_end() -> None:
    text, _ = run([LIMIT, RateLimit("svc-user", "set", 10, "1s")])
    assert "expires" not in spec(text)["rateLimit"]


def test_an_unresolved_time_box_is_a_bug_not_a_document() -> None:
    with pytest.raises(ValueError, match="resolve"):
        apply(LIMIT, None, "prod", "demo")


def test_a_time_boxed_route_carries_its_end_on_its_entry() -> None:
    text, edit = run([TENANT, ROUTE])
    assert edit.summary.endswith("for 2h (until 2026-11-27 12:00:00 UTC)")
    routes = spec(text)["routes"]
    assert "expires" not in routes[0] and routes[1]["expires"] == UNTIL


def test_the_same_route_again_takes_the_new_time_box_or_none() -> None:
    text, _ = run([ROUTE])
    later, edit = run([Route("svc-user", "header", "user", "w_shenyu", version="v2",
                             duration="3h")], text)
    assert spec(later)["routes"][0]["expires"] == "2026-11-27T13:00:00Z"
    assert "(route 1)" in edit.summary
    forever, _ = run([Route("svc-user", "header", "user", "w_shenyu", version="v2")], later)
    assert spec(forever)["routes"] == [
        {"match": {"headers": {"user": {"exact": "w_shenyu"}}}, "to": "v2"}]
    same = apply(replace(ROUTE, expires=UNTIL), text, "prod", "demo")
    assert same.after_text == text and "already" in same.summary


@pytest.mark.parametrize(("field", "path"), [
    ("rateLimit", "spec.rateLimit.expires"),
    ("routes", "spec.routes[0].expires"),
])
def test_an_end_that_is_no_time_is_named(field: str, path: str) -> None:
    text, _ = run([LIMIT if field == "rateLimit" else ROUTE])
    broken = text.replace(UNTIL, "tomorrow")
    problems = document.validate(document.plain(broken), "services/prod/demo/svc-user.yaml")
    assert any(p.startswith(path) for p in problems), problems


def test_status_says_until_when_and_expired_after() -> None:
    text, _ = run([TENANT, ROUTE, LIMIT])
    data = document.plain(text)
    now = status.status(data, NOW)
    assert "rate limit: on, 10 requests per 1s, until 2026-11-27 12:00:00 UTC" in now
    assert "→ v2, until 2026-11-27 12:00:00 UTC" in now
    later = status.status(data, NOW + timedelta(hours=3))
    assert "expired at 2026-11-27 12:00:00 UTC (govbot reverts it)" in later
    brief = kinds.RATELIMIT.status
    routes = kinds.ROUTE.status
    assert brief is not None and routes is not None
    assert brief.brief(data["spec"], NOW) == "ratelimit on (until 2026-11-27 12:00:00 UTC)"
    assert brief.brief(data["spec"], NOW + timedelta(hours=3)) == "ratelimit expired"
    assert routes.brief(data["spec"], NOW + timedelta(hours=3)) == "routes 2 (1 expired)"


def test_time_boxes_lists_every_part_with_an_end() -> None:
    text, _ = run([TENANT, ROUTE, LIMIT,
                   Fault("svc-user", "abort", 10, http_status=503, duration="30m")])
    data = document.plain(text)["spec"]
    data["release"] = {"strategy": "canary", "canaryWeight": 30, "expires": UNTIL}
    found = [(box.part, box.expires, box.what) for box in time_boxes(data)]
    assert found == [
        ("release", UNTIL, "canary weight 30%"),
        ("rateLimit", UNTIL, "rate limit 10/1s"),
        ("fault", "2026-11-27T10:30:00Z", "fault"),
        ("routes", UNTIL, "route header user=w_shenyu → v2"),
    ]


def test_expire_removes_an_ended_fault() -> None:
    text, _ = run([TENANT, Fault("svc-user", "abort", 10, http_status=503, duration="30m")])
    edit = apply(Expire("svc-user", fault="2026-11-27T10:30:00Z", set_by=(2,)), text,
                 "prod", "demo")
    assert edit.summary == ("expire svc-user: fault ended (set until 2026-11-27 10:30:00 "
                            "UTC) (set by #2)")
    assert edit.after_text is not None and "fault" not in spec(edit.after_text)
    assert spec(edit.after_text)["routes"] == spec(text)["routes"]


def test_expire_puts_back_the_limit_there_was_or_none() -> None:
    text, _ = run([LIMIT])
    earlier = {"enabled": True, "requests": 100, "per": "1s",
               "match": {"headers": {"user": {"exact": "w_shenyu"}}}}
    back = apply(Expire("svc-user", rate_limit=UNTIL, rate_limit_before=json.dumps(earlier)),
                 text, "prod", "demo")
    assert back.after_text is not None and spec(back.after_text)["rateLimit"] == earlier
    assert "back to 100/1s" in back.summary
    gone = apply(Expire("svc-user", rate_limit=UNTIL), text, "prod", "demo")
    assert gone.after_text is not None and "rateLimit" not in spec(gone.after_text)


def test_expire_puts_back_the_canary_weight() -> None:
    text, _ = run([TENANT])
    timed = text.replace("spec:\n", "spec:\n  release:\n    strategy: canary\n"
                         f'    canaryWeight: 40\n    expires: "{UNTIL}"\n', 1)
    edit = apply(Expire("svc-user", release=UNTIL, canary_weight_before=20), timed,
                 "prod", "demo")
    assert edit.after_text is not None
    assert spec(edit.after_text)["release"] == {"strategy": "canary", "canaryWeight": 20}
    assert "40% → 20%" in edit.summary


def test_expire_removes_only_the_routes_that_ended() -> None:
    text, _ = run([ROUTE, TENANT])
    edit = apply(Expire("svc-user", routes=(UNTIL,)), text, "prod", "demo")
    assert edit.after_text is not None
    assert spec(edit.after_text)["routes"] == [
        {"match": {"headers": {"tenant": {"exact": "beta"}}}, "to": "v2"}]
    alone, _ = run([ROUTE])
    empty = apply(Expire("svc-user", routes=(UNTIL,)), alone, "prod", "demo")
    assert empty.after_text is not None and "routes" not in spec(empty.after_text)


def test_a_part_set_again_since_is_left_alone() -> None:
    text, _ = run([LIMIT, RateLimit("svc-user", "set", 10, "1s", duration="3h")])
    edit = apply(Expire("svc-user", rate_limit=UNTIL), text, "prod", "demo")
    assert edit.after_text == text and "nothing ended" in edit.summary


def test_an_expire_that_would_break_the_document_is_refused() -> None:
    text, _ = run([LIMIT])
    with pytest.raises(InvalidDocument, match="rateLimit"):
        apply(Expire("svc-user", rate_limit=UNTIL, rate_limit_before='{"requests": 0}'),
              text, "prod", "demo")
