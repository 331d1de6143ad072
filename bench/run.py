"""`make bench`: every performance figure of govbot with its goal beside it — chat acks and the work
behind them against `govbot serve` (one process, and two replicas on one PostgreSQL),
command → PR and approve → applied over repositories of several sizes and layouts, the
first approval after a restart, guard decisions, rendering, an event storm and memory.

Timings are summarised as p50/p95/p99 over their repetitions; ratios are taken inside
one run. Prints a table and writes the figures, with the machine and the date, to
bench/results.json (bench/report.py turns that file into the README's table).

    make bench                                     # the full sizes (about 15 minutes)
    .venv/bin/python bench/run.py --smoke --out /tmp/results.json   # tiny, for the tests
    .venv/bin/python bench/run.py --groups guard render             # some groups only
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import chatload, flows, guard, storm
from bench.figures import Figure, Goal, machine, ms, summary
from bench.report import table

GROUPS = ("chat", "replicas", "changes", "guard", "render", "storm")
ACK = Goal("<=", 50)           # ms, p99
CHANGES_PER_S = Goal(">=", 50)
WAIT_MS = Goal("<=", 50)       # command → PR, approve → applied: p50
RSS_MB = Goal("<=", 200)
LAYOUT = {1: "one namespace", 100: "100 namespaces"}


def _layout(namespaces: int) -> str:
    return LAYOUT.get(namespaces, f"{namespaces} namespaces")


def _load_figures(load: chatload.Load, prefix: str, label: str) -> list[Figure]:
    found: list[Figure] = []
    for (platform, size), bursts in load.bursts.items():
        acks = ms([a for b in bursts for a in b.acks_s])
        stats = summary(acks)
        sent = size * len(bursts)
        what = f"{label}{size} concurrent {platform} {_request(platform)}"
        found.append(Figure(f"{prefix}.{platform}.{size}.ack_p99", f"{what}: ack", "ms",
                            stats.get("p99"), ACK, stats,
                            f"{len(bursts)} burst{'' if len(bursts) == 1 else 's'}"))
        found.append(Figure(f"{prefix}.{platform}.{size}.acked", f"{what}: acked", "%",
                            round(100 * len(acks) / sent, 1), Goal(">=", 100),
                            note=f"{sent - len(acks)} of {sent} without a 200"))
        rates = [b.opened / b.work_s for b in bursts if b.expected and b.work_s > 0]
        found.append(Figure(f"{prefix}.{platform}.{size}.opened_per_s",
                            f"{what}: changes opened behind the acks", "/s",
                            round(statistics.median(rates), 1) if rates else None,
                            CHANGES_PER_S, summary(rates),
                            f"{sum(b.opened for b in bursts)} opened of "
                            f"{sum(b.expected for b in bursts)} expected"))
    return found


def _request(platform: str) -> str:
    return "slash commands" if platform == "slack" else "robot callbacks"


def chat_figures(args: argparse.Namespace) -> list[Figure]:
    load = chatload.one_serve(args.serve_services, args.concurrency, args.serve_rounds,
                              args.commands)
    services = f"{args.serve_services:,} services"
    return [*_load_figures(load, "serve", ""),
            Figure("serve.rss_start", f"RSS of govbot serve after start, {services}", "MB",
                   round(load.rss_start_mb, 1), RSS_MB,
                   note=f"started in {load.start_s:.1f} s"),
            Figure("serve.rss_after", f"RSS of govbot serve after {load.commands:,} commands",
                   "MB", round(load.rss_after_mb, 1), RSS_MB)]


def replica_figures(args: argparse.Namespace) -> list[Figure]:
    load = chatload.two_replicas(args.serve_services, args.concurrency, args.serve_rounds)
    if load.skipped:
        return [Figure(f"replicas.slack.{size}.{what}", f"two replicas, {size} concurrent "
                       f"slack slash commands: {what}", unit, None, goal, note=load.skipped)
                for size in args.concurrency
                for what, unit, goal in (("ack_p99", "ms", ACK), ("acked", "%", Goal(">=", 100)),
                                         ("opened_per_s", "/s", CHANGES_PER_S))]
    return _load_figures(load, "replicas", "two replicas on one PostgreSQL, ")


def change_figures(args: argparse.Namespace) -> list[Figure]:
    found: list[Figure] = []
    for namespaces in args.layouts:
        p50: dict[int, float] = {}
        for size in args.sizes:
            rounds = args.rounds if size < 10_000 else args.rounds_large
            timings = flows.changes(size, namespaces, rounds)
            where = f"{size:,} services, {_layout(namespaces)}"
            opened, applied = summary(ms(timings.opened_s)), summary(ms(timings.applied_s))
            p50[size] = opened["p50"]
            found += [
                Figure(f"changes.{size}.{namespaces}.command_to_pr", f"command → PR, {where}",
                       "ms", opened["p50"], WAIT_MS, opened),
                Figure(f"changes.{size}.{namespaces}.approve_to_applied",
                       f"approve → merged → applied, {where}", "ms", applied["p50"],
                       WAIT_MS, applied)]
            if size == max(args.sizes):
                found += [
                    Figure(f"changes.{size}.{namespaces}.restart_sync",
                           f"start-up sync after a restart, nothing to render, {where}", "s",
                           round(timings.restart_sync_s, 2), Goal("<=", 1),
                           note=f"the fresh home's first start: {timings.first_start_s:.1f} s"),
                    Figure(f"changes.{size}.{namespaces}.restart_approval",
                           f"first approval after a restart, {where}", "ms",
                           round(timings.restart_approval_s * 1000, 1), WAIT_MS)]
        small, large = min(args.sizes), max(args.sizes)
        if small != large:
            found.append(Figure(
                f"changes.ratio.{namespaces}", f"command → PR p50, {large:,} / {small:,} "
                f"services, {_layout(namespaces)}", "×",
                round(p50[large] / p50[small], 2), Goal("<=", 1.1)))
    return found


def guard_figures(args: argparse.Namespace) -> list[Figure]:
    timings = guard.decisions(args.guard_rounds, args.server_rounds, args.guard_inputs)
    embedded, server = summary(ms(timings.embedded_s)), summary(ms(timings.server_s))
    overhead = round(server["p50"] - embedded["p50"], 3)
    return [Figure("guard.embedded", "guard decision, full guardrail set, embedded engine",
                   "ms", embedded["p50"], Goal("<=", 0.3), embedded,
                   f"{timings.inputs} sample inputs in turn"),
            Figure("guard.opa_server", "guard decision through the OPA-server adapter, local "
                   "OPA REST server", "ms", server["p50"], Goal("<=", 10), server,
                   f"the adapter's HTTP and JSON over embedded: {overhead} ms at p50")]


def render_figures(args: argparse.Namespace) -> list[Figure]:
    found: list[Figure] = []
    for namespaces in args.layouts:
        # the documents as onboarding writes them (what each service renders at least)
        plain = flows.render(args.render_services, namespaces, 0, releases=False)
        where = f"{args.render_services:,} services, {_layout(namespaces)}"
        found += [
            Figure(f"render.{namespaces}.plain.scratch", f"render all from scratch, {where}",
                   "s", round(plain.scratch_s, 2), Goal("<=", 5),
                   note=f"{plain.files:,} files"),
            Figure(f"render.{namespaces}.plain.full_unchanged", f"sync --full over the "
                   f"unchanged tree, {where}", "s", round(plain.full_unchanged_s, 2),
                   Goal("<=", 2), note=f"{plain.rewritten} of {plain.files:,} files rewritten")]
        timings = flows.render(args.render_services, namespaces, args.render_rounds)
        where = f"{args.render_services:,} services with releases, {_layout(namespaces)}"
        one = summary(ms(timings.one_change_s))
        found += [
            Figure(f"render.{namespaces}.scratch", f"render all from scratch, {where}", "s",
                   round(timings.scratch_s, 2), Goal("<=", 5),
                   note=f"{timings.files:,} files"),
            Figure(f"render.{namespaces}.full_unchanged", f"sync --full over the unchanged "
                   f"tree, {where}", "s", round(timings.full_unchanged_s, 2), Goal("<=", 2)),
            Figure(f"render.{namespaces}.rewritten", f"files rewritten by that sync --full, "
                   f"{where}", "files", timings.rewritten, Goal("<=", 0),
                   note=f"of {timings.files:,}"),
            Figure(f"render.{namespaces}.one_change", f"re-render after one change, {where}",
                   "ms", one["p50"], Goal("<=", 20), one)]
    return found


def storm_figures(args: argparse.Namespace) -> list[Figure]:
    found = storm.storm(args.events, args.storm_observe, args.storm_window)
    return [
        Figure("storm.ingest_rate", f"event storm: {found.events:,} Prometheus-derived events "
               "in one ingest", "events/s", round(found.events / found.ingest_s),
               Goal(">=", 10_000), note=f"{found.ingest_s * 1000:.0f} ms"),
        Figure("storm.stored", "event storm: events stored", "events", found.stored,
               Goal(">=", found.events)),
        Figure("storm.chat_rate", f"event storm: most Slack messages to one channel in "
               f"{found.pace_window:g} s, per second", "/s",
               round(found.peak_per_channel / found.pace_window, 2), Goal("<=", 1),
               note=f"{found.notices} notices told; {found.posted} posted in the "
                    f"{args.storm_observe:g} s watched")]


COLLECT = {"chat": chat_figures, "replicas": replica_figures, "changes": change_figures,
           "guard": guard_figures, "render": render_figures, "storm": storm_figures}


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add("--groups", nargs="+", choices=GROUPS, default=list(GROUPS))
    add("--sizes", type=int, nargs="+", default=[10, 1_000, 10_000],
        help="services in the command → PR repositories")
    add("--layouts", type=int, nargs="+", default=[1, 100], help="namespaces they spread over")
    add("--rounds", type=int, default=20, help="commands and approvals per repository")
    add("--rounds-large", type=int, default=10, help="the same at 10,000 services and more")
    add("--render-services", type=int, default=10_000)
    add("--render-rounds", type=int, default=20, help="one-change re-renders")
    add("--guard-rounds", type=int, default=20, help="rounds over the sample inputs, embedded")
    add("--server-rounds", type=int, default=2, help="the same through the OPA server")
    add("--guard-inputs", type=int, default=None, help="only the first N sample inputs")
    add("--serve-services", type=int, default=10_000)
    add("--concurrency", type=int, nargs="+", default=[50, 200])
    add("--serve-rounds", type=int, default=3, help="bursts of each size")
    add("--commands", type=int, default=1_000, help="commands before the second RSS")
    add("--events", type=int, default=10_000)
    add("--storm-observe", type=float, default=12.0, help="seconds the posts are watched")
    add("--storm-window", type=float, default=10.0, help="the window of the posting rate")
    add("--smoke", action="store_true", help="tiny sizes, for the test suite")
    add("--out", type=Path, default=Path(__file__).with_name("results.json"))
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.layouts, args.rounds, args.rounds_large = [3, 10], [1, 3], 2, 2
        args.render_services, args.render_rounds = 10, 3
        args.guard_rounds, args.server_rounds, args.guard_inputs = 3, 1, 8
        args.serve_services, args.concurrency, args.serve_rounds = 60, [5], 1
        args.commands, args.events, args.storm_observe, args.storm_window = 15, 200, 1.5, 1.0
    return args


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    started = time.perf_counter()
    noted = machine()
    figures: list[Figure] = []
    for group in GROUPS:
        if group in args.groups:
            began = time.perf_counter()
            figures += COLLECT[group](args)
            print(f"{group}: measured in {time.perf_counter() - began:.1f} s", file=sys.stderr,
                  flush=True)
    results = {"command": "bench/run.py " + " ".join(sys.argv[1:] if argv is None
                                                                   else argv),
               "machine": noted, "duration_s": round(time.perf_counter() - started, 1),
               "arguments": {k: str(v) if isinstance(v, Path) else v
                             for k, v in vars(args).items()},
               "figures": [f.as_json() for f in figures]}
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
    sys.stdout.write(table(results))


if __name__ == "__main__":
    main()
