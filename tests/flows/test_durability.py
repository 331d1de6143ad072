"""Nothing is lost: restarts, repeated applies, and an apply that failed are caught up."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.change import ChangeSet
from bot.core.types import Author, Command, Decision
from policies.intents import Canary
from tests.conftest import Govbot, make_govbot


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {p.name: (p.read_text(), p.stat().st_mtime_ns) for p in sorted(folder.glob("*.yaml"))}


def test_applying_twice_changes_nothing_and_a_restart_keeps_state(govbot: Govbot,
                                                                  tmp_path: Path) -> None:
    govbot.one("/canary svc-user 20%")
    govbot.one("/approve 1", user="bob")
    before = _snapshot(govbot.rendered())
    assert govbot.app.workflow.sync() == []
    govbot.app.close()
    again = make_govbot(govbot.home)
    try:
        assert again.app.workflow.sync() == []
        assert _snapshot(again.rendered()) == before
        assert again.one("/canary svc-user 30%").change_id == 2
    finally:
        again.app.close()


def test_a_failed_apply_stays_pending_and_is_caught_up(govbot: Govbot) -> None:
    blocker = govbot.home / "rendered" / "dev"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a folder")
    govbot.one("/canary svc-user 20%")
    reply = govbot.one("/approve 1", user="bob")
    assert "merged" in reply.text and "apply pending" in reply.text
    assert govbot.app.store.get(1).state == "merged"
    blocker.unlink()
    replies = govbot.app.workflow.sync()
    assert any("VirtualService svc-user" in r.text for r in replies)
    assert (govbot.rendered() / "virtualservice-svc-user.yaml").is_file()


def test_a_deleted_render_folder_is_rebuilt_from_main(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    govbot.one("/approve 1", user="bob")
    shutil.rmtree(govbot.home / "rendered")
    replies = govbot.app.workflow.sync()
    assert (govbot.rendered() / "virtualservice-svc-user.yaml").is_file(), replies


def test_a_full_sync_restores_edited_files_and_deletes_orphans(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    govbot.one("/approve 1", user="bob")
    vs = govbot.rendered() / "virtualservice-svc-user.yaml"
    original = vs.read_text()
    vs.write_text("edited by hand\n")
    (govbot.rendered() / "destinationrule-svc-user.yaml").unlink()
    assert govbot.app.workflow.sync() == []  # nothing changed on main
    govbot.app.workflow.sync(full=True)
    assert vs.read_text() == original
    assert (govbot.rendered() / "destinationrule-svc-user.yaml").is_file()
    # a source the target holds but main no longer has is pruned by a full sync
    from bot.apply.directory import DirectoryTarget
    DirectoryTarget(govbot.home / "rendered").apply(
        "dev", "demo", "services/dev/demo/svc-gone.yaml",
        [{"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "svc-gone", "namespace": "demo",
                       "annotations": {"govbot.dev/source": "services/dev/demo/svc-gone.yaml"}}}])
    assert (govbot.rendered() / "configmap-svc-gone.yaml").is_file()
    govbot.app.workflow.sync(full=True)
    assert not (govbot.rendered() / "configmap-svc-gone.yaml").exists()


def test_a_repeated_delivery_runs_once(govbot: Govbot) -> None:
    command = Command("console", "alice", "console", "/canary svc-user 20%", event_id="evt-1")
    first = govbot.app.workflow.handle(command)
    second = govbot.app.workflow.handle(command)
    assert first and first[0].change_id == 1 and second == []
    assert len(govbot.app.store.changes(None)) == 1


def test_a_restart_finishes_what_a_stop_interrupted(govbot: Govbot) -> None:
    store, repo = govbot.app.store, govbot.app.repo
    govbot.seed("svc-half", "svc-cart")
    # 1. stopped while opening: a row without a branch → forgotten, the service free again
    store.open_change(ChangeSet("dev", "demo", "svc-half", "services/dev/demo/svc-half.yaml",
                                "canary", "canary svc-half 0% → 5%", None, "spec: {}\n",
                                Canary("svc-half", "set", 5)),
                      "alice", govbot.main(), Decision(allow=True))
    # 2. stopped between moving main and recording the merge
    govbot.one("/canary svc-user 20%")
    change = store.get(2)
    old = repo.head("main")
    repo.set_ref("main", repo.merge(old, change.head_sha, "Merge change #2",
                                    Author("govbot", "govbot@localhost")), old=old)
    # 3. a branch lost on the remote
    govbot.one("/canary svc-cart 20%")
    repo.delete_ref("change/3-svc-cart")
    replies = govbot.app.workflow.sync()
    assert [c.id for c in store.changes("open")] == [3]
    assert store.get(2).state == "merged"
    assert any("#2 was merged" in r.text for r in replies)
    assert "change/3-svc-cart" in govbot.branches()
    assert (govbot.rendered() / "virtualservice-svc-user.yaml").is_file()
    assert govbot.one("/canary svc-half 5%").ok
    assert "merged" in govbot.one("/approve 3", user="bob").text
