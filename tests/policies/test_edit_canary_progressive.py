"""A progressive canary's plan and a time-boxed weight in the release section."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from policies import document, status_lines
from policies.checks.service import progressive, release
from policies.intents import Canary
from tests.policies.sequence import run, spec

PLAN = Canary("svc-user", "set", 10, step_by=10, every="15m", until=50, gate_success=99.5,
              gate_p99="500ms")


def test_a_plan_sets_the_start_weight_and_writes_the_plan_in_block_style() -> None:
    text, edit = run([PLAN])
    assert spec(text)["release"] == {
        "strategy": "canary", "canaryWeight": 10,
        "progressive": {"step": 10, "every": "15m", "until": 50,
                        "gate": {"successRate": 99.5, "p99": "500ms"}}}
    assert "  progressive:\n      step: 10\n" in text and "{" not in text
    assert edit.summary == ("canary svc-user 0% → 10%, then +10 every 15m until 50%, "
                            "gate success ≥ 99.5%, p99 < 500ms")
    assert document.validate(document.plain(text), "services/prod/demo/svc-user.yaml") == []


def test_a_step_without_a_plan_changes_only_the_weight() -> None:
    started, _ = run([PLAN])
    stepped, edit = run([Canary("svc-user", "set", 20)], started)
    assert edit.summary == "canary svc-user 10% → 20%"
    assert stepped == started.replace("canaryWeight: 10", "canaryWeight: 20")


@pytest.mark.parametrize("ending", [Canary("svc-user", "abort"),
                                    Canary("svc-user", "promote"),
                                    Canary("svc-user", "set", 0)])
def test_abort_promote_and_zero_end_the_plan(ending: Canary) -> None:
    started, _ = run([PLAN])
    ended, edit = run([ending], started)
    assert "progressive" not in spec(ended)["release"]
    assert edit.summary.endswith("; progressive plan ended")


def test_a_new_plan_replaces_the_old_one() -> None:
    started, _ = run([PLAN])
    again, _ = run([Canary("svc-user", "set", 20, step_by=5, every="1h", until=40)], started)
    assert spec(again)["release"]["progressive"] == {"step": 5, "every": "1h", "until": 40}


def test_for_writes_the_end_of_the_weight_and_a_plain_weight_removes_it() -> None:
    boxed, edit = run([Canary("svc-user", "set", 20, duration="30m")])
    assert spec(boxed)["release"]["expires"] == "2026-11-27T10:30:00Z"
    assert edit.summary == "canary svc-user 0% → 20% for 30m (until 2026-11-27T10:30:00Z)"
    plain, _ = run([Canary("svc-user", "set", 10)], boxed)
    assert "expires" not in spec(plain)["release"]


def test_a_plan_ends_a_time_box() -> None:
    boxed, _ = run([Canary("svc-user", "set", 20, duration="30m")])
    planned, _ = run([PLAN], boxed)
    assert "expires" not in spec(planned)["release"]
    assert "progressive" in spec(planned)["release"]


def test_for_on_a_service_with_a_plan_is_refused_with_the_way_out() -> None:
    started, _ = run([PLAN])
    with pytest.raises(UserError) as raised:
        run([Canary("svc-user", "set", 20, duration="30m")], started)
    text = str(raised.value)
    assert "progressive" in text and "/canary svc-user abort" in text


@pytest.mark.parametrize(("plan", "field"), [
    ({"step": 0, "every": "15m", "until": 50}, "step"),
    ({"step": 101, "every": "15m", "until": 50}, "step"),
    ({"step": 10, "every": "soon", "until": 50}, "every"),
    ({"step": 10, "every": "15m", "until": 120}, "until"),
    ({"step": 10, "every": "15m"}, "until: required"),
    ({"step": 10, "every": "15m", "until": 50, "gate": {"successRate": 101}}, "successRate"),
    ({"step": 10, "every": "15m", "until": 50, "gate": {"p99": "fast"}}, "p99"),
    ({"step": 10, "every": "15m", "until": 50, "gate": {"p95": "1s"}}, "p95"),
    ({"step": 10, "every": "15m", "until": 50, "gate": {}}, "gate"),
    ({"step": 10, "every": "15m", "until": 50, "pace": 1}, "pace"),
    ("fast", "mapping"),
])
def test_a_broken_plan_is_named_by_the_checks(plan: object, field: str) -> None:
    problems = progressive(plan, "spec.release.progressive")
    assert any(field in problem for problem in problems), problems


def test_a_good_plan_passes_and_blue_green_cannot_have_one() -> None:
    good = {"step": 10, "every": "15m", "until": 50, "gate": {"successRate": 99.5}}
    assert progressive(good, "spec.release.progressive") == []
    assert release({"strategy": "canary", "canaryWeight": 10, "progressive": good},
                   "spec.release") == []
    problems = release({"strategy": "blueGreen", "active": "v2", "progressive": good},
                       "spec.release")
    assert any("only with strategy canary" in p for p in problems), problems
    assert release({"canaryWeight": 10, "expires": "tomorrow"}, "spec.release") != []


def test_status_shows_the_plan_its_end_and_the_time_box() -> None:
    started, _ = run([PLAN])
    line = status_lines.RELEASE.line(spec(started), None)
    assert line == ("release: canary, 90% to v1, 10% to v2; progressive: 10% → 50% by 10 "
                    "every 15m, gate success ≥ 99.5%, p99 < 500ms")
    assert status_lines.RELEASE.brief(spec(started), None) == "canary 10% → 50%"
    reached, _ = run([Canary("svc-user", "set", 50)], started)
    assert "progressive: reached 50%" in status_lines.RELEASE.line(spec(reached), None)
    boxed, _ = run([Canary("svc-user", "set", 20, duration="30m")])
    assert "until 2026-11-27T10:30:00Z" in status_lines.RELEASE.line(spec(boxed), None)
