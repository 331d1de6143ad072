"""/onboard on a document: a service's own fields, written once when its document is made.

`policies.edit` gives this edit the new document of a service that has none (the defaults
of `policies.document.new_document`); it sets what the intent names: the port, the
versions (stable, then canary; one version leaves no canary) and the service account,
and `targetPort` when the pods listen on another port than the Service's.

Example:
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-cart"))["spec"]
    >>> where = Where("services/prod/demo/svc-cart.yaml", "demo")
    >>> onboard(spec, Onboard("svc-cart", 9090, ("v3",), "cart"), where)
    'onboard svc-cart: port 9090, stable version v3, no canary, service account cart'
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import UserError
from policies.edits import keep
from policies.edits.section import Where, section
from policies.intents import Onboard


def onboard(spec: CommentedMap, intent: Onboard, where: Where) -> str:
    if intent.port is not None:
        keep.set_key(spec, "port", intent.port)
    if intent.target_port is not None and intent.target_port != spec.get("port"):
        spec.insert(list(spec).index("port") + 1, "targetPort", intent.target_port)
    versions = section(spec, "versions")
    if versions is None:
        versions = CommentedMap()
        keep.set_key(spec, "versions", versions)
    if intent.versions is not None:
        if not 1 <= len(intent.versions) <= 2 or len(set(intent.versions)) != len(intent.versions):
            raise UserError(f"{intent.service} needs one or two different versions "
                            "(stable, then canary), like versions v1,v2")
        keep.set_key(versions, "stable", intent.versions[0])
        if len(intent.versions) == 2:
            keep.set_key(versions, "canary", intent.versions[1])
        elif "canary" in versions:
            keep.delete_key(versions, "canary")
    if intent.account is not None:
        spec.insert(list(spec).index("versions"), "serviceAccount", intent.account)
    canary = versions.get("canary")
    account = spec.get("serviceAccount", intent.service)
    pods = f" (pods on {spec['targetPort']})" if "targetPort" in spec else ""
    return (f"onboard {intent.service}: port {spec.get('port')}{pods}, stable version "
            f"{versions.get('stable')}, " + (f"canary {canary}" if canary else "no canary")
            + f", service account {account}")
