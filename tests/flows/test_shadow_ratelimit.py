"""A shadow rate limit: counted by Envoy, not enforced, until `enforce` (issue #11)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from policies import document
from tests.conftest import Govbot
from tests.support.schemas import require_schemas, validate_object

FILTER = "envoy.filters.http.local_ratelimit"


def _merge(govbot: Govbot, text: str) -> str:
    opened = govbot.one(text)
    assert opened.ok and opened.change_id, opened.text
    merged = govbot.one(f"/approve {opened.change_id}", user="bob")
    assert merged.ok and "merged" in merged.text, merged.text
    return opened.text


def _configs(rendered: Path) -> list[dict[str, Any]]:
    """Every local rate limit config of the rendered EnvoyFilter that carries percentages."""
    envoy_filter = yaml.safe_load((rendered / "envoyfilter-svc-user-local-ratelimit.yaml")
                                  .read_text())
    require_schemas()
    assert validate_object(envoy_filter) == []
    found = []
    for patch in envoy_filter["spec"]["configPatches"]:
        value = patch["patch"]["value"]
        config = (value.get("typed_per_filter_config", {}).get(FILTER)
                  or value.get("typed_config"))["value"]
        if "filter_enforced" in config:
            found.append(config)
    assert found
    return found


def _percents(configs: list[dict[str, Any]]) -> set[tuple[int, int]]:
    return {(c["filter_enabled"]["default_value"]["numerator"],
             c["filter_enforced"]["default_value"]["numerator"]) for c in configs}


@pytest.mark.parametrize("header", ["", " header user=w_shenyu"])
def test_shadow_renders_enforced_0_and_enforce_renders_100(govbot: Govbot, header: str) -> None:
    _merge(govbot, f"/ratelimit svc-user 500/5s{header} shadow")
    doc = yaml.safe_load(govbot.git("show", "main:services/dev/demo/svc-user.yaml"))
    assert doc["spec"]["rateLimit"]["mode"] == "shadow"
    assert _percents(_configs(govbot.rendered())) == {(100, 0)}
    assert "shadow" in govbot.one("/status svc-user").text

    _merge(govbot, "/ratelimit svc-user enforce")
    assert _percents(_configs(govbot.rendered())) == {(100, 100)}
    doc = yaml.safe_load(govbot.git("show", "main:services/dev/demo/svc-user.yaml"))
    assert "mode" not in doc["spec"]["rateLimit"]
    assert "already" in govbot.one("/ratelimit svc-user enforce").text


def test_a_new_rate_without_shadow_enforces(govbot: Govbot) -> None:
    _merge(govbot, "/ratelimit svc-user 500/5s shadow")
    _merge(govbot, "/ratelimit svc-user 400/5s")
    assert _percents(_configs(govbot.rendered())) == {(100, 100)}


def test_enforce_without_a_limit_says_how_to_set_one(govbot: Govbot) -> None:
    reply = govbot.one("/ratelimit svc-user enforce")
    assert not reply.ok and "shadow" in reply.text


def test_a_mode_that_is_neither_is_refused() -> None:
    text = document.new_document("dev", "demo", "svc-user") + (
        "  rateLimit: {enabled: true, requests: 5, per: 1s, mode: dry-run}\n")
    problems = document.validate(document.load(text), "services/dev/demo/svc-user.yaml")
    assert any("rateLimit.mode" in p for p in problems), problems
