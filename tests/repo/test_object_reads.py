"""How PolicyRepo reads: one long-lived `git cat-file --batch`, tree objects searched by
name, branches read where git keeps them. Real bare repositories; git checks the result."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from bot.core.types import Author
from bot.repo import trees
from bot.repo.git import PolicyRepo
from bot.repo.reader import ObjectReader

GOVBOT = Author("govbot", "govbot@localhost")
ALICE = Author("Alice", "alice@example.com")
FOLDER = "services/dev/demo"


def git(repo: Path, *args: str, stdin: str | None = None,
        env: dict[str, str] | None = None) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    clean.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_DIR=str(repo),
                 **(env or {}))
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True,
                          input=stdin, env=clean).stdout


def service(n: int) -> str:
    return f"{FOLDER}/svc-{n:04d}.yaml"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> PolicyRepo:
    files = {service(n): f"name: svc-{n:04d}\n" for n in range(3000)}
    files["govbot.yaml"] = "clusterDomain: cluster.local\n"
    return PolicyRepo.init(tmp_path_factory.mktemp("reads") / "policy.git", files, GOVBOT)


def cat_files_of(repo: Path) -> list[int]:
    """Process ids of this process's `git cat-file --batch` children working in `repo`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and command[:3] == [b"git", b"cat-file", b"--batch"] \
                and Path(cwd) == repo:
            found.append(int(entry.name))
    return found


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    while True:  # gone once its parent could reap it; Popen.poll does that
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state in ("Z", "X"):
            return


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_killed_reader_is_started_again_and_the_read_still_answers(repo: PolicyRepo) -> None:
    assert repo.read("main", service(7)) == "name: svc-0007\n"
    [first] = cat_files_of(repo.path)
    kill(first)
    assert repo.read("main", service(8)) == "name: svc-0008\n"
    [second] = cat_files_of(repo.path)
    assert second != first


def test_one_reader_serves_every_read_until_it_is_closed(tmp_path: Path) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"a.yaml": "a\n"}, GOVBOT)
    reader = ObjectReader(repo.path)
    blob = git(repo.path, "rev-parse", "main:a.yaml").strip()
    assert reader.pid is None
    assert reader.read([blob, blob]) == [(blob, "blob", b"a\n")] * 2
    pid = reader.pid
    assert pid is not None
    assert reader.read([f"{repo.head()}^{{tree}}"])[0] is not None
    assert reader.pid == pid
    kill(pid)
    assert reader.read([blob])[0] == (blob, "blob", b"a\n")
    assert reader.pid not in (None, pid)
    reader.close()
    assert reader.pid is None
    assert reader.read([blob])[0] == (blob, "blob", b"a\n")  # a read after close starts it
    reader.close()


def test_reads_from_several_threads_get_their_own_answers(repo: PolicyRepo) -> None:
    gate = threading.Barrier(8)
    wrong: list[str] = []

    def read(worker: int) -> None:
        gate.wait()
        for n in range(worker, 3000, 97):
            if repo.read("main", service(n)) != f"name: svc-{n:04d}\n":
                wrong.append(service(n))
        numbers = range(worker * 40, worker * 40 + 40)
        expected = {service(n): f"name: svc-{n:04d}\n" for n in numbers}
        if repo.read_many("main", list(expected)) != expected:
            wrong.append(f"read_many of worker {worker}")

    workers = [threading.Thread(target=read, args=(w,)) for w in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert wrong == []


def test_missing_paths_are_absent(repo: PolicyRepo) -> None:
    asked = [service(1), service(9999), f"{FOLDER}/svc-0001.yaml/x", FOLDER,
             "services/prod/demo/svc-0001.yaml", "nothing/here.yaml", "govbot.yaml"]
    assert repo.read_many("main", asked) == {service(1): "name: svc-0001\n",
                                             "govbot.yaml": "clusterDomain: cluster.local\n"}
    assert repo.read("main", service(9999)) is None
    assert repo.object_id("main", service(9999)) is None
    assert repo.object_id("main", f"{service(1)}/x") is None
    assert repo.object_id("main", FOLDER) == git(repo.path, "rev-parse", f"main:{FOLDER}").strip()
    assert repo.list_folders("main", "services/dev/") == ["demo"]
    assert repo.list_folders("main", "services/none/") == []
    with pytest.raises(KeyError):
        repo.read("0123456789abcdef0123456789abcdef01234567", "govbot.yaml")


def test_a_whole_large_folder_reads_in_one_request(repo: PolicyRepo) -> None:
    paths = repo.list_files("main", f"{FOLDER}/")
    texts = repo.read_many("main", paths)
    assert len(texts) == 3000
    assert texts[service(2999)] == "name: svc-2999\n"


def test_branches_moved_by_git_itself_are_seen_loose_and_packed(tmp_path: Path) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"a.yaml": "a\n"}, GOVBOT)
    first = repo.head()
    second = repo.commit(first, {"a.yaml": "b\n"}, ALICE, "b")
    git(repo.path, "update-ref", "refs/heads/main", second)
    assert repo.head() == second
    git(repo.path, "update-ref", "refs/heads/change/1-svc", first)
    git(repo.path, "pack-refs", "--all")
    assert not (repo.path / "refs/heads/change/1-svc").exists()
    assert repo.head("change/1-svc") == first
    assert repo.head() == second
    git(repo.path, "update-ref", "-d", "refs/heads/change/1-svc")
    with pytest.raises(KeyError):
        repo.head("change/1-svc")
    git(repo.path, "tag", "-a", "-m", "v1", "v1", first,
        env={"GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.com"})
    assert repo.read("refs/tags/v1", "a.yaml") == "a\n"
    assert repo.read(git(repo.path, "rev-parse", "v1").strip(), "a.yaml") == "a\n"


def test_is_ancestor_agrees_with_git_near_and_far(tmp_path: Path) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"a.yaml": "0\n"}, GOVBOT)
    line = [repo.head()]
    for n in range(1, 40):
        line.append(repo.commit(line[-1], {"a.yaml": f"{n}\n"}, ALICE, f"step {n}"))
    side = repo.commit(line[3], {"b.yaml": "b\n"}, ALICE, "side")
    merged = repo.merge(line[-1], side, "merge side", ALICE)
    commits = [line[0], line[2], line[3], line[20], line[38], line[39], side, merged]
    for one in commits:
        for other in commits:
            by_git = subprocess.run(["git", "--git-dir", str(repo.path), "merge-base",
                                     "--is-ancestor", one, other]).returncode == 0
            assert repo.is_ancestor(one, other) == by_git, (commits.index(one),
                                                            commits.index(other))


def test_a_merge_of_a_descendant_has_the_tree_git_merges(tmp_path: Path) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"a.yaml": "a\n", "b.yaml": "b\n"}, GOVBOT)
    main = repo.head()
    change = repo.commit(main, {"a.yaml": "A\n", "c/d.yaml": "d\n"}, ALICE, "change")
    for ours, theirs in [(main, change), (change, main)]:
        merged = repo.merge(ours, theirs, "merge", ALICE)
        by_git = git(repo.path, "merge-tree", "--write-tree", ours, theirs).strip()
        assert repo.object_id(merged, "") == by_git
        assert repo.parents(merged) == [ours, theirs]


@pytest.mark.parametrize("author", [Author("Alice Wang 王", "alice@example.com"),
                                    Author(" Bob.", "<bob@example.com>"), Author("C", "c")])
def test_commits_are_what_commit_tree_writes(tmp_path: Path, author: Author) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"a.yaml": "a\n"}, GOVBOT)
    main = repo.head()
    side = repo.commit(main, {"b.yaml": "b\n"}, author, "side")
    one = repo.commit(main, {"a.yaml": "A\n"}, author, "灰度 svc-user\n\nno newline", GOVBOT)
    merged = repo.merge(one, side, "merge side", author)
    for sha in (side, one, merged):
        raw = git(repo.path, "cat-file", "commit", sha)
        headers, _, message = raw.partition("\n\n")
        lines = dict(line.split(" ", 1) for line in headers.splitlines() if " " in line)
        when = lines["committer"].rsplit(" ", 2)[1]
        env = {"GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
               "GIT_COMMITTER_NAME": author.name, "GIT_COMMITTER_EMAIL": author.email,
               "GIT_AUTHOR_DATE": f"@{when} +0000", "GIT_COMMITTER_DATE": f"@{when} +0000"}
        if sha == one:
            env.update(GIT_COMMITTER_NAME="govbot", GIT_COMMITTER_EMAIL="govbot@localhost")
        parents = [arg for p in repo.parents(sha) for arg in ("-p", p)]
        by_git = git(repo.path, "commit-tree", f"{sha}^{{tree}}", *parents, stdin=message,
                     env=env).strip()
        assert by_git == sha
    subprocess.run(["git", "--git-dir", str(repo.path), "fsck", "--strict", "--no-dangling"],
                   check=True, capture_output=True)


def tree_by_git(repo: Path, parent: str, changes: dict[str, str | None]) -> str:
    """The root tree git's own index writes for `changes` on top of `parent`."""
    env = {"GIT_INDEX_FILE": str(repo / "check-index")}
    git(repo, "read-tree", parent, env=env)
    lines = []
    for path, text in changes.items():
        if text is None:
            lines.append(f"0 {'0' * 40}\t{path}\n")
        else:
            blob = git(repo, "hash-object", "-w", "--stdin", stdin=text).strip()
            lines.append(f"100644 {blob}\t{path}\n")
    git(repo, "update-index", "--index-info", stdin="".join(lines), env=env)
    return git(repo, "write-tree", env=env).strip()


@pytest.mark.parametrize("changes", [
    {service(1500): "edited\n"},                                       # one entry replaced
    {service(0): None, service(2999): None},                           # first and last removed
    {f"{FOLDER}/a.yaml": "1\n", f"{FOLDER}/svc-1500.yaml0": "2\n",     # inserted: start, middle,
     f"{FOLDER}/zz.yaml": "3\n", f"{FOLDER}/svc-1500": "4\n"},         # end, a prefix of a name
    {f"{FOLDER}/svc-0042/inner.yaml": "5\n", service(41): "6\n"},      # a folder among files
    {f"{FOLDER}/é.yaml": "7\n", "services/prod/x/svc.yaml": "8\n"},    # non-ASCII; a new branch
    {**{service(n): None for n in range(3000)}, "top.yaml": "9\n"},    # a folder emptied
])
def test_tree_editing_writes_what_git_writes(repo: PolicyRepo,
                                             changes: dict[str, str | None]) -> None:
    parent = repo.head()
    sha = repo.commit(parent, changes, ALICE, "edit")
    assert repo.object_id(sha, "") == tree_by_git(repo.path, parent, changes)
    for path, text in changes.items():
        assert repo.read(sha, path) == text


def test_find_takes_only_whole_names() -> None:
    blob = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
    tree = trees.Tree()
    for name in ("b.yaml", "ab.yaml", "b.yaml0", "a"):
        tree.put(name, trees.FILE, blob)
    tree.put("b", trees.TREE, blob)
    data = tree.serialise()
    assert [raw.decode() for raw in trees.entries(data)] == [
        "a", "ab.yaml", "b.yaml", "b.yaml0", "b"]  # git's order: a folder sorts as "b/"
    assert trees.find(data, "b.yaml") == trees.entries(data)[b"b.yaml"]
    assert trees.find(data, "yaml") is None
    assert trees.find(data, "b") is not None and tree.mode("b") == trees.TREE
    tree.remove("b")
    assert tree.mode("b") is None and tree.mode("b.yaml") == trees.FILE


@pytest.mark.parametrize("shared", [False, True])
def test_objects_written_are_what_git_writes(tmp_path: Path, shared: bool) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"a.yaml": "a\n"}, GOVBOT)
    if shared:  # a repository shared between users is written by git itself
        git(repo.path, "config", "core.sharedRepository", "group")
        repo = PolicyRepo(repo.path)
    text = "name: 灰度\r\nno newline"
    sha = repo.commit(repo.head(), {"x/y/z.yaml": text, "a.yaml": None}, ALICE, "write")
    blob = git(repo.path, "hash-object", "--stdin", "--no-filters", stdin=text).strip()
    assert git(repo.path, "rev-parse", f"{sha}:x/y/z.yaml").strip() == blob
    assert repo.read(sha, "x/y/z.yaml") == text
    subprocess.run(["git", "--git-dir", str(repo.path), "fsck", "--strict", "--no-dangling"],
                   check=True, capture_output=True)
    assert not [p for p in (repo.path / "objects").rglob("tmp_obj_*")]
