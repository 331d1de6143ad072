"""/mesh through the console: a namespace's data plane answered, its switch opened as one
change of govbot.yaml judged as a change of the guardrails, and mistakes that open
nothing; a govbot.yaml change that alters what every service renders re-renders them."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.core.events import Answer, ApprovalRecorded, ChangeMerged, ChangeOpened
from policies.document import new_document, service_path
from tests.conftest import SEEDER, Govbot


def _commit(govbot: Govbot, files: dict[str, str | None]) -> None:
    """Put files on main as a reviewed pull request would."""
    repo = govbot.app.repo
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, files, SEEDER, "seed"), old=old)


def _config(govbot: Govbot) -> dict[str, Any]:
    data = yaml.safe_load(govbot.git("show", "main:govbot.yaml"))
    assert isinstance(data, dict)
    return data


def _no_change_opened(govbot: Govbot, text: str) -> Answer:
    branches, main = govbot.branches(), govbot.main()
    answer = govbot.one(text)
    assert isinstance(answer, Answer), answer
    assert govbot.branches() == branches and govbot.main() == main
    assert govbot.app.store.changes("open") == []
    return answer


def test_mesh_answers_the_channels_namespace_its_mode_and_what_it_cannot_carry(
        govbot: Govbot) -> None:
    sidecar = govbot.one("/mesh")
    assert isinstance(sidecar, Answer) and sidecar.ok
    assert sidecar.text.startswith("demo (dev) runs sidecar mode")
    assert "/mesh demo ambient --env dev" in sidecar.text

    config = _config(govbot)
    config["environments"]["prod"]["namespaces"]["demo"]["mesh"] = "ambient"
    _commit(govbot, {"govbot.yaml": yaml.safe_dump(config, sort_keys=False)})
    ambient = govbot.one("网格 demo --env prod")
    assert isinstance(ambient, Answer) and ambient.ok
    assert ambient.text.startswith("demo (prod) runs ambient mode; gatewayApi.channel: "
                                   "standard")
    for section in ("spec.fault:", "spec.rateLimit:", "spec.retries:"):
        assert section in ambient.text


def test_mistakes_are_named_and_open_nothing(govbot: Govbot) -> None:
    unknown_mode = _no_change_opened(govbot, "/mesh demo istio")
    assert not unknown_mode.ok
    assert "istio" in unknown_mode.text and "sidecar or ambient" in unknown_mode.text
    assert "example: /mesh demo ambient --env prod" in unknown_mode.text

    unknown_namespace = _no_change_opened(govbot, "/mesh shop ambient")
    assert not unknown_namespace.ok
    assert "unknown namespace 'shop'" in unknown_namespace.text
    assert "govbot.yaml defines demo" in unknown_namespace.text

    unknown_env = _no_change_opened(govbot, "/mesh demo ambient --env qa")
    assert "unknown environment 'qa'" in unknown_env.text

    already = _no_change_opened(govbot, "/mesh demo sidecar")
    assert already.text.startswith("nothing to change: demo in dev runs sidecar mode")


def test_a_switch_is_one_change_of_govbot_yaml_under_the_guardrails_approvals(
        govbot: Govbot) -> None:
    before = govbot.git("show", "main:govbot.yaml")
    opened = govbot.one("/mesh demo ambient --env prod")
    assert isinstance(opened, ChangeOpened), opened
    change = opened.change
    assert change.summary == "mesh demo (prod): sidecar → ambient"
    assert "Needs 2 approvals from sre" in opened.text  # governance.approvals
    changed = [line for line in change.diff.splitlines()
               if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))]
    assert changed == ["+        mesh: ambient"]

    again = govbot.one("/mesh demo ambient --env prod")
    assert isinstance(again, Answer) and not again.ok
    assert f"#{opened.change_id}" in again.text  # the namespace's switch is held

    assert isinstance(govbot.one(f"/approve {opened.change_id}", user="bob"), ApprovalRecorded)
    merged = govbot.one(f"/approve {opened.change_id}", user="carol")
    assert isinstance(merged, ChangeMerged), merged
    after = govbot.git("show", "main:govbot.yaml")
    assert _config(govbot)["environments"]["prod"]["namespaces"]["demo"]["mesh"] == "ambient"
    # only that line moved: every comment of the template is still there
    assert re.findall(r"^\s*#.*$", after, re.M) == re.findall(r"^\s*#.*$", before, re.M)
    assert govbot.one("/mesh demo --env prod").text.startswith("demo (prod) runs ambient")


def test_a_namespace_holding_what_ambient_cannot_carry_does_not_switch(govbot: Govbot) -> None:
    path = service_path("dev", "demo", "svc-pay")
    limited = new_document("dev", "demo", "svc-pay") + (
        "  rateLimit:\n    enabled: true\n    requests: 100\n    per: 1s\n")
    _commit(govbot, {path: limited})

    refused = _no_change_opened(govbot, "/mesh demo ambient")
    assert not refused.ok
    assert "svc-pay: spec.rateLimit:" in refused.text
    assert "take those sections off first (/ratelimit svc-pay off)" in refused.text
    assert "/timeout" not in refused.text and "/fault" not in refused.text


def _retrying(govbot: Govbot, channel: str) -> Answer:
    """/mesh demo ambient refused under a service that retries on `reset`."""
    path = service_path("dev", "demo", "svc-order")
    retrying = new_document("dev", "demo", "svc-order") + (
        "  timeout: 3s\n  retries:\n    attempts: 2\n    retryOn: reset\n")
    config = _config(govbot)
    config["gatewayApi"] = {"channel": channel}
    _commit(govbot, {path: retrying, "govbot.yaml": yaml.safe_dump(config, sort_keys=False)})
    refused = _no_change_opened(govbot, "/mesh demo ambient")
    assert not refused.ok and "svc-order: " in refused.text
    assert "/ratelimit" not in refused.text and "/fault" not in refused.text
    return refused


def test_retries_the_standard_channel_cannot_carry_are_told_to_go(govbot: Govbot) -> None:
    refused = _retrying(govbot, "standard")
    assert "(/timeout svc-order <d> without retries)" in refused.text


def test_retries_on_a_condition_an_httproute_cannot_state_are_told_to_change(
        govbot: Govbot) -> None:
    refused = _retrying(govbot, "experimental")
    assert "spec.retries.retryOn: reset" in refused.text
    assert ("(/timeout svc-order <d> without retries, or /timeout svc-order <d> retries <n> "
            "on 5xx)") in refused.text


def test_a_changed_cluster_domain_renders_every_service_again(govbot: Govbot) -> None:
    opened = govbot.one("/canary svc-user 20%")
    assert isinstance(opened, ChangeOpened)
    assert isinstance(govbot.one(f"/approve {opened.change_id}", user="bob"), ChangeMerged)
    routes = govbot.rendered() / "virtualservice-svc-user.yaml"
    assert "svc-user.demo.svc.cluster.local" in routes.read_text()

    config = _config(govbot)
    config["clusterDomain"] = "corp.example"
    _commit(govbot, {"govbot.yaml": yaml.safe_dump(config, sort_keys=False)})
    govbot.app.workflow.sweep()

    text = routes.read_text()
    assert "svc-user.demo.svc.corp.example" in text and "cluster.local" not in text


def test_a_switch_replays_on_a_moved_main_and_rolls_back_as_a_change(govbot: Govbot) -> None:
    opened = govbot.one("/mesh demo ambient --env prod")
    assert isinstance(opened, ChangeOpened)
    canary = govbot.one("/canary svc-user 20%")  # main moves under the switch
    assert isinstance(canary, ChangeOpened)
    assert isinstance(govbot.one(f"/approve {canary.change_id}", user="bob"), ChangeMerged)

    govbot.say(f"/approve {opened.change_id}", user="bob")
    merged = govbot.one(f"/approve {opened.change_id}", user="carol")
    assert isinstance(merged, ChangeMerged), merged
    assert _config(govbot)["environments"]["prod"]["namespaces"]["demo"]["mesh"] == "ambient"
    document = service_path("dev", "demo", "svc-user")
    assert "canaryWeight: 20" in govbot.git("show", f"main:{document}")

    rollback = govbot.one(f"/rollback {opened.change_id}")
    assert isinstance(rollback, ChangeOpened), rollback
    assert "-        mesh: ambient" in rollback.change.diff
