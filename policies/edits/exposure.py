"""/expose and /unexpose on a document: `spec.exposed`, the service's ingress exposure.

`exposed: {hosts: [...], gateway: <ns>/<name>}` routes the hosts to the service at the
ingress gateway. `/expose` writes that mapping, or adds hosts to the one there; a
legacy `exposed: true` (the whitelist keeps the gateway, no routes of govbot's) becomes
the mapping. Naming another gateway moves the whole exposure to it. `/unexpose` removes
`spec.exposed` whatever its form: the service is internal again. The whitelist is left
as it is — the gateway stays a caller until `/whitelist <svc> remove` takes it off, so
unexposing never empties a whitelist that admits only the gateway.

Example:
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> where = Where("services/prod/demo/svc-user.yaml", "demo")
    >>> expose(spec, Expose("svc-user", ("user.example.com",), "istio-system/public"), where)
    'expose svc-user: user.example.com via istio-system/public'
    >>> unexpose(spec, Unexpose("svc-user"), where)
    'unexpose svc-user (was user.example.com via istio-system/public)'
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.core.errors import UsageError, UserError
from policies import hosts
from policies.edits import keep
from policies.edits.section import Where, section
from policies.intents import Expose, Unexpose

_EXAMPLE = f"/expose svc-user host {hosts.EXAMPLE_HOST} gateway {hosts.EXAMPLE_GATEWAY}"


def expose(spec: CommentedMap, intent: Expose, where: Where) -> str:
    if not intent.hosts:
        raise UsageError("name at least one host to expose", example=_EXAMPLE)
    current = section(spec, "exposed")
    had = current.get("gateway") if current is not None else None
    gateway = intent.gateway or (had if isinstance(had, str) else None) or intent.default_gateway
    if gateway is None:
        raise UserError(
            f"no gateway to expose {intent.service} through: name one, like {_EXAMPLE}, "
            f"or set ingressGateway.gateway in govbot.yaml (like {hosts.EXAMPLE_GATEWAY})")
    if current is None:
        keep.set_key(spec, "exposed", CommentedMap(hosts=CommentedSeq(intent.hosts),
                                                   gateway=gateway))
        return f"expose {intent.service}: {', '.join(intent.hosts)} via {gateway}"
    return _extend(current, intent, gateway)


def _extend(current: CommentedMap, intent: Expose, gateway: str) -> str:
    """Add the hosts the exposure lacks; move it when another gateway is named."""
    listed = current.get("hosts")
    if not isinstance(listed, CommentedSeq):
        listed = CommentedSeq()
        keep.set_key(current, "hosts", listed)
    before = list(listed)
    added = [host for host in intent.hosts if host not in listed]
    for host in added:
        keep.append_item(listed, host)
    keep.keep_flow_gap(current, "hosts", before)
    moved = current.get("gateway") != gateway
    old = current.get("gateway")
    keep.set_key(current, "gateway", gateway)
    shown = ", ".join(str(host) for host in listed)
    if moved:
        return f"expose {intent.service}: {shown} via {gateway} (moved from {old})"
    if not added:
        return f"{intent.service} already exposes {', '.join(intent.hosts)} via {gateway}"
    return f"expose {intent.service}: {shown} via {gateway}"


def unexpose(spec: CommentedMap, intent: Unexpose, where: Where) -> str:
    value = spec.get("exposed")
    if value is None or value is False:
        raise UserError(f"{intent.service} is not exposed through the ingress gateway in "
                        f"{where.namespace}; nothing to unexpose (/status {intent.service} "
                        "shows its policies)")
    keep.delete_key(spec, "exposed")
    if isinstance(value, CommentedMap):
        listed = value.get("hosts")
        shown = ", ".join(str(h) for h in listed) if isinstance(listed, list) else "?"
        return f"unexpose {intent.service} (was {shown} via {value.get('gateway', '?')})"
    return f"unexpose {intent.service}"
