"""/status text: versions, release and rate limit of one service."""

from __future__ import annotations

from typing import Any

from policies import document
from policies.edit import apply
from policies.intents import Canary, RateLimit
from policies.status import status


def data_after(*intents: Canary | RateLimit) -> dict[str, Any]:
    text: str | None = None
    for intent in intents:
        text = apply(intent, text, "prod", "demo").after_text
    assert text is not None
    return document.plain(text)


def test_a_new_document_has_all_traffic_on_stable_and_no_rate_limit() -> None:
    lines = status(document.plain(document.new_document("prod", "demo", "svc-user"))).splitlines()
    assert lines == [
        "svc-user in prod/demo",
        "versions: stable v1, canary v2",
        "release: canary, all traffic to v1",
        "rate limit: not set",
    ]


def test_canary_and_header_rate_limit_are_shown_with_their_numbers() -> None:
    data = data_after(Canary("svc-user", "set", 20),
                      RateLimit("svc-user", "set", 500, "5s", ("user", "w_shenyu")))
    lines = status(data).splitlines()
    assert lines[2] == "release: canary, 80% to v1, 20% to v2"
    assert lines[3] == "rate limit: on, 500 requests per 5s, only header user=w_shenyu"


def test_a_rate_limit_turned_off_keeps_its_numbers() -> None:
    data = data_after(RateLimit("svc-user", "set", 9, "1m"), RateLimit("svc-user", "off"))
    assert status(data).splitlines()[3] == "rate limit: off, 9 requests per 1m"


def test_after_promote_there_is_no_canary() -> None:
    data = data_after(Canary("svc-user", "set", 50), Canary("svc-user", "promote"))
    assert status(data).splitlines()[1:3] == [
        "versions: stable v2, no canary", "release: canary, all traffic to v2"]


def test_a_broken_document_still_gets_an_answer() -> None:
    text = status({"metadata": "x", "spec": {"release": {"canaryWeight": "lots"},
                                            "versions": {"stable": "v1", "canary": "v2"},
                                            "rateLimit": 7}})
    assert text.splitlines() == [
        "? in ?/?",
        "versions: stable v1, canary v2",
        "release: canary weight 'lots' is not a percentage",
        "rate limit: on, ? requests per ?",
    ]
