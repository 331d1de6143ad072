"""Main moving under an open change, and a human's comments surviving govbot's edits."""

from __future__ import annotations

import difflib

from bot.core.types import Author
from tests.conftest import Govbot

HUMAN = Author("Erin Human", "erin@example.com")
PATH = "services/prod/demo/svc-user.yaml"

COMMENTED = """\
# svc-user: the user service. Owned by team-user (#team-user on chat).
apiVersion: govbot.dev/v1
kind: ServicePolicy
metadata:
  name: svc-user
  namespace: demo
  env: prod
spec:
  # versions first: the release steers between them
  versions:
    stable: v1   # the build everyone runs
    canary: v2   # the build under test
  port: 8080     # inbound|http|8080
  selector:
    app: svc-user
  release:
    strategy: canary
    canaryWeight: 0   # raised step by step, see the runbook
"""


def _push_main(govbot: Govbot, changes: dict[str, str | None], message: str) -> str:
    repo = govbot.app.repo
    old = repo.head("main")
    new = repo.commit(old, changes, HUMAN, message)
    repo.set_ref("main", new, old=old)
    return new


def test_comments_and_key_order_survive_a_command(govbot: Govbot) -> None:
    _push_main(govbot, {PATH: COMMENTED}, "svc-user policy by hand")
    assert govbot.one("/canary svc-user 20% --env prod").ok
    assert "merged" in govbot.one("/approve 1", user="bob").text + \
        govbot.one("/approve 1", user="carol").text
    after = govbot.git("show", f"main:{PATH}")
    changed = [line for line in difflib.unified_diff(COMMENTED.splitlines(), after.splitlines(),
                                                     lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed == ["-    canaryWeight: 0   # raised step by step, see the runbook",
                       "+    canaryWeight: 20   # raised step by step, see the runbook"]


def test_replay_with_the_same_diff_keeps_approvals(govbot: Govbot) -> None:
    _push_main(govbot, {PATH: COMMENTED}, "svc-user policy by hand")
    govbot.one("/canary svc-user 20% --env prod")
    assert govbot.one("/approve 1", user="bob").ok
    # someone edits another file on main: the change's own diff is unaffected
    _push_main(govbot, {"services/prod/demo/svc-other.yaml": COMMENTED.replace(
        "svc-user", "svc-other")}, "svc-other by hand")
    merged = govbot.one("/approve 1", user="carol")
    assert merged.ok and "merged" in merged.text, merged.text
    message = govbot.git("log", "-1", "--format=%B", "main")
    assert "Approved-by: bob" in message and "Approved-by: carol" in message
    assert "svc-other" in govbot.git("ls-tree", "-r", "--name-only", "main")


def test_replay_with_a_different_diff_voids_approvals(govbot: Govbot) -> None:
    _push_main(govbot, {PATH: COMMENTED}, "svc-user policy by hand")
    govbot.one("/canary svc-user 20% --env prod")
    assert govbot.one("/approve 1", user="bob").ok
    # a human moves the weight on main: the replayed diff is now 10 → 20, not 0 → 20
    _push_main(govbot, {PATH: COMMENTED.replace("canaryWeight: 0 ", "canaryWeight: 10 ")},
               "hotfix weight by hand")
    reply = govbot.one("/approve 1", user="carol")
    # carol reviewed 0 → 20: her approval must not count for 10 → 20
    assert not reply.ok and "not recorded" in reply.text and "10% → 20%" in reply.text
    change = govbot.app.store.get(1)
    assert change.state == "open" and "10% → 20%" in change.summary
    assert govbot.app.store.approvals(1, change.content_hash) == []
    # the branch was rebuilt on the new main
    assert govbot.git("merge-base", "main", "change/1-svc-user").strip() == govbot.main()
    assert "Still needs 1" in govbot.one("/approve 1", user="carol").text
    assert "merged" in govbot.one("/approve 1", user="bob").text


def test_a_deleted_document_is_not_recreated_on_an_old_approval(govbot: Govbot) -> None:
    _push_main(govbot, {PATH: COMMENTED}, "svc-user policy by hand")
    govbot.one("/canary svc-user 20% --env prod")
    assert govbot.one("/approve 1", user="bob").ok
    _push_main(govbot, {PATH: None}, "svc-user retired by hand")
    reply = govbot.one("/approve 1", user="carol")
    assert not reply.ok and "not recorded" in reply.text
    assert PATH not in govbot.git("ls-tree", "-r", "--name-only", "main")
