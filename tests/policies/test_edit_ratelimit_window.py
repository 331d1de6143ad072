"""A rate-limit window stays within Envoy's range, 50ms to 24h."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidDocument
from policies.intents import RateLimit
from tests.policies.sequence import run, spec


@pytest.mark.parametrize(("per", "ok"), [
    ("49ms", False), ("50ms", True), ("24h", True), ("24h1ms", False), ("99999999999h", False)])
def test_a_rate_limit_window_is_between_50ms_and_24h(per: str, ok: bool) -> None:
    intent = RateLimit("svc-user", "set", 5, per)
    if ok:
        text, _ = run([intent])
        assert spec(text)["rateLimit"]["per"] == per
        return
    with pytest.raises(InvalidDocument) as raised:
        run([intent])
    assert any(p.startswith("spec.rateLimit.per:") for p in raised.value.problems)
