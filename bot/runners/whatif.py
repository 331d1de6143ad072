"""/whatif ratelimit: the last 24 h of a service's traffic against a proposed limit.

The request rate comes from Prometheus (`ctx.history`), a point a minute; the replay is
`policies.whatif.replay` (one token bucket per pod). The pod count is the live
Deployments' replicas when the cluster can be read, else the document's autoscale
minimum, else 1; the answer says which. `opening` adds `line()` to the card of a
/ratelimit change when the environment has a Prometheus.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.core.errors import GovbotError, UserError
from bot.core.events import Answer, Event
from bot.core.types import Scope
from bot.runners import Context
from bot.runners.views import when
from policies import units
from policies.document import plain, service_path
from policies.intents import WhatIf
from policies.whatif import Replay, replay

log = logging.getLogger("govbot.whatif")
SPAN = timedelta(hours=24)
STEP_SECONDS = 60.0


def run(ctx: Context, scope: Scope, intent: WhatIf) -> list[Event]:
    if not ctx.history.configured(scope.env):
        raise UserError(f"/whatif needs a Prometheus for {scope.env}: set "
                        f"GOVBOT_PROMETHEUS_URL, or environments.{scope.env}.prometheus "
                        "in govbot.yaml")
    return [Answer(answer(ctx, scope, intent))]


def answer(ctx: Context, scope: Scope, intent: WhatIf) -> str:
    """The replay told in a few lines; TransientError when Prometheus does not answer."""
    pods, basis = replicas(ctx, scope, intent.service)
    end = _minute(ctx.clock())
    rates = ctx.history.request_rate(scope.env, scope.namespace, intent.service,
                                     end - SPAN, end, STEP_SECONDS)
    result = replay(rates, STEP_SECONDS, intent.requests, units.duration_ms(intent.per), pods)
    return _text(intent, scope, result, pods, basis)


def line(ctx: Context, scope: Scope, service: str, requests: int, per: str) -> str:
    """One line for a /ratelimit change's card: what the limit would have rejected;
    "" without a Prometheus, or when it cannot be asked now."""
    if not ctx.history.configured(scope.env):
        return ""
    try:
        pods, basis = replicas(ctx, scope, service)
        end = _minute(ctx.clock())
        rates = ctx.history.request_rate(scope.env, scope.namespace, service, end - SPAN,
                                         end, STEP_SECONDS)
    except GovbotError as error:
        log.warning("whatif for the card of %s in %s: %s", service, scope, error)
        return ""
    result = replay(rates, STEP_SECONDS, requests, units.duration_ms(per), pods)
    return (f"whatif: over the last 24h this limit would have rejected "
            f"{round(result.rejected)} of {round(result.requests)} requests "
            f"({pods} {_pods(pods)}, {basis})")


def replicas(ctx: Context, scope: Scope, service: str) -> tuple[int, str]:
    """How many pods share the traffic, and where that number comes from."""
    if ctx.live.reads_cluster:
        workload = ctx.live.workload(scope.env, scope.namespace, service)
        if workload is not None and workload.replicas:
            return workload.replicas, "the replicas of its Deployments now"
    text = ctx.repo.read(ctx.main(), service_path(scope.env, scope.namespace, service))
    autoscale = plain(text).get("spec", {}).get("autoscale") if text else None
    low = autoscale.get("min") if isinstance(autoscale, dict) else None
    if isinstance(low, int) and low > 0:
        return low, "the document's autoscale minimum"
    return 1, "no replica count known, so 1"


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _pods(count: int) -> str:
    return "pod" if count == 1 else "pods"


def _text(intent: WhatIf, scope: Scope, result: Replay, pods: int, basis: str) -> str:
    head = (f"/whatif ratelimit {intent.service} {intent.requests}/{intent.per} in {scope}: "
            f"{intent.requests} per {intent.per} in each of {pods} {_pods(pods)} ({basis})")
    if result.requests == 0:
        return f"{head}\nno requests to {intent.service} in the last 24h in Prometheus"
    share = 100 * result.rejected / result.requests
    lines = [head, f"over the last 24h it would have rejected {round(result.rejected)} of "
                   f"{round(result.requests)} requests ({share:.2g}%)"]
    if result.peaks:
        lines.append("peaks:")
        lines += [f"  {when(p.start)} – {p.end:%H:%M} UTC: {round(p.rejected)} rejected"
                  for p in result.peaks]
    lines.append("model: requests per minute shared evenly by the pods, each pod's bucket "
                 "refilled at the limit's rate (docs/prometheus.md)")
    return "\n".join(lines)
