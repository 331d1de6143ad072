"""A start over the rendered tree renders again only what it must: nothing when the tree
is intact, everything when it was deleted or damaged; a `sync --full` over an unchanged
tree rewrites no file."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import SEEDER, Govbot, make_govbot

VS = "virtualservice-svc-user.yaml"


def _stamps(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root`, the index too: its mtime_ns and inode."""
    return {p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
            for p in root.rglob("*") if p.is_file()}


def _restarted(govbot: Govbot) -> Govbot:
    govbot.app.close()
    return make_govbot(govbot.home)


def _merged(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    assert "merged" in govbot.one("/approve 1", user="bob").text
    assert (govbot.rendered() / VS).is_file()


def test_an_unchanged_full_sync_rewrites_no_file(govbot: Govbot) -> None:
    _merged(govbot)
    root = govbot.home / "rendered"
    before = _stamps(root)
    replies = govbot.app.workflow.sync(full=True)
    assert any("VirtualService svc-user" in r.text for r in replies)  # it did render all
    assert _stamps(root) == before


def test_a_start_over_an_intact_tree_renders_nothing_again(govbot: Govbot) -> None:
    _merged(govbot)
    again = _restarted(govbot)
    try:
        assert again.app.workflow.sync() == []
    finally:
        again.app.close()


def test_a_start_where_no_document_renders_an_object_renders_nothing_again(
        govbot: Govbot) -> None:
    # main's one document that is not the default cannot render: every render of all of
    # main reports it, so a start that rendered everything again would say so
    repo = govbot.app.repo
    old = repo.head("main")
    broken = {"services/dev/demo/svc-broken.yaml": "apiVersion: govbot.dev/v1\nkind: x\n"}
    repo.set_ref("main", repo.commit(old, broken, SEEDER, "a broken document"), old=old)
    assert any("svc-broken" in r.text for r in govbot.app.workflow.sync())
    assert not list((govbot.home / "rendered").rglob("*.yaml"))
    again = _restarted(govbot)
    try:
        assert again.app.workflow.sync() == []
    finally:
        again.app.close()


def test_a_start_over_a_tree_missing_a_file_renders_everything_again(govbot: Govbot) -> None:
    _merged(govbot)
    (govbot.rendered() / VS).unlink()
    again = _restarted(govbot)
    try:
        replies = again.app.workflow.sync()
        assert any("VirtualService svc-user" in r.text for r in replies)
        assert (again.rendered() / VS).is_file()
    finally:
        again.app.close()


def test_a_start_over_a_deleted_tree_renders_everything_again(govbot: Govbot) -> None:
    _merged(govbot)
    shutil.rmtree(govbot.home / "rendered")
    again = _restarted(govbot)
    try:
        again.app.workflow.sync()
        assert (again.rendered() / VS).is_file()
    finally:
        again.app.close()
