"""The whitelist of one service as an Istio AuthorizationPolicy (ALLOW).

Called by `policies.render` when `allowFrom` is enabled. Each caller becomes the SPIFFE
principal of its service account, `<trust domain>/ns/<namespace>/sa/<account>`; a caller
is written `<svc>` (the service's own namespace) or `<ns>/<svc>`, and its account is the
one the render context names for it, else the caller's name. Rendering is pure: the
callers' own documents say their accounts (`spec.serviceAccount`), and whoever renders
passes them in the context, built by `service_accounts` from the documents of the
environment. An enabled whitelist with no callers renders a policy without rules, which
Istio reads as "allow nothing".

In an ambient namespace the whitelist renders two ALLOW policies, because who enforces it
depends on whether the service has a waypoint (every L7 feature needs one), and behind a
waypoint ztunnel sees the waypoint's identity, not the callers':

- `<svc>-allow-from`, with `targetRefs` to the Service: the waypoint enforces it and sees
  the original callers' principals (without a waypoint nothing enforces it);
- `<svc>-allow-from-l4`, with the pods' `selector`: ztunnel enforces it, allowing the
  callers and the namespace's waypoint (`<trust domain>/ns/<ns>/sa/<waypoint>`, its name
  from govbot.yaml, default `waypoint`). Without a waypoint it alone keeps the callers'
  list; with one, the waypoint's policy does, and ztunnel lets the waypoint through.

Example:
    >>> principal("svc-index", "demo", "cluster.local", {})
    'cluster.local/ns/demo/sa/svc-index'
    >>> accounts = service_accounts(
    ...     {"services/prod/demo/svc-index.yaml": {"spec": {"serviceAccount": "index-sa"}}},
    ...     "prod")
    >>> principal("svc-index", "demo", "cluster.local", accounts)
    'cluster.local/ns/demo/sa/index-sa'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.mesh import AMBIENT
from policies.rendering import Renderer, Target, enabled, nothing

_SERVICE_PATH = re.compile(r"^services/([^/]+)/([^/]+)/([^/]+)\.yaml$")


def service_accounts(documents: Mapping[str, Any], env: str) -> dict[str, str]:
    """`<ns>/<svc>` → `spec.serviceAccount` of every document of `env` that names one,
    from `{path: plain data}` (`policies.document.plain`); the render context's
    `service_accounts` for that environment. Documents of other environments, and
    accounts that are no text, are left out."""
    accounts: dict[str, str] = {}
    for path, data in sorted(documents.items()):
        found = _SERVICE_PATH.match(path)
        spec = data.get("spec") if isinstance(data, Mapping) else None
        if found is None or found.group(1) != env or not isinstance(spec, Mapping):
            continue
        account = spec.get("serviceAccount")
        if isinstance(account, str) and account:
            accounts[f"{found.group(2)}/{found.group(3)}"] = account
    return accounts


def principal(
    caller: str, namespace: str, trust_domain: str, service_accounts: Mapping[str, str]
) -> str:
    """The principal of one caller; `service_accounts` maps `<ns>/<svc>` to its account."""
    caller_ns, _, name = caller.rpartition("/")
    caller_ns = caller_ns or namespace
    account = service_accounts.get(f"{caller_ns}/{name}", name)
    return f"{trust_domain}/ns/{caller_ns}/sa/{account}"


def principals(callers: Any, namespace: str, trust_domain: str,
               service_accounts: Mapping[str, str]) -> list[str]:
    """The principals of the whitelist's callers, each once, in the document's order."""
    found: list[str] = []
    for caller in callers or []:
        one = principal(str(caller), namespace, trust_domain, service_accounts)
        if one not in found:
            found.append(one)
    return found


def _allow(meta: dict[str, Any], scope: dict[str, Any], allowed: list[str]) -> dict[str, Any]:
    """An ALLOW AuthorizationPolicy on `scope` (a selector or targetRefs) for `allowed`;
    without principals it has no rules, which Istio reads as "allow nothing"."""
    body: dict[str, Any] = {**scope, "action": "ALLOW"}
    if allowed:
        body["rules"] = [{"from": [{"source": {"principals": allowed}}]}]
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": meta,
        "spec": body,
    }


def _callers(target: Target) -> list[str] | None:
    """The callers' principals of an enabled whitelist, else None."""
    allow = target.spec.get("allowFrom")
    if not enabled(allow):
        return None
    context = target.context
    return principals(allow.get("callers"), target.namespace, context.trust_domain,
                      context.service_accounts)


def authorization_policy_for(target: Target) -> dict[str, Any] | None:
    """The AuthorizationPolicy of an enabled whitelist, else None: on the pods in sidecar
    mode; in ambient mode on the Service, which its waypoint enforces."""
    allowed = _callers(target)
    if allowed is None:
        return None
    meta = target.meta(f"{target.service}-allow-from")
    if target.mesh.mode == AMBIENT:
        service = {"group": "", "kind": "Service", "name": target.service}
        return _allow(meta, {"targetRefs": [service]}, allowed)
    return _allow(meta, {"selector": {"matchLabels": dict(target.spec["selector"])}}, allowed)


def ztunnel_policy_for(target: Target) -> dict[str, Any] | None:
    """The ambient whitelist ztunnel enforces on the pods: the callers and the namespace's
    waypoint, through which they arrive once the service has one; else None."""
    allowed = _callers(target)
    if allowed is None:
        return None
    waypoint = f"{target.context.trust_domain}/ns/{target.namespace}/sa/{target.mesh.waypoint}"
    meta = target.meta(f"{target.service}-allow-from-l4")
    scope = {"selector": {"matchLabels": dict(target.spec["selector"])}}
    return _allow(meta, scope, [*allowed, *([waypoint] if waypoint not in allowed else [])])


AUTHORIZATION_POLICY = Renderer("allowFrom", authorization_policy_for)
ZTUNNEL_POLICY = Renderer("allowFrom", nothing, ztunnel_policy_for)
