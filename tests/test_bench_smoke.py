"""The benchmark runs at tiny sizes in the suite, so it never rots between `make bench`
runs; the figures themselves are the benchmark's business, not the tests'."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_the_benchmark_runs_at_tiny_sizes_and_writes_its_results(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "bench/run.py", "--sizes", "3", "--rounds", "2",
                           "--events", "50", "--out", str(out)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "command→PR ms" in done.stdout
    results = json.loads(out.read_text())
    assert [r["services"] for r in results] == [3]
    assert results[0]["command_to_pr_ms_median"] > 0
    assert results[0]["approve_to_applied_ms_median"] > 0
    assert results[0]["dashboard_first_page_ms_median"] > 0
    events = json.loads((tmp_path / "events-results.json").read_text())
    assert events["events"] == 50 and events["ingest_ms"] > 0
