"""The benchmark runs at tiny sizes in the suite, so it never rots between `make bench`
runs: every performance figure comes out with its goal, in the table and in a
well-formed results file. The figures themselves are the benchmark's business, not the
tests'. The README's performance table must be the one bench/report.py makes from the
committed bench/results.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.figures import Goal, percentile, summary
from bench.generate import generate, namespace_names
from bench.report import BEGIN, END, RESULTS, replace_section, table
from bot.repo.git import PolicyRepo

REPO_ROOT = Path(__file__).resolve().parents[2]


def _smoke_keys() -> set[str]:
    """The figures `bench/run.py --smoke` must give: 5 concurrent requests, repositories
    of 3 and 10 services in 1 and 3 namespaces."""
    keys = {"serve.rss_start", "serve.rss_after", "guard.embedded", "guard.opa_server",
            "storm.ingest_rate", "storm.stored", "storm.chat_rate"}
    for prefix, platforms in (("serve", ("slack", "dingtalk")), ("replicas", ("slack",))):
        keys |= {f"{prefix}.{platform}.5.{what}" for platform in platforms
                 for what in ("ack_p99", "acked", "opened_per_s")}
    for namespaces in (1, 3):
        keys |= {f"changes.{size}.{namespaces}.{what}" for size in (3, 10)
                 for what in ("command_to_pr", "approve_to_applied")}
        keys |= {f"changes.10.{namespaces}.restart_approval",
                 f"changes.10.{namespaces}.restart_sync", f"changes.ratio.{namespaces}"}
        keys |= {f"render.{namespaces}.{what}"
                 for what in ("scratch", "full_unchanged", "rewritten", "one_change",
                              "plain.scratch", "plain.full_unchanged")}
    return keys


def _check_figure(figure: dict[str, Any]) -> None:
    assert figure["label"] and figure["unit"] is not None, figure
    assert figure["goal_op"] in ("<=", ">=") and isinstance(figure["goal_limit"], int | float)
    assert figure["goal"].startswith(("≤", "≥")), figure
    if figure["value"] is None:  # only two replicas may go without PostgreSQL, saying so
        assert figure["key"].startswith("replicas.") and "listens" in figure["note"], figure
        assert figure["met"] is None
        return
    assert isinstance(figure["value"], int | float) and figure["value"] >= 0, figure
    assert figure["met"] is Goal(figure["goal_op"], figure["goal_limit"]).met(figure["value"])


def test_the_smoke_run_gives_every_figure_with_its_goal(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "bench/run.py", "--smoke", "--out", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["machine"]) >= {"cores", "cpu", "python", "date"}
    assert results["machine"]["cores"] >= 1 and results["duration_s"] > 0
    figures = results["figures"]
    keys = [f["key"] for f in figures]
    assert len(keys) == len(set(keys))
    assert set(keys) == _smoke_keys()
    for figure in figures:
        _check_figure(figure)
    timed = next(f for f in figures if f["key"] == "changes.10.1.command_to_pr")
    assert timed["stats"]["n"] == 2 and timed["stats"]["p50"] <= timed["stats"]["p99"]
    assert done.stdout == table(results)
    for figure in figures:
        assert figure["label"] in done.stdout and figure["goal"] in done.stdout


def test_the_readme_quotes_the_committed_results() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    assert replace_section(readme, results) == readme, \
        "README's performance table differs: run .venv/bin/python bench/report.py --readme " \
        "README.md"


@pytest.mark.parametrize(("values", "p", "expected"), [
    ([1.0], 99, 1.0), ([3.0, 1.0, 2.0], 50, 2.0), ([float(n) for n in range(1, 101)], 95, 95.0),
    ([float(n) for n in range(1, 101)], 99, 99.0), ([1.0, 2.0], 99, 2.0)])
def test_percentiles_are_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == expected


def test_a_summary_and_goals() -> None:
    assert summary([]) == {"n": 0}
    assert summary([4.0, 1.0, 2.0, 3.0]) == {"n": 4, "p50": 2.5, "p95": 4.0, "p99": 4.0,
                                             "max": 4.0}
    assert Goal("<=", 50).met(50) and not Goal("<=", 50).met(50.1)
    assert Goal(">=", 50).met(51) and not Goal(">=", 50).met(49)
    assert Goal("<=", 1).met(None) is None
    assert Goal(">=", 10_000).text("events/s") == "≥ 10000 events/s"


def test_the_generator_spreads_services_over_namespaces_govbot_knows(tmp_path: Path) -> None:
    layout = generate(tmp_path / "policy.git", services=7, namespaces=3)
    repo = PolicyRepo(tmp_path / "policy.git")
    main = repo.head("main")
    assert namespace_names(3) == ["demo", "ns-001", "ns-002"]
    generated = {f"services/dev/{ns}/{svc}.yaml" for ns, svc in layout.services}
    assert len(generated) == 7 and generated <= set(repo.list_files(main, "services/"))
    assert {ns for ns, _svc in layout.services} == {"demo", "ns-001", "ns-002"}
    config = repo.read(main, "govbot.yaml") or ""
    assert "ns-002:" in config
    assert layout.command(5, "/canary {svc} 20%") == "/canary svc-00005 20% --env dev --ns ns-002"
