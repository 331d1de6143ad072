"""Benchmarks: command → pull request, approve → merge → apply, and the dashboard's first
page of the namespace, at 10 and 10,000 services; and a burst of governance events
through the funnel (`Workflow.ingest`).

The cost of a command must not grow with the policy repository: both sizes should give
nearly the same figures. Prints a table and writes bench/results.json (the events figure
to bench/events-results.json, beside it).

    make bench                       # or: .venv/bin/python bench/run.py --sizes 10 10000
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot import resources
from bot.app import App, build
from bot.core.events import GovernanceEvent
from bot.core.types import Author, Command
from bot.repo.git import PolicyRepo
from bot.runners.links import sign
from bot.settings import Settings
from bot.web.app import dashboard_app
from policies.document import new_document, service_path


def _seed(home: Path, services: int) -> None:
    files = resources.template_files()
    for i in range(services):
        name = f"svc-{i:05d}"
        files[service_path("dev", "demo", name)] = new_document("dev", "demo", name)
    PolicyRepo.init(home / "policy.git", files, Author("bench", "bench@localhost"))


def _measure(services: int, rounds: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        started = time.perf_counter()
        _seed(home, services)
        seed_s = time.perf_counter() - started
        app = build(Settings.from_env({"GOVBOT_HOME": str(home)}))
        started = time.perf_counter()
        app.workflow.sync()  # the first start renders every service once
        first_sync_s = time.perf_counter() - started
        opened: list[float] = []
        merged: list[float] = []
        for i in range(rounds):
            text = f"/canary svc-{i:05d} 20%"
            t0 = time.perf_counter()
            reply = app.workflow.handle(Command("console", "alice", "console", text))
            t1 = time.perf_counter()
            change = reply[0].change_id
            assert change is not None, reply
            done = app.workflow.handle(Command("console", "bob", "console", f"/approve {change}"))
            t2 = time.perf_counter()
            assert "merged" in done[0].text, done
            opened.append((t1 - t0) * 1000)
            merged.append((t2 - t1) * 1000)
        page_ms = _dashboard_page(app, rounds)
        app.close()
    return {"services": services, "seed_s": round(seed_s, 2),
            "first_sync_s": round(first_sync_s, 2),
            "command_to_pr_ms_median": round(statistics.median(opened), 1),
            "approve_to_applied_ms_median": round(statistics.median(merged), 1),
            "dashboard_first_page_ms_median": page_ms}


def _dashboard_page(app: App, rounds: int) -> float:
    """The median time of the namespace page (`/ui/dev/demo/`, its first 50 services)
    through the dashboard's WSGI app, for a signed-in approver."""
    context = app.workflow.context
    dashboard = dashboard_app(context, app.settings.dashboard)
    session = sign(context.links.key, "session", "bob", int(time.time()) + 3600)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/ui/dev/demo/", "QUERY_STRING": "",
               "REMOTE_ADDR": "127.0.0.1", "HTTP_COOKIE": f"govbot_session={session}"}
    statuses: list[str] = []
    timings: list[float] = []
    for _ in range(rounds):
        started = time.perf_counter()
        b"".join(dashboard(dict(environ), lambda status, _headers: statuses.append(status)))
        timings.append((time.perf_counter() - started) * 1000)
    assert all(s.startswith("200") for s in statuses), statuses
    return round(statistics.median(timings), 1)


def _measure_events(count: int) -> dict[str, float]:
    """One burst of `count` events over 100 services of a bound namespace: recorded,
    grouped and routed in one `ingest` call; then `/events` of one service."""
    now = datetime.now(UTC)
    burst = [GovernanceEvent("circuit_break", "prod", "demo", f"svc-{n % 100:03d}",
                             now - timedelta(seconds=n % 300), code=503,
                             source_service=f"caller-{n % 7}", source_namespace="demo")
             for n in range(count)]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _seed(home, 0)
        app = build(Settings.from_env({"GOVBOT_HOME": str(home)}))
        started = time.perf_counter()
        told = app.workflow.ingest(burst)
        ingest_s = time.perf_counter() - started
        started = time.perf_counter()
        app.workflow.handle(Command("console", "alice", "console",
                                    "/events svc-001 since 1h --env prod --ns demo"))
        query_s = time.perf_counter() - started
        app.close()
    return {"events": count, "ingest_ms": round(ingest_s * 1000, 1),
            "events_per_s": round(count / ingest_s), "messages": len(told),
            "events_query_ms": round(query_s * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 10_000])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--events", type=int, default=10_000,
                        help="governance events in the funnel's burst (default 10000)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.json"),
                        help="where the results go as JSON (default: bench/results.json)")
    args = parser.parse_args()
    results = [_measure(size, args.rounds) for size in args.sizes]
    print(f"{'services':>9} {'command→PR ms':>14} {'approve→applied ms':>19} "
          f"{'dashboard page ms':>18} {'first sync s':>13} {'seed s':>7}")
    for r in results:
        print(f"{r['services']:>9} {r['command_to_pr_ms_median']:>14} "
              f"{r['approve_to_applied_ms_median']:>19} "
              f"{r['dashboard_first_page_ms_median']:>18} {r['first_sync_s']:>13} "
              f"{r['seed_s']:>7}")
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    events = _measure_events(args.events)
    print(f"{events['events']} governance events ingested in one burst: "
          f"{events['ingest_ms']} ms ({events['events_per_s']}/s), told as "
          f"{events['messages']} messages; /events of one service {events['events_query_ms']} ms")
    args.out.with_name("events-results.json").write_text(json.dumps(events, indent=2) + "\n")


if __name__ == "__main__":
    main()
