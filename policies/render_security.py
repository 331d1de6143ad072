"""The whitelist of one service as an Istio AuthorizationPolicy (ALLOW).

Called by `policies.render` when `allowFrom` is enabled. Each caller becomes the SPIFFE
principal of its service account, `<trust domain>/ns/<namespace>/sa/<account>`; a caller
is written `<svc>` (the service's own namespace) or `<ns>/<svc>`, and its account is the
one the render context names for it, else the caller's name. Rendering is pure: the
callers' own documents say their accounts (`spec.serviceAccount`), and whoever renders
passes them in the context, built by `service_accounts` from the documents of the
environment. An enabled whitelist with no callers renders a policy without rules, which
Istio reads as "allow nothing".

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

from policies.rendering import Renderer, Target, enabled

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


def authorization_policy(
    spec: Mapping[str, Any],
    allow: Mapping[str, Any],
    namespace: str,
    trust_domain: str,
    service_accounts: Mapping[str, str],
    meta: dict[str, Any],
) -> dict[str, Any]:
    principals: list[str] = []
    for caller in allow.get("callers") or []:
        found = principal(str(caller), namespace, trust_domain, service_accounts)
        if found not in principals:
            principals.append(found)
    body: dict[str, Any] = {
        "selector": {"matchLabels": dict(spec["selector"])},
        "action": "ALLOW",
    }
    if principals:
        body["rules"] = [{"from": [{"source": {"principals": principals}}]}]
    return {
        "apiVersion": "security.istio.io/v1",
        "kind": "AuthorizationPolicy",
        "metadata": meta,
        "spec": body,
    }


def authorization_policy_for(target: Target) -> dict[str, Any] | None:
    """The AuthorizationPolicy of an enabled whitelist, else None."""
    allow = target.spec.get("allowFrom")
    if not enabled(allow):
        return None
    context = target.context
    return authorization_policy(target.spec, allow, target.namespace, context.trust_domain,
                                context.service_accounts,
                                target.meta(f"{target.service}-allow-from"))


AUTHORIZATION_POLICY = Renderer("allowFrom", authorization_policy_for)
