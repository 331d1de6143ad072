"""A service without a policy document, as the cluster knows it.

Before a change is opened on a service that has no document, `opening` asks the cluster
(`Context.live`) for its `Service` and `Deployment`s. When they exist, the new document is
the /onboard document of what runs — the Service's port (and the pods' port, its
`targetPort`, when it differs), the pods' `version` labels
(stable, then canary), their service account — and the command is applied on top, in the
same change. When they do not (or with the directory target, which reads no cluster), the
command is refused with a "did you mean" and how to /onboard: a typo must never create a
document with guessed settings.

Example:
    intent = from_cluster(Canary("svc-new", "set", 10), Workload(9090, ("v3", "v4"), ()))
    # Onboard("svc-new", 9090, ("v3", "v4"), None)
"""

from __future__ import annotations

from bot.apply import Workload
from bot.core.errors import NotFound, UserError
from bot.core.types import Scope
from bot.runners import Context
from policies import intents, units
from policies.document import closest, service_path

# Kinds that route traffic by version: a document for them needs the real versions.
_BY_VERSION = (intents.Canary, intents.BlueGreen, intents.Route)


def base(ctx: Context, scope: Scope, intent: intents.PolicyIntent,
         main: str) -> intents.Onboard | None:
    """None when the service has its document on main; else the /onboard the cluster
    gives it. NotFound when the cluster does not run it either, or for a /sync (there is
    nothing of govbot's to apply again)."""
    if ctx.repo.object_id(main, service_path(scope.env, scope.namespace, intent.service)):
        return None
    workload = None
    if not isinstance(intent, intents.Sync):
        workload = ctx.live.workload(scope.env, scope.namespace, intent.service)
    if workload is None:
        raise refusal(ctx, scope, intent.service, main,
                      cluster=not isinstance(intent, intents.Sync))
    return from_cluster(intent, workload)


def filled(ctx: Context, scope: Scope, intent: intents.Onboard, main: str) -> intents.Onboard:
    """/onboard with what it leaves out read from the cluster, when the cluster runs the
    service; what the command names wins. A service that has its document is left to
    the /onboard edit to refuse, without asking the cluster."""
    if ctx.repo.object_id(main, service_path(scope.env, scope.namespace, intent.service)):
        return intent
    workload = ctx.live.workload(scope.env, scope.namespace, intent.service)
    return intent if workload is None else from_cluster(intent, workload)


def from_cluster(intent: intents.PolicyIntent, workload: Workload) -> intents.Onboard:
    """The /onboard of a running service (an /onboard's own options win); UserError, with
    what to do, when what runs does not fit a policy document."""
    given = intent if isinstance(intent, intents.Onboard) else intents.Onboard(intent.service)
    port = given.port if given.port is not None else workload.port
    if port is None:
        raise UserError(
            f"{intent.service} runs in the cluster, but its Service has no port (an "
            "ExternalName Service, or one without ports), so govbot cannot tell which port "
            f"to govern. Say it: /onboard {intent.service} port <port>, for example "
            f"/onboard {intent.service} port 8080")
    hint = f"/onboard {intent.service} port {port}"
    versions = given.versions
    if versions is None:
        versions = _versions(intent.service, workload.versions, hint,
                             isinstance(intent, _BY_VERSION))
    account = given.account
    if account is None:
        account = _account(intent.service, workload.accounts, hint)
    # the cluster's targetPort belongs to the cluster's port, not to one the command names
    target = workload.target_port if port == workload.port else given.target_port
    return intents.Onboard(intent.service, port, versions, account, target)


def _versions(service: str, found: tuple[str, ...], hint: str,
              by_version: bool) -> tuple[str, ...] | None:
    """The pods' versions as the document's stable and canary; None keeps the defaults,
    which only a command that does not route by version may do."""
    if not found:
        if by_version:
            raise UserError(
                f"{service} runs in the cluster, but the pods of its Deployments carry no "
                "`version` label, so govbot cannot tell its versions apart to route by them. "
                f"Label the pods (version: v1), or {hint} versions v1,v2 first")
        return None
    if len(found) > 2:
        raise UserError(
            f"{service} runs versions {', '.join(found)} in the cluster; a policy document "
            f"names a stable and at most one canary. Say which with {hint} versions "
            f"{','.join(found[-2:])}")
    if not all(units.is_dns_label(v) for v in found):
        raise UserError(
            f"the pods of {service} are labelled version {', '.join(found)}; govbot names "
            "subsets by them, and a subset name is a DNS-1123 label (lowercase letters, "
            "digits and '-', starting with a letter). Relabel the pods, or "
            f"{hint} versions v1,v2 with the names they will carry")
    return found


def _account(service: str, found: tuple[str, ...], hint: str) -> str | None:
    if not found:
        return None
    if len(found) > 1:
        raise UserError(
            f"the Deployments of {service} run as several service accounts "
            f"({', '.join(found)}); a policy document names one. Say which with "
            f"{hint} account {found[0]}")
    if not units.is_dns_label(found[0]):
        raise UserError(
            f"{service} runs as the service account {found[0]}, which a policy document "
            f"cannot name (not a DNS-1123 label); {hint} account <sa> names another")
    return found[0]


def refusal(ctx: Context, scope: Scope, service: str, main: str,
            cluster: bool = True) -> NotFound:
    """The refusal, with a "did you mean" or how to start, of a service without a document
    (that the cluster does not run either, when it was asked: `cluster`)."""
    folder = f"services/{scope.env}/{scope.namespace}/"
    known = [p.removeprefix(folder).removesuffix(".yaml")
             for p in ctx.repo.list_files(main, folder)]
    # names share prefixes such as `svc-`, so only a close match is a likely typo
    near = closest(service, known, cutoff=0.8)
    start = (f"start governing it with /onboard {service} [port <p>] [versions <v1>,<v2>] "
             f"[account <sa>], for example /onboard {service} port 8080 versions v1,v2")
    where = (f" (and {scope.env}'s cluster has no Service {service} in {scope.namespace})"
             if cluster and ctx.live.reads_cluster else "")
    if near is not None:
        return NotFound(f"{service} is not governed in {scope}{where}. Did you mean {near}? "
                        f"If {service} is a new service, {start}")
    return NotFound(f"{service} is not governed in {scope} yet{where}; {start}")

