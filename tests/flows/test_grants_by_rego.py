"""Who may request and who may reject is decided by main's guardrails alone: a reviewed
change to rego/ on main changes what govbot allows, with nothing else to edit."""

from __future__ import annotations

import yaml

from bot.core.types import Author
from tests.conftest import Govbot

ERIN = Author("Erin", "erin@example.com")


def _push(govbot: Govbot, changes: dict[str, str | None]) -> None:
    repo = govbot.app.repo
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, changes, ERIN, "reviewed by hand"), old=old)


def _with_shop(govbot: Govbot) -> None:
    config = yaml.safe_load(govbot.app.repo.read("main", "govbot.yaml") or "")
    config["environments"]["dev"]["namespaces"]["shop"] = {"maxReplicas": 5}
    _push(govbot, {"govbot.yaml": yaml.safe_dump(config)})


def test_a_request_without_a_grant_is_denied_by_the_rule(govbot: Govbot) -> None:
    _with_shop(govbot)
    govbot.seed("svc-user", namespace="shop")
    denied = govbot.one("/canary svc-user 20% --ns shop")
    assert not denied.ok and "[authorization.no_grant]" in denied.text, denied.text
    assert govbot.app.store.changes(None) == []


def test_changing_the_rule_on_main_changes_the_answer(govbot: Govbot) -> None:
    _with_shop(govbot)
    govbot.seed("svc-user", namespace="shop")
    _push(govbot, {"rego/rules/authorization.rego": None,
                   "rego/rules/authorization_test.rego": None})
    opened = govbot.one("/canary svc-user 20% --ns shop")
    assert opened.ok and "opened" in opened.text, opened.text


def test_only_the_requester_or_an_approver_may_reject(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    access = yaml.safe_load(govbot.app.repo.read("main", "access.yaml") or "")
    access["people"]["erin"] = {"name": "Erin", "ids": {"console": "erin"}}
    _push(govbot, {"access.yaml": yaml.safe_dump(access)})
    refused = govbot.one("/reject 1", user="erin")
    assert not refused.ok and "may not reject" in refused.text
    assert govbot.app.store.get(1).state == "open"
    assert "rejected by bob" in govbot.one("/reject 1", user="bob").text
    govbot.one("/canary svc-user 30%")
    assert "rejected by alice" in govbot.one("/reject 2").text


def test_an_approved_change_that_main_now_denies_says_which_rule_and_what_to_do(
        govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20% --env prod")
    assert "1 of 2" in govbot.one("/approve 1", user="bob").text
    config = yaml.safe_load(govbot.app.repo.read("main", "govbot.yaml") or "")
    config["environments"]["prod"]["limits"]["canaryMaxStep"] = 10
    _push(govbot, {"govbot.yaml": yaml.safe_dump(config)})
    stuck = govbot.one("/approve 1", user="carol")
    assert not stuck.ok and "[release.max_step]" in stuck.text, stuck.text
    assert "/reject 1" in stuck.text
    assert govbot.app.store.get(1).state == "open"


def test_break_glass_is_only_for_the_requesters_own_change(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20% --env prod")
    refused = govbot.one("/approve 1 break-glass urgent", user="carol")
    assert not refused.ok and "your own" in refused.text
    assert govbot.app.store.approvals(1, govbot.app.store.get(1).content_hash) == []


def test_an_environment_that_needs_no_approval_says_so(govbot: Govbot) -> None:
    config = yaml.safe_load(govbot.app.repo.read("main", "govbot.yaml") or "")
    config["environments"]["dev"]["approvals"]["required"] = 0
    _push(govbot, {"govbot.yaml": yaml.safe_dump(config)})
    events = govbot.say("/canary svc-user 20%")
    assert "merged without review (dev requires no approval)" in events[-1].text
    assert "approved by ," not in events[-1].text
