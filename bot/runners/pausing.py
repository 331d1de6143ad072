"""`/canary <svc> pause` and `resume`: stop and continue a progressive canary's steps.

Neither is a change: the document keeps its plan and its weight, the plan's row in the
store (`SqlStore.plans`) is paused or resumed, at once. Who may do it is who may ask for a
canary change of the service: the guard's `[authorization.*]` rules decide, on the
document as it stands. Both are answered and told to the namespace's channels. Both hold
the plan's key (`progressive.lock_key`) that a step holds while it opens: a step under way
finishes first, and the answer names the weight it left.

Example:
    events = control(ctx, person, Scope("prod", "demo"), CanaryControl("svc-user", "pause"))
"""

from __future__ import annotations

from bot.change import ChangeSet
from bot.core.errors import Denied, UserError
from bot.core.events import Answer, Event
from bot.core.types import Person, Scope
from bot.runners import Context, progressive
from bot.runners.telling import tell
from bot.store.plans import Plan
from policies import intents
from policies.document import service_path
from policies.status_lines import plan_text


def control(ctx: Context, person: Person, scope: Scope, intent: intents.CanaryControl,
            origin: tuple[str, str] = ("", "")) -> list[Event]:
    """Pause or resume the plan of `intent.service` in `scope`, asked for in `origin`
    (platform, channel): the answer goes there, the news to the other channels."""
    service = intent.service
    _authorize(ctx, person, scope, intent)
    progressive.refresh(ctx, ctx.clock())
    seen = ctx.store.plans.get(scope.env, scope.namespace, service)
    # a step under way holds the same key: the answer waits for it and says where it stopped
    with ctx.holding_key(progressive.lock_key(scope.env, scope.namespace, service),
                         f"the progressive canary of {service}"):
        return _control(ctx, person, scope, intent, origin,
                        seen.weight if seen is not None else None)


def _control(ctx: Context, person: Person, scope: Scope, intent: intents.CanaryControl,
             origin: tuple[str, str], seen: int | None) -> list[Event]:
    service = intent.service
    now = ctx.clock()
    progressive.refresh(ctx, now)
    plan = ctx.store.plans.get(scope.env, scope.namespace, service)
    if plan is None:
        raise UserError(
            f"{service} in {scope} has no progressive canary running, so there is nothing to "
            f"{intent.op}; start one with /canary {service} 10% step 10 every 15m until 50% "
            f"(/status {service} shows its release)")
    config = ctx.config(ctx.main())
    if intent.op == "pause":
        if not ctx.store.plans.pause(scope.env, scope.namespace, service, person.id):
            return [Answer(f"the progressive canary of {service} ({scope}) is already paused "
                           f"at {plan.weight}% (by {plan.paused_by}); /canary {service} "
                           "resume continues it")]
        taken = (f"; the step to {plan.weight}% was already taken"
                 if seen is not None and seen != plan.weight else "")
        text = (f"progressive canary of {service} ({scope}) paused at {plan.weight}% by "
                f"{person.id} ({_plan(plan)}){taken}; the weight stays; /canary {service} "
                "resume continues it")
    else:
        following = now + progressive.every(plan)
        if not ctx.store.plans.resume(scope.env, scope.namespace, service, following):
            return [Answer(f"the progressive canary of {service} ({scope}) is not paused: "
                           f"next step at {progressive.clock_text(plan.next_at)}")]
        text = (f"progressive canary of {service} ({scope}) resumed at {plan.weight}% by "
                f"{person.id} ({_plan(plan)}); next step at "
                f"{progressive.clock_text(following)}")
    key = f"progressive:{scope}/{service}:{intent.op}:{now.strftime('%Y%m%dT%H%M%S')}"
    # the channel that asked gets the answer; the console's `*` is its one conversation
    told = [e for e in tell(config, scope.env, scope.namespace, key, text)
            if not (e.platform == origin[0] and e.channel in (origin[1], "*"))]
    return [Answer(text), *told]


def _authorize(ctx: Context, person: Person, scope: Scope,
               intent: intents.CanaryControl) -> None:
    """Denied with the guard's `[authorization.*]` reasons when `person` may not ask for a
    canary change of the service; the document is judged as it stands, unchanged."""
    path = service_path(scope.env, scope.namespace, intent.service)
    text = ctx.repo.read(ctx.main(), path)
    unchanged = ChangeSet(scope.env, scope.namespace, intent.service, path, intent.action,
                          f"canary {intent.service} {intent.op}", text, text,
                          intents.Canary(intent.service, "set"))
    decision = ctx.decide(unchanged, person.id, ())
    reasons = [r for r in decision.deny if r.startswith("[authorization.")]
    if reasons:
        raise Denied(reasons, header=f"/canary {intent.service} {intent.op} ({scope}) denied")


def _plan(plan: Plan) -> str:
    return plan_text(plan.block)
