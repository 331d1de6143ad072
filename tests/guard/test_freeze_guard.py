"""Change freezes in the guard: the OPA-server path decides the freeze samples as the
embedded engine does, and the /freeze listing (policies/freeze.py) agrees with the Rego
rule on whether, and until when, an environment is frozen at many instants."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import ConfigError
from bot.core.types import Approval, RuleSet
from bot.guard.embedded import EmbeddedGuard
from bot.guard.regotest import sample_data
from bot.guard.server import OpaServerGuard
from bot.resources import rego_dir
from bot.runners import describing
from policies import freeze
from tests.support.opa_rest import running

from .inputs import policy, rego_modules, template_yaml

FREEZES: list[dict[str, Any]] = [
    {"name": "year-end", "from": "2026-12-24 00:00", "to": "2027-01-02 08:00",
     "timeZone": "Asia/Shanghai"},
    {"name": "weekend", "every": "friday 18:00", "until": "monday 08:00",
     "timeZone": "Asia/Shanghai"},
    # daylight saving: New York moves its clocks on 2026-03-08 and 2026-11-01
    {"name": "night", "every": "Sunday 23:30", "until": "monday 02:30",
     "timeZone": "America/New_York"},
    {"name": "release-train", "every": "wednesday 09:00", "until": "wednesday 17:00",
     "timeZone": "Europe/Berlin"},
    {"name": "audit", "from": "2026-03-29 01:30", "to": "2026-03-29 03:30",
     "timeZone": "Europe/Berlin"},
    {"name": "utc-window", "from": "2026-06-01 00:00", "to": "2026-06-15 12:00"},
]
ENGINE = EmbeddedGuard()


def _rules(freezes: list[dict[str, Any]], key: str) -> RuleSet:
    config = template_yaml("govbot.yaml")
    config["environments"]["prod"]["freezes"] = freezes
    return RuleSet(key=key, modules=rego_modules(), config=config,
                   access=template_yaml("access.yaml"))


RULES = _rules(FREEZES, "freeze-property")


def _raise(now: datetime) -> dict[str, Any]:
    return {"action": "canary", "actor": {"id": "alice", "groups": ["team"]}, "env": "prod",
            "namespace": "demo", "target": "svc-user",
            "path": "services/prod/demo/svc-user.yaml", "before": policy(10, "prod"),
            "after": policy(20, "prod"), "approvals": [],
            "now": now.isoformat().replace("+00:00", "Z")}


def _freeze_messages(now: datetime) -> set[str]:
    decision = ENGINE.decide(RULES, _raise(now))
    return {m for m in decision.deny if m.startswith("[schedule.freeze]")}


def _expected(now: datetime) -> set[str]:
    """What the listing says holds at `now`, as the pieces a deny message names."""
    return {f"until {freeze.wall_text(o.end)} {o.window.zone} ({o.window.name})"
            for o in freeze.current(freeze.read(FREEZES), now)}


def _agree(now: datetime) -> None:
    messages = _freeze_messages(now)
    expected = _expected(now)
    assert bool(messages) == freeze.frozen(freeze.read(FREEZES), now), now
    assert len(messages) == len(expected), (now, messages, expected)
    for piece in expected:
        assert any(piece in m for m in messages), (now, piece, messages)


@settings(max_examples=400, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31),
                    timezones=st.just(UTC)))
def test_the_listing_and_the_guard_agree_on_any_instant(now: datetime) -> None:
    _agree(now.replace(microsecond=0))


def test_they_agree_at_every_edge() -> None:
    """Each start and end, a second either side — daylight-saving nights included."""
    edges = []
    for occurrence in [*freeze.upcoming(freeze.read(FREEZES), datetime(2026, 1, 1, tzinfo=UTC)),
                       *_weekly_edges()]:
        for moment in (occurrence.start, occurrence.end):
            edges.append(moment.astimezone(UTC))
    assert len(edges) > 20
    for edge in edges:
        for offset in (-1, 0, 1):
            _agree(datetime.fromtimestamp(edge.timestamp() + offset, UTC))


def _weekly_edges() -> list[freeze.Occurrence]:
    """Occurrences of the weekly windows around the daylight-saving changes of 2026."""
    found = []
    for start in (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 22, tzinfo=UTC),
                  datetime(2026, 10, 18, tzinfo=UTC), datetime(2026, 10, 25, tzinfo=UTC)):
        found += [o for o in freeze.upcoming(freeze.read(FREEZES), start) if o.window.weekly]
    return found


def test_the_server_path_decides_the_freeze_samples_as_the_embedded_engine() -> None:
    samples = sorted(rego_dir().joinpath("samples").glob("freeze_*.json"))
    assert len(samples) >= 5
    config, access = template_yaml("govbot.yaml"), template_yaml("access.yaml")
    with running() as (_state, url):
        server = OpaServerGuard(url)
        seen_deny = False
        for number, path in enumerate(samples):
            sample = json.loads(path.read_text())
            laid = sample_data({"govbot": {"config": config}}, sample.get("config"))
            rules = RuleSet(key=f"freeze-{number}", modules=rego_modules(),
                            config=laid["govbot"]["config"], access=access)
            ours, theirs = ENGINE.decide(rules, sample["input"]), server.decide(
                rules, sample["input"])
            assert ours == theirs, path.name
            assert ours.allow == sample["expect"]["allow"], path.name
            seen_deny |= any(m.startswith("[schedule.freeze]") for m in ours.deny)
        assert seen_deny


def test_a_window_in_another_environment_leaves_prod_alone() -> None:
    config = template_yaml("govbot.yaml")
    config["environments"]["dev"]["freezes"] = FREEZES
    rules = RuleSet(key="dev-freeze", modules=rego_modules(), config=config,
                    access=template_yaml("access.yaml"))
    decision = ENGINE.decide(rules, _raise(datetime(2026, 12, 28, 3, 0, tzinfo=UTC)))
    assert not any(m.startswith("[schedule.freeze]") for m in decision.deny)


def test_an_approved_change_that_only_a_freeze_holds_back_shows_as_waiting() -> None:
    frozen = datetime(2026, 12, 28, 3, 0, tzinfo=UTC)
    approved = {**_raise(frozen), "approvals": [
        {"by": "bob", "at": "2026-12-28T03:01:00Z"}, {"by": "carol", "at": "2026-12-28T03:02:00Z"}]}
    decision = ENGINE.decide(RULES, approved)
    assert decision.approvals_valid == decision.approvals_required == 2
    state, text = describing.status(decision)
    assert (state, text.split(":")[0]) == ("pending", "waits for the change freeze")
    assert "(year-end)" in text
    given = [Approval(person, frozen, "content") for person in ("bob", "carol")]
    verdict = "\n".join(describing.verdict(decision, given))
    assert "Waits for the change freeze" in verdict and "Denied" not in verdict
    # a freeze and another reason: denied, not waiting
    jump = {**approved, "after": policy(90, "prod")}
    both = ENGINE.decide(RULES, jump)
    assert len(both.deny) == 2
    assert describing.status(both)[0] == "failure"


def test_an_unknown_zone_stops_only_decisions_that_would_read_it() -> None:
    rules = _rules([{"name": "typo", "every": "friday 18:00", "until": "monday 08:00",
                     "timeZone": "Asia/Shangai"}], "bad-zone")
    now = datetime(2026, 12, 28, 3, 0, tzinfo=UTC)
    with pytest.raises(ConfigError, match="Asia/Shangai"):
        ENGINE.decide(rules, _raise(now))
    # a de-escalation is exempt before any window is read; govbot.yaml may be fixed
    abort = {**_raise(now), "before": policy(20, "prod"), "after": policy(0, "prod")}
    assert ENGINE.decide(rules, abort).allow
    fix = {**_raise(now), "path": "govbot.yaml", "env": "", "before": None, "after": None}
    assert not any(m.startswith("[schedule.freeze]") for m in ENGINE.decide(rules, fix).deny)
