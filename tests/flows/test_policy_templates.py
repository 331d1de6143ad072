"""Saved policy templates end to end: /template save through a reviewed change, then
/template apply as one change per service, each judged by its environment's guardrails
(issue #13)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.check import check_repository
from bot.core.events import Answer, ChangeMerged, ChangeOpened, Event
from bot.scaffold import init_repository
from policies.document import new_document, service_path
from tests.conftest import SEEDER, Govbot

SAVED = ("rateLimit", "circuitBreaker", "timeout", "retries")


def _merge(govbot: Govbot, text: str) -> None:
    opened = govbot.one(text)
    assert isinstance(opened, ChangeOpened), opened.text
    merged = govbot.one(f"/approve {opened.change_id}", user="bob")
    assert isinstance(merged, ChangeMerged), merged.text


def _on_main(govbot: Govbot, path: str) -> dict[str, Any]:
    data = yaml.safe_load(govbot.git("show", f"main:{path}"))
    assert isinstance(data, dict)
    return data


def _commit(govbot: Govbot, files: dict[str, str | None]) -> None:
    """Put files on main as a reviewed pull request would."""
    repo = govbot.app.repo
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, files, SEEDER, "seed"), old=old)


def _opened(events: list[Event]) -> dict[str, ChangeOpened]:
    return {e.change.service: e for e in events if isinstance(e, ChangeOpened)}


def _answer(events: list[Event]) -> Answer:
    assert isinstance(events[-1], Answer), events
    return events[-1]


def test_save_then_apply_carries_the_sections_to_each_service(govbot: Govbot) -> None:
    _merge(govbot, "/ratelimit svc-user 500/5s")
    _merge(govbot, "/circuitbreak svc-user 5xx=5 interval=30s eject=30s")
    _merge(govbot, "/timeout svc-user 2s retries 3 per 500ms on 5xx")
    source = _on_main(govbot, service_path("dev", "demo", "svc-user"))["spec"]

    saved = govbot.one("/template save resilient from svc-user")
    assert isinstance(saved, ChangeOpened), saved.text
    assert "Needs 1 approval" in saved.text  # templates.approvals, not the guardrails' 2
    assert "+kind: PolicyTemplate" in saved.change.diff
    merged = govbot.one(f"/approve {saved.change_id}", user="bob")
    assert isinstance(merged, ChangeMerged), merged.text
    template = _on_main(govbot, "templates/resilient.yaml")
    assert template["spec"] == {key: source[key] for key in SAVED}
    assert template["metadata"]["source"] == "svc-user in dev/demo"

    events = govbot.say("/template apply resilient to svc-pay,svc-order")
    opened = _opened(events)
    assert set(opened) == {"svc-pay", "svc-order"}
    for service, event in opened.items():
        diff = event.change.diff
        assert f"services/dev/demo/{service}.yaml" in diff
        for line in ("+  rateLimit:", "+    requests: 500", "+    consecutive5xxErrors: 5",
                     "+  timeout: 2s", "+    perTryTimeout: 500ms"):
            assert line in diff, (service, diff)
        assert diff.count("\n-") == 0  # nothing of the document goes
    answer = _answer(events)
    assert answer.ok and "2 opened, 0 refused" in answer.text
    assert all(f"#{e.change.id}" in answer.text for e in opened.values())

    for event in opened.values():
        assert isinstance(govbot.one(f"/approve {event.change.id}", user="bob"), ChangeMerged)
    for service in opened:
        spec = _on_main(govbot, service_path("dev", "demo", service))["spec"]
        assert {key: spec[key] for key in SAVED} == {key: source[key] for key in SAVED}
        assert (govbot.rendered() / f"destinationrule-{service}.yaml").exists()
        assert (govbot.rendered() / f"envoyfilter-{service}-local-ratelimit.yaml").exists()


def test_a_service_a_prod_limit_denies_is_refused_and_the_other_opened(
        govbot: Govbot) -> None:
    def prod_document(service: str, timeout: str) -> str:
        return new_document("prod", "demo", service) + f"  timeout: {timeout}\n"

    retries = yaml.safe_dump({
        "apiVersion": "govbot.dev/v1", "kind": "PolicyTemplate",
        "metadata": {"name": "patient-retries"},
        "spec": {"retries": {"attempts": 3, "perTryTimeout": "1s", "retryOn": "5xx"}}})
    _commit(govbot, {"templates/patient-retries.yaml": retries,
                     service_path("prod", "demo", "svc-pay"): prod_document("svc-pay", "5s"),
                     service_path("prod", "demo", "svc-order"): prod_document("svc-order",
                                                                               "2s")})
    before = govbot.main()

    events = govbot.say("/template apply patient-retries to svc-pay,svc-order --env prod")
    opened = _opened(events)
    assert set(opened) == {"svc-pay"}
    assert "+    attempts: 3" in opened["svc-pay"].change.diff
    answer = _answer(events)
    assert not answer.ok and "1 opened, 1 refused" in answer.text
    refused = answer.text.split("refused:", 1)[1]
    assert "svc-order" in refused and "[resilience.retry_budget]" in refused
    assert [b for b in govbot.branches() if "svc-order" in b] == []
    assert govbot.main() == before


def test_the_starting_templates_pass_the_dev_and_prod_guardrails(govbot: Govbot) -> None:
    listed = govbot.one("/template list").text
    for name in ("resilient-http", "protect-upstream", "gateway-only"):
        assert name in listed
    for env in ("dev", "prod"):
        for name, service in (("resilient-http", "svc-user"), ("protect-upstream", "svc-pay"),
                              ("gateway-only", "svc-order")):
            events = govbot.say(f"/template apply {name} to {service} --env {env}")
            assert set(_opened(events)) == {service}, _answer(events).text
            assert not _opened(events)[service].change.deny


def test_refusals_are_precise_and_change_nothing(govbot: Govbot) -> None:
    _merge(govbot, "/timeout svc-user 2s")
    before, branches = govbot.main(), govbot.branches()
    cases = {
        "/template save resilient-http from svc-user":
            "exists already (/template show resilient-http); save under another name, "
            "like /template save resilient-http-2 from svc-user",
        "/template save mine from svc-usr": "svc-usr is not governed in dev/demo",
        "/template save mine from svc-pay": "has none of the sections a template keeps",
        "/template apply resilient-htp to svc-pay": "Did you mean resilient-http?",
        "/template apply nothing-like-it to svc-pay": "the templates are gateway-only, "
                                                      "protect-upstream, resilient-http",
        "/template show resilient": "no policy template named resilient",
        "/template save Bad from svc-user": "is not a template name",
    }
    for text, says in cases.items():
        reply = govbot.one(text)
        assert not reply.ok and says in reply.text, (text, reply.text)
    unknown = _answer(govbot.say("/template apply resilient-http to svc-nope"))
    assert "svc-nope is not governed in dev/demo" in unknown.text and not unknown.ok
    assert govbot.main() == before and govbot.branches() == branches


def test_a_save_approved_after_main_moved_keeps_its_content(govbot: Govbot) -> None:
    _merge(govbot, "/timeout svc-user 2s retries 2 per 500ms")
    saved = govbot.one("/template save quick from svc-user")
    assert isinstance(saved, ChangeOpened)
    _merge(govbot, "/ratelimit svc-pay 100/1s")  # main moves under the open change
    merged = govbot.one(f"/approve {saved.change_id}", user="bob")
    assert isinstance(merged, ChangeMerged), merged.text
    assert _on_main(govbot, "templates/quick.yaml")["spec"] == {
        "timeout": "2s", "retries": {"attempts": 2, "perTryTimeout": "500ms"}}


def test_templates_approvals_of_govbot_yaml_decide(govbot: Govbot) -> None:
    config = govbot.git("show", "main:govbot.yaml").replace(
        "templates:\n  approvals:\n    required: 1\n",
        "templates:\n  approvals:\n    required: 2\n    from: [sre]\n")
    _commit(govbot, {"govbot.yaml": config})
    _merge(govbot, "/timeout svc-user 2s")
    saved = govbot.one("/template save quick from svc-user")
    assert isinstance(saved, ChangeOpened) and "Needs 2 approvals" in saved.text
    assert not isinstance(govbot.one(f"/approve {saved.change_id}", user="bob"), ChangeMerged)
    merged = govbot.one(f"/approve {saved.change_id}", user="carol")
    assert isinstance(merged, ChangeMerged), merged.text


def test_a_broken_template_is_named_and_never_applied(govbot: Govbot, tmp_path: Path) -> None:
    broken = "apiVersion: govbot.dev/v1\nkind: PolicyTemplate\nmetadata:\n  name: broken\n" \
             "spec:\n  release:\n    canaryWeight: 50\n"
    _commit(govbot, {"templates/broken.yaml": broken})
    reply = _answer(govbot.say("/template apply broken to svc-pay"))
    assert not reply.ok and "spec.release" in reply.text
    assert "broken: cannot be used" in govbot.one("/template list").text

    folder = tmp_path / "policy"
    init_repository(folder)
    assert not [p for p in check_repository(folder).problems if "templates/" in p]
    (folder / "templates" / "broken.yaml").write_text(broken)
    problems = check_repository(folder).problems
    assert [p for p in problems if p.startswith("templates/broken.yaml: spec.release")]


def test_rolling_back_a_save_removes_the_template(govbot: Govbot) -> None:
    _merge(govbot, "/timeout svc-user 2s")
    saved = govbot.one("/template save quick from svc-user")
    assert isinstance(govbot.one(f"/approve {saved.change_id}", user="bob"), ChangeMerged)
    rollback = govbot.one(f"/rollback {saved.change_id}")
    assert isinstance(rollback, ChangeOpened), rollback.text
    assert "-kind: PolicyTemplate" in rollback.change.diff
    assert isinstance(govbot.one(f"/approve {rollback.change_id}", user="bob"), ChangeMerged)
    assert "templates/quick.yaml" not in govbot.git("ls-tree", "-r", "--name-only", "main")
    assert "no policy template named quick" in govbot.one("/template show quick").text


def test_a_service_with_an_open_change_is_refused_with_its_holder(govbot: Govbot) -> None:
    held = govbot.one("/canary svc-pay 10%")
    assert isinstance(held, ChangeOpened)
    events = govbot.say("/template apply resilient-http to svc-pay,svc-order")
    assert set(_opened(events)) == {"svc-order"}
    refused = _answer(events).text.split("refused:", 1)[1]
    assert "svc-pay" in refused and f"#{held.change_id}" in refused


def test_an_open_save_holds_the_name_in_every_environment(govbot: Govbot) -> None:
    _merge(govbot, "/timeout svc-user 2s")
    saved = govbot.one("/template save quick from svc-user")
    assert isinstance(saved, ChangeOpened)
    again = govbot.one("/template save quick from svc-user --env prod")
    assert not again.ok and f"#{saved.change_id}" in again.text
