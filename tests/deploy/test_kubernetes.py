"""The Kustomize overlays of deploy/kubernetes, rendered offline with `kubectl kustomize`.

Every rendered object is validated against Kubernetes' own schemas (kubernetes-validate,
strict: unknown fields fail). The RBAC is compared with what govbot's code does: the
kinds `bot/apply/kube/kinds.py` applies, the reads of `live.py` and `events.py`, and the
Lease of `lease.py`, so a kind added there fails here until the Role grants it — and a
grant the code does not use fails too. The Deployment's settings go through govbot's own
settings code.
"""

from __future__ import annotations

import base64
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest

from bot.apply.kube import kinds, lease
from bot.apply.kube.live import CANARIES, DEPLOYMENTS, ROLLOUTS
from bot.settings import Settings
from tests.deploy.support import OVERLAYS, govbot_names, kustomize, of_kind, one, settings_read
from tests.deploy.test_image import dockerfile_uid

KUBERNETES = "1.33"
APPLIES = {"get", "list", "create", "patch", "delete"}  # list, dry run, apply, prune
Grants = dict[tuple[str, str], set[str]]


def cluster_wide() -> Grants:
    """What govbot does in the namespaces it governs, from its code."""
    wanted: Grants = {}

    def grant(resource: kinds.Resource, verbs: set[str]) -> None:
        wanted.setdefault((resource.group, resource.plural), set()).update(verbs)

    for resource in (*kinds.GOVERNED, *kinds.APPS):
        grant(resource, APPLIES)
    grant(kinds.SECRETS, {"create"})            # generated once, never read back
    grant(kinds.CLAIMS, {"list", "delete"})     # /undeploy … purge
    for resource in (CANARIES, ROLLOUTS, DEPLOYMENTS):
        grant(resource, {"list"})               # who steers a service, onboarding
    grant(kinds.Resource("", "v1", "services", "Service"), {"get"})
    grant(kinds.Resource("", "v1", "events", "Event"), {"list"})
    return wanted


def granted(roles: list[dict[str, Any]]) -> Grants:
    found: Grants = {}
    for role in roles:
        for rule in role["rules"]:
            assert "resourceNames" not in rule and "nonResourceURLs" not in rule, rule
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    found.setdefault((group, resource), set()).update(rule["verbs"])
    return found


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return kustomize(request.param)


def test_every_object_validates_against_kubernetes_schemas(
        rendered: list[dict[str, Any]]) -> None:
    assert rendered
    for obj in rendered:
        try:
            kubernetes_validate.validate(obj, KUBERNETES, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{obj['kind']}/{obj['metadata']['name']}: {error}")


def test_rbac_grants_exactly_what_govbot_does(rendered: list[dict[str, Any]]) -> None:
    roles = of_kind(rendered, "ClusterRole") + of_kind(rendered, "Role")
    for role in roles:
        for rule in role["rules"]:
            assert "*" not in [*rule["verbs"], *rule["resources"], *rule["apiGroups"]], rule
    assert granted(of_kind(rendered, "ClusterRole")) == cluster_wide()
    assert granted(of_kind(rendered, "Role")) == {
        (lease.GROUP, lease.PLURAL): {"get", "create", "update"}}


def test_bindings_name_the_roles_and_govbots_account(rendered: list[dict[str, Any]]) -> None:
    account = one(rendered, "ServiceAccount")["metadata"]
    deployment = one(rendered, "Deployment")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == account["name"]
    bindings = of_kind(rendered, "ClusterRoleBinding") + of_kind(rendered, "RoleBinding")
    roles = {(r["kind"], r["metadata"]["name"]) for r in rendered
             if r["kind"] in ("ClusterRole", "Role")}
    assert {(b["roleRef"]["kind"], b["roleRef"]["name"]) for b in bindings} == roles
    for binding in bindings:
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account["name"],
                                        "namespace": account["namespace"]}]


def container(rendered: list[dict[str, Any]]) -> dict[str, Any]:
    deployment = one(rendered, "Deployment")
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def environment(rendered: list[dict[str, Any]]) -> dict[str, str]:
    """The variables govbot's container gets: its ConfigMaps and Secrets by envFrom, and
    its env, with a stand-in for a Secret the overlay leaves to the operator."""
    deployment, spec = one(rendered, "Deployment"), container(rendered)
    data = {(obj["kind"], obj["metadata"]["name"]): obj.get("data", {}) for obj in rendered
            if obj["kind"] in ("ConfigMap", "Secret")}

    def secret(name: str) -> dict[str, str]:
        return {k: base64.b64decode(v).decode() for k, v in data.get(("Secret", name),
                                                                       {}).items()}

    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            env.update(data[("ConfigMap", source["configMapRef"]["name"])])
        else:
            assert source["secretRef"].get("optional") or ("Secret",
                                                           source["secretRef"]["name"]) in data
            env.update(secret(source["secretRef"]["name"]))
    for variable in spec.get("env", []):
        if "value" in variable:
            env[variable["name"]] = variable["value"]
        elif "secretKeyRef" in variable["valueFrom"]:
            ref = variable["valueFrom"]["secretKeyRef"]
            env[variable["name"]] = secret(ref["name"]).get(
                ref["key"], "postgresql+psycopg://govbot:stand-in@postgres:5432/govbot")
        else:
            assert variable["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
            env[variable["name"]] = deployment["metadata"]["namespace"]
    return env


def test_govbot_accepts_the_deployments_settings(rendered: list[dict[str, Any]]) -> None:
    env = environment(rendered)
    settings = Settings.from_env(env)
    assert (settings.apply, settings.schedule.leader) == ("kubernetes", "kubernetes")
    assert settings.schedule.lease_namespace == one(rendered, "Deployment")["metadata"][
        "namespace"]
    assert settings.forge.kind != "local", "two replicas cannot share a local bare repo"
    assert govbot_names(env) - settings_read(env) == set()
    database = [v for v in container(rendered)["env"] if v["name"] == "GOVBOT_DATABASE_URL"]
    assert "secretKeyRef" in database[0]["valueFrom"]
    grace = one(rendered, "Deployment")["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"]
    assert grace > settings.serve.grace_seconds


def test_the_deployment_runs_two_locked_down_replicas(rendered: list[dict[str, Any]]) -> None:
    deployment = one(rendered, "Deployment")
    pod, spec = deployment["spec"]["template"]["spec"], container(rendered)
    assert deployment["spec"]["replicas"] == 2
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == dockerfile_uid()
    assert spec["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["allowPrivilegeEscalation"] is False
    assert spec["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # what govbot writes goes to emptyDirs: GOVBOT_HOME and the temporary files
    writable = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    mounts = {m["mountPath"] for m in spec["volumeMounts"] if m["name"] in writable}
    assert {environment(rendered)["GOVBOT_HOME"], "/tmp"} <= mounts
    ports = {p["name"]: p["containerPort"] for p in spec["ports"]}
    assert spec["args"][spec["args"].index("--port") + 1] == str(ports["http"])
    assert spec["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert spec["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    for kind in ("requests", "limits"):
        assert set(spec["resources"][kind]) == {"cpu", "memory"}


def test_service_budget_and_network_policy_select_govbots_pods(
        rendered: list[dict[str, Any]]) -> None:
    deployment = one(rendered, "Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = one(rendered, "Service")
    budget = one(rendered, "PodDisruptionBudget")
    policy = one(rendered, "NetworkPolicy")
    for selector in (service["spec"]["selector"], budget["spec"]["selector"]["matchLabels"],
                     policy["spec"]["podSelector"]["matchLabels"],
                     deployment["spec"]["selector"]["matchLabels"]):
        assert selector and selector.items() <= labels.items()
    assert budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert [p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]] == [8080]
    egress = {(p["protocol"], p["port"]) for rule in policy["spec"]["egress"]
              for p in rule["ports"]}
    assert {("UDP", 53), ("TCP", 53), ("TCP", 443), ("TCP", 5432)} <= egress


def peers(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """Every peer the NetworkPolicy allows, ingress sources and egress destinations."""
    rules = [*policy["spec"].get("ingress", []), *policy["spec"].get("egress", [])]
    return [peer for rule in rules for peer in rule.get("from", rule.get("to", []))]


def test_network_policy_peers_never_carry_govbots_labels(
        rendered: list[dict[str, Any]]) -> None:
    # a label added to every selector once turned the DNS peer into "govbot's own pods"
    ours = one(rendered, "Deployment")["spec"]["template"]["metadata"]["labels"]
    policy = one(rendered, "NetworkPolicy")
    for peer in peers(policy):
        for selector in ("podSelector", "namespaceSelector"):
            labels = peer.get(selector, {}).get("matchLabels", {})
            assert not labels.items() & ours.items(), (selector, labels)
    dns = [rule for rule in policy["spec"]["egress"]
           if any(p["port"] == 53 for p in rule["ports"])]
    assert [rule["to"] for rule in dns] == [[{
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]]
