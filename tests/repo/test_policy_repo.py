"""PolicyRepo against real bare repositories in tmp_path, checked with git's own commands."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from bot.core.errors import Conflict
from bot.core.types import Author
from bot.repo.git import MergeConflict, PolicyRepo
from bot.repo.plumbing import GitError

GOVBOT = Author("govbot", "govbot@localhost")
ALICE = Author("Alice Wang 王", "alice@example.com")
BOB = Author("Bob", "bob@example.com")

FILES = {
    "govbot.yaml": "clusterDomain: cluster.local\n",
    "access.yaml": "people: {}  # trailing spaces stay   \n",
    "services/dev/demo/svc-user.yaml": "kind: ServicePolicy\r\nname: svc-user\r\n",
    "services/dev/demo/svc-index.yaml": "kind: ServicePolicy\nname: svc-index",  # no newline
    "rego/rules/release.rego": "package govbot.rules.release\n\n# 灰度 rules\n",
}
USER = "services/dev/demo/svc-user.yaml"


def git(repo: Path, *args: str) -> str:
    """git itself, with no user or system configuration, to check what PolicyRepo did."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True,
                          capture_output=True, text=True, env=env).stdout


def blobs(repo: Path, rev: str) -> dict[str, str]:
    """path → blob id of every file at `rev`, as `git ls-tree` lists them."""
    entries = (line.split("\t", 1) for line in git(repo, "ls-tree", "-r", rev).splitlines())
    return {path: meta.split()[2] for meta, path in entries}


@pytest.fixture
def repo(tmp_path: Path) -> PolicyRepo:
    return PolicyRepo.init(tmp_path / "policy.git", FILES, GOVBOT)


def test_init_creates_a_bare_repository_whose_head_is_main(repo: PolicyRepo) -> None:
    assert git(repo.path, "rev-parse", "--is-bare-repository").strip() == "true"
    assert git(repo.path, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert repo.head() == git(repo.path, "rev-parse", "main").strip()
    assert repo.branches() == ["main"]
    assert repo.list_files("main") == sorted(FILES)
    assert repo.read_many("main", list(FILES)) == FILES
    assert git(repo.path, "log", "--format=%an <%ae>|%s", "main").strip() == (
        "govbot <govbot@localhost>|initial policy repository")
    assert PolicyRepo.exists(repo.path)


def test_exists_is_false_for_anything_but_a_repository_with_main(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    subprocess.run(["git", "init", "--quiet", "--bare", "-b", "trunk", str(tmp_path / "bare")],
                   check=True, env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull})
    assert not PolicyRepo.exists(tmp_path / "missing")
    assert not PolicyRepo.exists(tmp_path / "empty")
    assert not PolicyRepo.exists(tmp_path / "bare")


def test_init_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "policy.git").mkdir()
    (tmp_path / "policy.git" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        PolicyRepo.init(tmp_path / "policy.git", FILES, GOVBOT)
    assert sorted(p.name for p in (tmp_path / "policy.git").iterdir()) == ["notes.txt"]


def test_read_gives_the_text_at_each_revision(repo: PolicyRepo) -> None:
    first = repo.head()
    second = repo.commit(first, {USER: "kind: ServicePolicy\nweight: 20\n"}, ALICE, "canary")
    repo.set_ref("change/1-svc-user", second, old="")
    assert repo.read(first, USER) == FILES[USER]
    assert repo.read("main", USER) == FILES[USER]
    assert repo.read(second, USER) == "kind: ServicePolicy\nweight: 20\n"
    assert repo.read("change/1-svc-user", USER) == "kind: ServicePolicy\nweight: 20\n"
    assert repo.read("refs/heads/change/1-svc-user", "govbot.yaml") == FILES["govbot.yaml"]


def test_absent_files_and_folders_read_as_none(repo: PolicyRepo) -> None:
    assert repo.read("main", "services/dev/demo/svc-nope.yaml") is None
    assert repo.read("main", "services/dev") is None  # a folder is not a file
    assert repo.object_id("main", "services/dev/demo/svc-nope.yaml") is None
    found = repo.read_many("main", ["govbot.yaml", "nope.yaml", "rego"])
    assert found == {"govbot.yaml": FILES["govbot.yaml"]}


def test_an_unknown_revision_is_a_key_error(repo: PolicyRepo) -> None:
    with pytest.raises(KeyError, match="no-such-branch"):
        repo.read("no-such-branch", "govbot.yaml")
    with pytest.raises(KeyError, match="no-such-branch"):
        repo.head("no-such-branch")


def test_object_id_is_gits_id_and_follows_the_content(repo: PolicyRepo) -> None:
    first = repo.head()
    assert repo.object_id(first, USER) == git(repo.path, "rev-parse", f"main:{USER}").strip()
    assert repo.object_id(first, "rego/") == git(repo.path, "rev-parse", "main:rego").strip()
    changed = repo.commit(first, {USER: "changed\n"}, ALICE, "edit")
    assert repo.object_id(changed, USER) != repo.object_id(first, USER)
    assert repo.object_id(changed, "rego") == repo.object_id(first, "rego")


def test_list_files_under_a_folder(repo: PolicyRepo) -> None:
    assert repo.list_files("main", "services/") == [
        "services/dev/demo/svc-index.yaml", "services/dev/demo/svc-user.yaml"]
    assert repo.list_files("main", "rego") == ["rego/rules/release.rego"]
    assert repo.list_files("main", "nothing/") == []


def test_commit_adds_modifies_and_deletes_and_keeps_every_other_file(repo: PolicyRepo) -> None:
    parent = repo.head()
    added = "services/prod/demo/svc-pay.yaml"
    sha = repo.commit(parent, {added: "new: doc\n", "govbot.yaml": "clusterDomain: corp\n",
                               "services/dev/demo/svc-index.yaml": None}, ALICE, "three")
    before, after = blobs(repo.path, parent), blobs(repo.path, sha)
    untouched = set(FILES) - {"govbot.yaml", "services/dev/demo/svc-index.yaml"}
    assert {p: after[p] for p in untouched} == {p: before[p] for p in untouched}
    assert set(after) == untouched | {"govbot.yaml", added}
    assert git(repo.path, "cat-file", "blob", f"{sha}:{added}") == "new: doc\n"
    assert repo.read(sha, "services/dev/demo/svc-index.yaml") is None
    assert repo.parents(sha) == [parent]
    assert repo.head() == parent  # no ref moves
    assert repo.changed_paths(parent, sha) == sorted(
        [added, "govbot.yaml", "services/dev/demo/svc-index.yaml"])


def test_commit_keeps_bytes_exactly(repo: PolicyRepo) -> None:
    text = "a: 1   \r\nb: 'ü'\n\n\n# no final newline"
    sha = repo.commit(repo.head(), {USER: text}, ALICE, "bytes")
    raw = subprocess.run(["git", "--git-dir", str(repo.path), "cat-file", "blob", f"{sha}:{USER}"],
                         check=True, capture_output=True).stdout
    assert raw == text.encode("utf-8")


def test_commit_records_author_and_committer_as_given(repo: PolicyRepo) -> None:
    own = repo.commit(repo.head(), {USER: "x\n"}, ALICE, "alice alone")
    assert git(repo.path, "log", "-1", "--format=%an|%ae|%cn|%ce", own).strip() == (
        "Alice Wang 王|alice@example.com|Alice Wang 王|alice@example.com")
    on_behalf = repo.commit(repo.head(), {USER: "y\n"}, ALICE, "for alice", committer=GOVBOT)
    assert git(repo.path, "log", "-1", "--format=%an|%ae|%cn|%ce", on_behalf).strip() == (
        "Alice Wang 王|alice@example.com|govbot|govbot@localhost")
    assert repo.message(on_behalf) == "for alice\n"


def test_git_setup_of_the_machine_is_ignored(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    # a broken global configuration makes every git command that reads it fail
    home = tmp_path / "home"
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".gitconfig").write_text("[user\nname = broken")
    (home / ".config" / "git" / "config").write_text("[user\nname = broken")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere.git"))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "stray-index"))
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    repo = PolicyRepo.init(tmp_path / "policy.git", FILES, GOVBOT)
    sha = repo.commit(repo.head(), {USER: "z\n"}, ALICE, "no identity on this machine")
    repo.set_ref("main", sha, old=repo.head())
    assert repo.read("main", USER) == "z\n"
    assert not (tmp_path / "elsewhere.git").exists()
    assert not (tmp_path / "stray-index").exists()


def test_a_file_where_a_folder_is_refuses_to_commit(repo: PolicyRepo) -> None:
    with pytest.raises(GitError, match="folder"):
        repo.commit(repo.head(), {"services/dev": "not a folder\n"}, ALICE, "clobber")
    with pytest.raises(GitError, match="file"):
        repo.commit(repo.head(), {"services/dev/demo/svc-user.yaml/x.yaml": "under a file\n"},
                    ALICE, "clobber")
    assert repo.list_files("main", "services/dev/") == [
        "services/dev/demo/svc-index.yaml", "services/dev/demo/svc-user.yaml"]


def test_merge_is_a_no_ff_commit_with_two_parents_and_the_message(repo: PolicyRepo) -> None:
    base = repo.head()
    change = repo.commit(base, {USER: "weight: 20\n"}, ALICE, "canary svc-user 20%")
    moved = repo.commit(base, {"govbot.yaml": "clusterDomain: corp\n"}, BOB, "other change")
    message = ("merge change #1: canary svc-user 20%\n\n"
               "Govbot-Change: 1\nRequested-by: alice\nApproved-by: bob\nApproved-by: carol\n")
    merged = repo.merge(moved, change, message, GOVBOT)
    assert repo.parents(merged) == [moved, change]
    assert repo.message(merged) == message
    assert git(repo.path, "log", "-1", "--format=%(trailers:key=Approved-by,valueonly)",
               merged).split() == ["bob", "carol"]
    assert git(repo.path, "log", "-1", "--format=%an|%cn", merged).strip() == "govbot|govbot"
    assert repo.read(merged, USER) == "weight: 20\n"
    assert repo.read(merged, "govbot.yaml") == "clusterDomain: corp\n"
    assert repo.is_ancestor(change, merged) and repo.is_ancestor(moved, merged)
    assert not repo.is_ancestor(merged, moved)


def test_merge_of_a_descendant_still_makes_a_merge_commit(repo: PolicyRepo) -> None:
    base = repo.head()
    change = repo.commit(base, {USER: "weight: 20\n"}, ALICE, "canary")
    merged = repo.merge(base, change, "merge change #1\n\nGovbot-Change: 1\n", GOVBOT)
    assert merged != change
    assert repo.parents(merged) == [base, change]
    assert repo.object_id(merged, "") == repo.object_id(change, "")


def test_conflicting_changes_raise_merge_conflict(repo: PolicyRepo) -> None:
    base = repo.head()
    ours = repo.commit(base, {USER: "weight: 10\n"}, BOB, "ours")
    theirs = repo.commit(base, {USER: "weight: 20\n"}, ALICE, "theirs")
    refs_before = git(repo.path, "for-each-ref")
    with pytest.raises(MergeConflict) as caught:
        repo.merge(ours, theirs, "merge", GOVBOT)
    assert caught.value.paths == (USER,)
    assert git(repo.path, "for-each-ref") == refs_before


def test_set_ref_is_compare_and_swap(repo: PolicyRepo) -> None:
    base = repo.head()
    one = repo.commit(base, {USER: "1\n"}, ALICE, "one")
    two = repo.commit(base, {USER: "2\n"}, ALICE, "two")
    repo.set_ref("change/1-svc-user", one, old="")
    with pytest.raises(Conflict):
        repo.set_ref("change/1-svc-user", two, old="")  # must not exist yet
    with pytest.raises(Conflict):
        repo.set_ref("change/1-svc-user", two, old=base)  # it is at `one`, not `base`
    assert repo.head("change/1-svc-user") == one
    repo.set_ref("refs/heads/change/1-svc-user", two, old=one)
    assert repo.head("change/1-svc-user") == two
    repo.set_ref("change/1-svc-user", base)  # no `old`: unconditional
    assert repo.head("refs/heads/change/1-svc-user") == base


def test_set_ref_refuses_an_object_that_does_not_exist(repo: PolicyRepo) -> None:
    with pytest.raises(GitError, match="nonexistent object"):
        repo.set_ref("change/9-x", "1234567890" * 4, old="")
    assert repo.branches() == ["main"]


def test_delete_ref_is_idempotent(repo: PolicyRepo) -> None:
    repo.set_ref("change/1-svc-user", repo.head(), old="")
    repo.delete_ref("change/1-svc-user")
    repo.delete_ref("change/1-svc-user")
    repo.delete_ref("refs/heads/never-existed")
    assert repo.branches() == ["main"]
    assert git(repo.path, "for-each-ref", "refs/heads/change/") == ""


def test_branches_are_short_names_filtered_by_prefix(repo: PolicyRepo) -> None:
    for name in ("change/2-svc-b", "change/10-svc-a", "feature/x"):
        repo.set_ref(name, repo.head(), old="")
    assert repo.branches() == ["change/10-svc-a", "change/2-svc-b", "feature/x", "main"]
    assert repo.branches("change/") == ["change/10-svc-a", "change/2-svc-b"]
    assert repo.branches("nothing/") == []


def test_changed_paths_of_equal_trees_is_empty(repo: PolicyRepo) -> None:
    base = repo.head()
    same = repo.commit(base, {USER: FILES[USER]}, ALICE, "no-op")
    assert repo.changed_paths(base, same) == []


@pytest.mark.parametrize("path", ["../escape.yaml", "services/../../etc/passwd", "/etc/passwd",
                                  "a//b.yaml", "./govbot.yaml", ".git/config", "a\nb.yaml",
                                  "services\\dev.yaml", ""])
def test_paths_that_could_escape_are_refused(repo: PolicyRepo, path: str) -> None:
    base = repo.head()
    with pytest.raises(ValueError, match="path"):
        repo.read("main", path)
    with pytest.raises(ValueError, match="path"):
        repo.read_many("main", ["govbot.yaml", path])
    with pytest.raises(ValueError, match="path"):
        repo.commit(base, {path: "x\n"}, ALICE, "escape")
    with pytest.raises(ValueError, match="path"):
        repo.commit(base, {path: None}, ALICE, "escape")
    assert repo.branches() == ["main"] and repo.head() == base


def test_object_id_and_list_files_refuse_escaping_paths(repo: PolicyRepo) -> None:
    with pytest.raises(ValueError, match="path"):
        repo.object_id("main", "../x")
    with pytest.raises(ValueError, match="path"):
        repo.list_files("main", "/etc/")


def test_no_working_tree_is_ever_created(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    repo = PolicyRepo.init(tmp_path / "policy.git", FILES, GOVBOT)
    change = repo.commit(repo.head(), {USER: "weight: 20\n"}, ALICE, "canary")
    repo.set_ref("change/1-svc-user", change, old="")
    merged = repo.merge(repo.head(), change, "merge", GOVBOT)
    repo.set_ref("main", merged, old=repo.head())
    repo.delete_ref("change/1-svc-user")
    names = {p.name for p in tmp_path.rglob("*")}
    assert not names & {"govbot.yaml", "svc-user.yaml", "index", ".git"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policy.git", "scratch"]
    assert list(scratch.iterdir()) == []  # temporary indexes are cleaned up
    assert git(repo.path, "config", "core.bare").strip() == "true"


def test_commits_agree_with_gits_own_index_and_drop_emptied_folders(repo: PolicyRepo) -> None:
    base = repo.head()
    changes: dict[str, str | None] = {
        "services/dev/demo/svc-user.yaml": None, "services/dev/demo/svc-index.yaml": None,
        "services/prod/shop/svc-cart.yaml": "cart\n", "a.yaml": "a\n", "services/z.yaml": "z\n"}
    sha = repo.commit(base, changes, ALICE, "many at once")
    assert "services/dev/demo" not in repo.list_files(sha, "services/")
    assert repo.read(sha, "services/prod/shop/svc-cart.yaml") == "cart\n"
    # git's own verdict on the trees we wrote: fsck finds nothing, and an index rebuilt
    # from the commit writes the very same tree
    subprocess.run(["git", "--git-dir", str(repo.path), "fsck", "--strict", "--no-dangling"],
                   check=True, capture_output=True)
    env = {**os.environ, "GIT_DIR": str(repo.path), "GIT_INDEX_FILE": str(repo.path / "t-idx")}
    subprocess.run(["git", "read-tree", sha], env=env, check=True)
    rebuilt = subprocess.run(["git", "write-tree"], env=env, check=True, capture_output=True,
                             text=True).stdout.strip()
    assert rebuilt == subprocess.run(["git", "--git-dir", str(repo.path), "rev-parse",
                                      f"{sha}^{{tree}}"], check=True, capture_output=True,
                                     text=True).stdout.strip()


def test_tree_order_matches_git_for_folders_and_non_ascii_names(repo: PolicyRepo) -> None:
    names = {"services/a-b.yaml": "1\n", "services/a/x.yaml": "2\n", "services/a.yaml": "3\n",
             "services/é.yaml": "4\n", "services/z.yaml": "5\n"}
    sha = repo.commit(repo.head(), names, ALICE, "ordering")
    subprocess.run(["git", "--git-dir", str(repo.path), "fsck", "--strict", "--no-dangling"],
                   check=True, capture_output=True)
    for path, text in names.items():
        assert repo.read(sha, path) == text
