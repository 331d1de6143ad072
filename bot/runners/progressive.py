"""Progressive canaries: on every scheduler tick, the next step of each plan that is due.

`Workflow.progress` calls `run`. A plan lives in its document on main
(`release.progressive`: step, every, until, gate); the store keeps one row per live plan
(`SqlStore.plans`) with when its next step is due, so a tick reads only the documents
main changed since the last tick (`refresh`) and the few plans that are due:

    gate holds (or the plan has none)  → govbot opens /canary <svc> <weight+step>%, which
                                         merges at once under [release.progressive_step];
                                         at `until` the plan is done and the channel told
    gate fails                         → govbot opens /canary <svc> abort (weight 0, plan
                                         removed) under [release.progressive_abort]; the
                                         channel is told the numbers
    no traffic on the canary           → no step; the channel is told once that the plan
                                         waits, and the gate is asked again after `every`
    the guard denies the step          → no step; the channel is told once per reason (a
                                         freeze's window, or the rule ids), and the step is
                                         tried again after `every`

A paused plan (`/canary <svc> pause`, bot.runners.pausing) is never due; a pause and a step
of the same service hold one key (`lock_key`) in turn, so no step opens after a pause is
answered. A service with another open change keeps its plan due: the step is tried again
at the next tick.

Example:
    events = run(ctx)      # ChangeMerged of each step, EventsReported for the channels
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.config import RepoConfig
from bot.core.errors import Denied, GovbotError, TransientError
from bot.core.events import ChangeMerged, Event
from bot.core.types import Scope
from bot.rollout import incident
from bot.runners import Context, automatic
from bot.runners.telling import tell
from bot.sources import Health
from bot.store.plans import Plan
from policies import document, intents, units
from policies.checks.service import progressive as plan_problems

log = logging.getLogger("govbot.progressive")
SEEN = "progressive-plans"  # the main commit the plan rows were last brought up to
# a gate's window is the plan's `every`, but at least a minute: a few scrapes always fall
# in it, so a rate is never computed from a single sample
SHORTEST_WINDOW_MS = 60_000


def run(ctx: Context) -> list[Event]:
    """Bring the plans up to main, then step every plan that is due; never raises for one
    plan's sake (a plan that fails is logged and tried again after its `every`)."""
    now = ctx.clock()
    refresh(ctx, now)
    events: list[Event] = []
    for plan in ctx.store.plans.due(now):
        try:
            events += advance(ctx, plan, now)
        except TransientError as error:
            log.warning("progressive canary of %s in %s/%s: %s; tried again at the next tick",
                        plan.service, plan.env, plan.namespace, error)
        except GovbotError as error:
            log.warning("progressive canary of %s in %s/%s: %s", plan.service, plan.env,
                        plan.namespace, error)
            _later(ctx, plan, now)
        except Exception:
            log.exception("incident %s stepping the progressive canary of %s in %s/%s",
                          incident(), plan.service, plan.env, plan.namespace)
            _later(ctx, plan, now)
    return events


def refresh(ctx: Context, now: datetime) -> None:
    """Make the plan rows match main, reading only the documents that changed since the
    commit seen last (every document the first time, or when main was rewritten)."""
    main = ctx.main()
    seen = ctx.store.applied(SEEN)
    if seen == main:
        return
    if seen is not None and ctx.repo.is_ancestor(seen, main):
        paths = ctx.repo.changed_paths(seen, main)
    else:
        paths = ctx.repo.list_files(main, "services/")
    paths = [p for p in paths if document.parse_service_path(p) is not None]
    texts = ctx.repo.read_many(main, paths)
    for path in paths:
        _refresh_one(ctx, path, texts.get(path), now)
    ctx.store.set_applied(SEEN, main, old=seen)


def _refresh_one(ctx: Context, path: str, text: str | None, now: datetime) -> None:
    where = document.parse_service_path(path)
    assert where is not None
    env, namespace, service = where
    found = plan_of(env, namespace, service, path, text, now)
    known = ctx.store.plans.get(env, namespace, service)
    if found is None:
        if known is not None:
            ctx.store.plans.remove(env, namespace, service)
    elif known is None or known.block != found.block:
        ctx.store.plans.put(found)  # a new plan starts unpaused, its first step `every` on
    elif known.weight != found.weight:
        ctx.store.plans.schedule(env, namespace, service, found.next_at, weight=found.weight)


def plan_of(env: str, namespace: str, service: str, path: str, text: str | None,
            now: datetime) -> Plan | None:
    """The live plan a document holds: a valid `release.progressive` on a canary release
    whose weight is below `until`; None for anything else."""
    if text is None:
        return None
    try:
        spec = document.plain(text, path).get("spec")
    except GovbotError:
        return None
    release = spec.get("release") if isinstance(spec, Mapping) else None
    if not isinstance(release, Mapping) or release.get("strategy", "canary") != "canary":
        return None
    block, weight = release.get("progressive"), release.get("canaryWeight", 0)
    if not isinstance(block, Mapping) or plan_problems(block, "progressive"):
        return None
    if not isinstance(weight, int) or not 0 <= weight < block["until"]:
        return None
    return Plan(env, namespace, service, path, weight, block["step"], block["every"],
                block["until"], now, now + _duration(block["every"]), dict(block.get("gate") or {}))


def advance(ctx: Context, plan: Plan, now: datetime) -> list[Event]:
    """One due plan: its gate asked, then a step, an abort, or a wait."""
    current = ctx.store.plans.get(plan.env, plan.namespace, plan.service)
    if current is None or current.paused or current.weight != plan.weight:
        return []  # paused, ended or stepped since the tick began
    main = ctx.main()
    config = ctx.config(main)
    scope = Scope(plan.env, plan.namespace)
    if plan.gate and plan.weight > 0:  # at 0% the canary has no traffic to judge yet
        health = _health(ctx, plan, main, now)
        if health is None:
            why = (f"no request reached the canary in the last {window(plan)}"
                   if ctx.history.configured(plan.env)
                   else f"no Prometheus is configured for {plan.env}")
            return _wait(ctx, plan, now, config, f"for gate data ({why})",
                         f"its gate has no data ({why}); it is asked again every {plan.every}")
        failures = gate_failures(plan.gate, health)
        if failures:
            with ctx.holding_key(lock_key(plan.env, plan.namespace, plan.service),
                                 f"the progressive canary of {plan.service}"):
                if not _still_due(ctx, plan):
                    return []
                return _abort(ctx, plan, scope, failures, config)
    # a pause (bot.runners.pausing) holds the same key: once it is answered, no step opens
    with ctx.holding_key(lock_key(plan.env, plan.namespace, plan.service),
                         f"the progressive canary of {plan.service}"):
        if not _still_due(ctx, plan):
            return []
        return _step(ctx, plan, scope, config, now)


def lock_key(env: str, namespace: str, service: str) -> str:
    """The key a step and a pause or resume of the service's plan hold, one at a time."""
    return f"progressive:{env}/{namespace}/{service}"


def _still_due(ctx: Context, plan: Plan) -> bool:
    """Not paused, ended or stepped since the tick read it (asked again under the lock)."""
    current = ctx.store.plans.get(plan.env, plan.namespace, plan.service)
    return current is not None and not current.paused and current.weight == plan.weight


def _step(ctx: Context, plan: Plan, scope: Scope, config: RepoConfig,
          now: datetime) -> list[Event]:
    target = min(plan.weight + plan.step, plan.until)
    try:
        opened = automatic.open_as_govbot(ctx, scope,
                                          intents.Canary(plan.service, "set", target))
    except Denied as denied:
        return _denied(ctx, plan, now, config, denied.reasons)
    if opened is None:
        return []  # another change holds the service: the plan stays due
    merged = next((e for e in opened if isinstance(e, ChangeMerged)), None)
    if merged is None:
        log.warning("the step of %s in %s to %s%% was opened but did not merge", plan.service,
                    scope, target)
        _later(ctx, plan, now)
        return opened
    number = f"#{merged.change.id}"
    if target >= plan.until:
        ctx.store.plans.remove(plan.env, plan.namespace, plan.service)
        return opened + tell(
            config, plan.env, plan.namespace, _key(plan, "reached"),
            f"progressive canary of {plan.service} ({scope}) reached {target}% ({number}); "
            f"promote with /canary {plan.service} promote, or /canary {plan.service} abort")
    ctx.store.plans.schedule(plan.env, plan.namespace, plan.service, now + every(plan),
                             weight=target)
    following = min(target + plan.step, plan.until)
    return opened + tell(
        config, plan.env, plan.namespace, _key(plan, "step"),
        f"progressive canary of {plan.service} ({scope}): {plan.weight}% → {target}% "
        f"({number}); next step to {following}% at {clock_text(now + every(plan))}"
        + (", if the gate holds" if plan.gate else ""))


def state_line(ctx: Context, scope: Scope, service: str, text: str | None) -> str:
    """For /status: the plan main's document `text` holds (nothing once it ended), with
    when its next step is due, why it waits, or who paused it, as the store has them."""
    now = ctx.clock()
    path = document.service_path(scope.env, scope.namespace, service)
    found = plan_of(scope.env, scope.namespace, service, path, text, now)
    if found is None:
        return ""
    target = min(found.weight + found.step, found.until)
    plan = ctx.store.plans.get(scope.env, scope.namespace, service)
    if plan is None or plan.block != found.block:  # approved, not yet seen by a tick
        return f"progressive: starts at the next tick, first step to {target}% {found.every} on"
    if plan.paused:
        return (f"progressive: paused at {found.weight}% by {plan.paused_by}; "
                f"/canary {service} resume continues it")
    if plan.waiting:
        return (f"progressive: waits at {found.weight}% {plan.waits or 'for gate data'}; "
                f"the step to {target}% is tried again at {clock_text(plan.next_at)}")
    return f"progressive: next step to {target}% at {clock_text(plan.next_at)}"


def _wait(ctx: Context, plan: Plan, now: datetime, config: RepoConfig, waits: str,
          text: str) -> list[Event]:
    """No step now: asked again after `every`; the channel is told once per reason."""
    ctx.store.plans.schedule(plan.env, plan.namespace, plan.service, now + every(plan),
                             waiting=True, waits=waits)
    if plan.waiting and plan.waits == waits:
        return []
    scope = Scope(plan.env, plan.namespace)
    return [*tell(config, plan.env, plan.namespace, _key(plan, f"waiting:{waits}"),
                  f"progressive canary of {plan.service} ({scope}) waits at {plan.weight}%: "
                  f"{text}", "warning")]


def _denied(ctx: Context, plan: Plan, now: datetime, config: RepoConfig,
            reasons: tuple[str, ...]) -> list[Event]:
    """The guard denied the step: a freeze holds it until the window ends, another rule
    until it allows it; the plan keeps its weight and is tried again after `every`."""
    frozen = [r for r in reasons if r.startswith("[schedule.freeze] ")]
    if frozen and len(frozen) == len(reasons):
        # "[schedule.freeze] dev is frozen until … (window); only de-escalations …"
        window_text = frozen[0].removeprefix("[schedule.freeze] ").split(";")[0]
        return _wait(ctx, plan, now, config, f"while {window_text}",
                     f"{window_text}; the plan goes on after it")
    denied = "; ".join(reasons)
    return _wait(ctx, plan, now, config, f"because its step is denied: {denied}",
                 f"its step to {min(plan.weight + plan.step, plan.until)}% is denied: "
                 f"{denied}; it is tried again every {plan.every}")


def _abort(ctx: Context, plan: Plan, scope: Scope, failures: list[str],
           config: RepoConfig) -> list[Event]:
    opened = automatic.open_as_govbot(ctx, scope, intents.Canary(plan.service, "abort"))
    if opened is None:
        return []
    ctx.store.plans.remove(plan.env, plan.namespace, plan.service)
    merged = next((e for e in opened if isinstance(e, ChangeMerged)), None)
    number = f" (#{merged.change.id})" if merged is not None else ""
    return opened + tell(
        config, plan.env, plan.namespace, _key(plan, "aborted"),
        f"progressive canary of {plan.service} ({scope}) aborted at {plan.weight}% → 0%"
        f"{number}: {', '.join(failures)} over the last {window(plan)}. The plan is "
        f"stopped; start again with /canary {plan.service} <p>% step …", "critical")


def _health(ctx: Context, plan: Plan, main: str, now: datetime) -> Health | None:
    text = ctx.repo.read(main, plan.path)
    spec = document.plain(text, plan.path).get("spec") if text is not None else None
    versions = spec.get("versions") if isinstance(spec, Mapping) else None
    version = versions.get("canary") if isinstance(versions, Mapping) else None
    if not isinstance(version, str) or not ctx.history.configured(plan.env):
        return None
    return ctx.history.canary_health(plan.env, plan.namespace, plan.service, version,
                                     window(plan), now)


def gate_failures(gate: Mapping[str, Any], health: Health) -> list[str]:
    """Each condition of the gate the numbers break, with the numbers: `success 97.1 % <
    99.5 %`, `p99 812 ms ≥ 500 ms`."""
    failures = []
    least = gate.get("successRate")
    if isinstance(least, int | float) and health.success < least:
        failures.append(f"success {health.success:.1f}% < {least}%")
    limit = gate.get("p99")
    if isinstance(limit, str) and health.p99_ms is not None \
            and health.p99_ms >= units.duration_ms(limit):
        failures.append(f"p99 {health.p99_ms:.0f} ms ≥ {units.duration_ms(limit)} ms")
    return failures


def _later(ctx: Context, plan: Plan, now: datetime) -> None:
    """Try the plan again after its `every`."""
    ctx.store.plans.schedule(plan.env, plan.namespace, plan.service, now + every(plan),
                             waiting=plan.waiting, waits=plan.waits)


def every(plan: Plan) -> timedelta:
    return _duration(plan.every)


def window(plan: Plan) -> str:
    """The PromQL range of the gate: the plan's `every`, at least a minute."""
    ms = units.duration_ms(plan.every)
    return plan.every if ms >= SHORTEST_WINDOW_MS else units.format_ms(SHORTEST_WINDOW_MS)


def _duration(text: str) -> timedelta:
    return timedelta(milliseconds=units.duration_ms(text))


def _key(plan: Plan, what: str) -> str:
    started = plan.started_at.strftime("%Y%m%dT%H%M%S")
    return f"progressive:{plan.env}/{plan.namespace}/{plan.service}:{started}:{what}"


def clock_text(moment: datetime) -> str:
    """`2026-12-02 09:42:30 UTC`, as every progressive line writes a time."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
