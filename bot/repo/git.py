"""`PolicyRepo`: the policy repository as a bare git repository, used through plumbing.

Nothing here checks out a working tree: objects are read through one long-lived `git
cat-file --batch` (`bot.repo.reader`), paths found by searching tree objects by id (a
tree of 10,000 entries is fetched once, and only the trees on a path are), commits
written by editing the trees on their paths (`bot.repo.trees`), storing them as loose
objects (`bot.repo.objects`) with their commit (`commit-tree` when git would rewrite an
identity), merges made with `git merge-tree --write-tree` (git ≥ 2.38) unless one side
descends from the other, and refs moved with compare-and-swap `update-ref`. A full
commit id is taken as it is, and a branch is read from its ref file when git keeps it
there. So the cost of a command does not grow with the number of documents in the
repository, and most reads start no process.

Every git process gets an explicit environment: no system or global configuration, no
terminal prompt, no inherited `GIT_*` variables, identities and dates from the caller.
So results do not depend on the machine's git setup (CI runners have no identity).

Called by the workflow (reading documents and rules of main, opening branches) and the
local forge (merging, deleting branches).

Example:
    govbot = Author("govbot", "govbot@localhost")
    repo = PolicyRepo.init(home / "policy.git", template_files, govbot)
    text = repo.read("main", "govbot.yaml")
    sha = repo.commit(repo.head("main"), {"services/dev/demo/svc-user.yaml": "..."},
                      Author("Alice Wang", "alice@example.com"), "canary svc-user 0% → 20%")
    repo.set_ref("refs/heads/change/1-svc-user", sha)
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from bot.core.errors import Conflict
from bot.core.types import Author
from bot.repo import trees
from bot.repo.objects import ObjectStore
from bot.repo.plumbing import GitError, check_path, check_rev, full_ref, run

MAIN = "main"
ZERO = "0" * 40
_SHA = re.compile(r"[0-9a-f]{40}")
# a branch or tag name safe to open as a file under the repository (no "..", no dot files)
_REF_FILE = re.compile(r"refs/(heads|tags)/(?!.*(?:\.\.|/\.|//|\.lock$))[A-Za-z0-9._/-]+")
_RECENT = 16  # commits walked on each side before `is_ancestor` asks git


class MergeConflict(Exception):
    """`merge-tree` found conflicting changes; the caller replays the intent instead."""

    def __init__(self, message: str, paths: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.paths = tuple(paths)


class PolicyRepo:
    """A bare git repository holding policy documents."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not (self.path / "HEAD").is_file() or not (self.path / "objects").is_dir():
            raise GitError(f"opening policy repository: {self.path} is not a bare git repository")
        self._objects = ObjectStore(self.path)
        weakref.finalize(self, self._objects.close)
        self._ref_files = not (self.path / "reftable").exists()

    def close(self) -> None:
        """End the repository's git reader; a later read starts it again."""
        self._objects.close()

    @classmethod
    def init(cls, path: Path, files: Mapping[str, str], author: Author,
             message: str = "initial policy repository") -> PolicyRepo:
        """Create a bare repository at `path` whose `main` holds `files` (path → text)."""
        path = Path(path)
        if path.exists() and any(path.iterdir()):
            raise FileExistsError(f"creating policy repository: {path} is not empty")
        path.parent.mkdir(parents=True, exist_ok=True)
        run(["init", "--quiet", "--bare", "-b", MAIN, str(path)], cwd=path.parent)
        repo = cls(path)
        sha = repo._commit_tree(None, files, author, author, message)
        repo.set_ref(MAIN, sha, old="")
        return repo

    @staticmethod
    def exists(path: Path) -> bool:
        """True when `path` is a git repository with a `main` branch."""
        try:
            return PolicyRepo(path)._resolve(full_ref(MAIN)) is not None
        except GitError:
            return False

    def head(self, ref: str = MAIN) -> str:
        """The commit id a branch (short name or full ref) points at; KeyError if absent."""
        sha = self._resolve(full_ref(ref))
        if sha is None:
            raise KeyError(f"branch {ref!r} does not exist in {self.path}")
        return sha

    def read(self, rev: str, path: str) -> str | None:
        """A file's text at a commit or branch; None when the file does not exist there."""
        return self.read_many(rev, [path]).get(path)

    def object_id(self, rev: str, path: str) -> str | None:
        """The blob or tree id of `path` at `rev` (cache key material); None when absent.

        An empty `path` names the root tree.
        """
        name = check_path(path.rstrip("/"), allow_empty=True)
        root = self._objects.root(self._commit(rev))
        if not name:
            return root
        entry = self._objects.entry(root, name)
        return entry.oid if entry is not None else None

    def list_files(self, rev: str, prefix: str = "") -> list[str]:
        """Paths of files under `prefix` (a folder, e.g. "rego/") at `rev`, sorted."""
        folder = check_path(prefix.rstrip("/"), allow_empty=True)
        args = ["ls-tree", "-r", "-z", self._commit(rev)]
        out = self._git([*args, "--", folder] if folder else args).stdout.decode()
        paths = []
        for entry in filter(None, out.split("\0")):
            meta, name = entry.split("\t", 1)
            if meta.split()[1] == "blob" and (not folder or name.startswith(folder + "/")):
                paths.append(name)
        return sorted(paths)

    def list_folders(self, rev: str, prefix: str) -> list[str]:
        """Names of the folders directly under `prefix` (e.g. "services/dev/") at `rev`,
        sorted: one tree read, whatever the folders hold."""
        folder = check_path(prefix.rstrip("/"))
        entry = self._objects.entry(self._objects.root(self._commit(rev)), folder)
        if entry is None or entry.mode != trees.TREE:
            return []
        found = trees.entries(self._objects.tree(entry.oid))
        return sorted(name.decode("utf-8", errors="surrogateescape")
                      for name, e in found.items() if e.mode == trees.TREE)

    def read_many(self, rev: str, paths: list[str]) -> dict[str, str]:
        """Several files' texts at once; absent paths (and folders) are left out.

        `rev` is resolved once, so every file comes from the same commit even when the
        branch moves meanwhile. An unknown `rev` raises KeyError. Each folder's tree is
        read once and the blobs asked for by id, in one request.
        """
        names = [check_path(p) for p in paths]
        if not names:
            return {}
        root = self._objects.root(self._commit(rev))
        by_folder: dict[str, list[str]] = {}
        for name in names:
            by_folder.setdefault(trees.split(name)[0], []).append(name)
        blobs: dict[str, str] = {}
        for folder, inside in by_folder.items():
            blobs.update(self._objects.blob_ids(root, folder, inside))
        texts = self._objects.blobs(list(blobs.values()))
        return {name: texts[oid].decode("utf-8") for name, oid in blobs.items() if oid in texts}

    def commit(self, parent: str, changes: Mapping[str, str | None], author: Author,
               message: str, committer: Author | None = None) -> str:
        """A new commit on top of `parent` with `changes` (path → new text, None deletes).

        Authored by `author`, committed by `committer` (default: the author). Returns its id;
        no ref moves.
        """
        return self._commit_tree(self._commit(parent), changes, author,
                                 committer or author, message)

    def merge(self, ours: str, theirs: str, message: str, committer: Author) -> str:
        """A `--no-ff` merge commit of `theirs` into `ours` (parents in that order).

        Raises MergeConflict when the trees conflict. No ref moves. When one side
        descends from the other (a change branched from today's main), the merged tree is
        the newer side's, as git's three-way merge would make it, and git is not asked.
        """
        ours, theirs = self._commit(ours), self._commit(theirs)
        if ours in self._objects.recent(theirs, _RECENT):
            tree = self._objects.root(theirs)
            return self._write_commit(tree, [ours, theirs], committer, committer, message)
        if theirs in self._objects.recent(ours, _RECENT):
            tree = self._objects.root(ours)
            return self._write_commit(tree, [ours, theirs], committer, committer, message)
        out = self._git(["merge-tree", "--write-tree", "--name-only", "--no-messages", "-z",
                         ours, theirs], ok=(0, 1))
        tree, *rest = out.stdout.decode().split("\0")
        if out.returncode == 1:
            paths = sorted({p for p in rest if p})
            raise MergeConflict(f"merging {theirs[:12]} into {ours[:12]}: "
                                f"conflicting changes to {', '.join(paths) or 'the trees'}", paths)
        return self._write_commit(tree.strip(), [ours, theirs], committer, committer, message)

    def set_ref(self, ref: str, new: str, old: str | None = None) -> None:
        """Point `ref` (short branch name or full ref) at `new`.

        With `old`, only if it still points at `old` (compare-and-swap; raises
        bot.core.errors.Conflict otherwise). `old=""` means the ref must not exist yet.
        """
        full = full_ref(ref)
        args = ["update-ref", "-m", "govbot", full, new]
        if old is not None:
            args.append(old or ZERO)
        out = self._git(args, ok=(0, 128))
        if out.returncode == 0:
            return
        problem = out.stderr.decode().strip()
        if "cannot lock ref" in problem:
            raise Conflict(f"moving {full} to {new[:12]}: {problem.removeprefix('fatal: ')}")
        raise GitError(f"moving {full} to {new[:12]}: {problem}")

    def delete_ref(self, ref: str) -> None:
        """Delete a branch; no error when it is already gone."""
        self._git(["update-ref", "-m", "govbot", "-d", full_ref(ref)])

    def branches(self, prefix: str = "") -> list[str]:
        """Short branch names starting with `prefix`."""
        out = self._git(["for-each-ref", "--format=%(refname)", "refs/heads/"]).stdout.decode()
        names = (line.removeprefix("refs/heads/") for line in out.splitlines())
        return sorted(name for name in names if name.startswith(prefix))

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths that differ between two commits (`diff-tree -r --name-only`)."""
        out = self._git(["diff-tree", "-r", "-z", "--name-only", "--no-renames",
                         self._commit(old), self._commit(new)]).stdout.decode()
        return sorted(p for p in out.split("\0") if p)

    def message(self, rev: str) -> str:
        """The full commit message of `rev`."""
        return self._commit_object(rev)[1]

    def parents(self, rev: str) -> list[str]:
        """The parent commit ids of `rev`, in order (two for a merge)."""
        headers = self._commit_object(rev)[0]
        return [line.split()[1] for line in headers if line.startswith("parent ")]

    def merge_base(self, one: str, other: str) -> str:
        """The best common ancestor of two commits ("" when they share none)."""
        out = self._git(["merge-base", self._commit(one), self._commit(other)], ok=(0, 1))
        return out.stdout.decode().strip()

    def is_ancestor(self, ancestor: str, rev: str) -> bool:
        """True when `ancestor` is reachable from `rev` (a commit is its own ancestor).

        The usual questions (is the last applied commit a parent of main, is main older
        than it) are answered from the few newest commits on either side; anything
        further is git's `merge-base --is-ancestor`.
        """
        ancestor, rev = self._commit(ancestor), self._commit(rev)
        if ancestor in self._objects.recent(rev, _RECENT):
            return True
        if rev in self._objects.recent(ancestor, _RECENT):  # older, and git has no cycles
            return False
        out = self._git(["merge-base", "--is-ancestor", ancestor, rev], ok=(0, 1))
        return out.returncode == 0

    # -- plumbing -------------------------------------------------------------------------

    def _git(self, args: list[str], *, stdin: bytes | None = None, ok: tuple[int, ...] = (0,),
             env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        return run(args, cwd=self.path, stdin=stdin, ok=ok,
                    env={"GIT_DIR": str(self.path), **(env or {})})

    def _resolve(self, rev: str) -> str | None:
        check_rev(rev)
        if _SHA.fullmatch(rev):
            return self._objects.commit(rev)
        if self._ref_files and _REF_FILE.fullmatch(rev):
            # git keeps a ref it moved in its own file, written whole by a rename
            held = self._ref_file(rev)
            if held is not None:
                return self._objects.commit(held) if held else None
        out = self._git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], ok=(0, 1))
        sha = out.stdout.decode().strip()
        return self._objects.commit(sha) if sha else None

    def _ref_file(self, ref: str) -> str | None:
        """What git's files say `ref` points at: its loose file (git writes it whole, by a
        rename) or else its line in packed-refs; "" when neither holds it; None when
        only git can tell (a symbolic ref, something unexpected)."""
        try:
            held = (self.path / ref).read_bytes().decode("ascii", errors="replace").strip()
            return held if _SHA.fullmatch(held) else None
        except (FileNotFoundError, NotADirectoryError):
            pass
        except IsADirectoryError:
            return ""
        try:
            packed = (self.path / "packed-refs").read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        suffix = f" {ref}"
        for line in packed.splitlines():
            if line.endswith(suffix) and _SHA.fullmatch(line[:40]) and len(line) == 41 + len(ref):
                return line[:40]
        return ""

    def _commit(self, rev: str) -> str:
        """The commit id of a sha, short branch name or full ref; KeyError when unknown."""
        named = rev.startswith("refs/") or _SHA.fullmatch(rev) is not None
        for candidate in [rev] if named else [f"refs/heads/{rev}", rev]:
            sha = self._resolve(candidate)
            if sha is not None:
                return sha
        raise KeyError(f"revision {rev!r} does not exist in {self.path}")

    def _commit_object(self, rev: str) -> tuple[list[str], str]:
        raw = self._objects.commit_bytes(self._commit(rev)).decode("utf-8")
        headers, _, message = raw.partition("\n\n")
        return headers.splitlines(), message

    def _commit_tree(self, parent: str | None, changes: Mapping[str, str | None],
                     author: Author, committer: Author, message: str) -> str:
        for path in changes:
            check_path(path)
        if parent is None:
            tree = self._root_tree(changes)
        else:
            tree = self._edited_tree(self._commit(parent), changes)
        return self._write_commit(tree, [parent] if parent else [], author, committer, message)

    def _root_tree(self, changes: Mapping[str, str | None]) -> str:
        """The tree of a first commit, built in a temporary index."""
        with tempfile.TemporaryDirectory(prefix="govbot-index-") as scratch:
            index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self._git(["read-tree", "--empty"], env=index)
            written = {p: text for p, text in changes.items() if text is not None}
            if written:
                blobs = self._objects.write("blob", [t.encode() for t in written.values()])
                infos = [f"100644,{blob},{p}" for p, blob in zip(written, blobs, strict=True)]
                args = [arg for info in infos for arg in ("--cacheinfo", info)]
                self._git(["update-index", "--add", *args], env=index)
            return self._git(["write-tree"], env=index).stdout.decode().strip()

    def _edited_tree(self, commit: str, changes: Mapping[str, str | None]) -> str:
        """`commit`'s tree with `changes`, rewriting only the folders on their paths (each
        edited in its bytes, not parsed) and storing the new blobs and trees."""
        folders = sorted({d for path in changes for d in trees.ancestors(path)},
                         key=lambda d: d.count("/") + bool(d))
        root = self._objects.root(commit)
        entries: dict[str, trees.Tree] = {}
        for folder in folders:
            entry = (self._objects.entry(root, folder) if folder
                     else trees.Entry(trees.TREE, root, 0, 0))
            if entry is not None and entry.mode != trees.TREE:
                raise GitError(f"writing under {folder}: it is a file, not a folder")
            entries[folder] = trees.Tree(self._objects.tree(entry.oid) if entry else b"")
        written = [(p, t) for p, t in changes.items() if t is not None]
        blobs = self._objects.write("blob", [t.encode() for _p, t in written])
        for path, blob in zip((p for p, _t in written), blobs, strict=True):
            folder, name = trees.split(path)
            if entries[folder].mode(name) == trees.TREE:
                raise GitError(f"writing {path}: a folder of that name is there")
            entries[folder].put(name, trees.FILE, blob)
        for path in (p for p, t in changes.items() if t is None):
            folder, name = trees.split(path)
            if entries[folder].mode(name) == trees.TREE:
                raise GitError(f"deleting {path}: it is a folder")
            entries[folder].remove(name)
        return self._write_trees(folders, entries)

    def _write_trees(self, folders: list[str], entries: dict[str, trees.Tree]) -> str:
        """Serialise the edited folders bottom-up, dropping emptied ones, and store them."""
        objects: list[bytes] = []
        for folder in reversed(folders):
            data = entries[folder].serialise()
            if not folder:
                objects.append(data)
                break
            parent, name = trees.split(folder)
            if not entries[folder]:
                entries[parent].remove(name)
                continue
            objects.append(data)
            entries[parent].put(name, trees.TREE, trees.object_id("tree", data))
        return self._objects.write("tree", objects)[-1]

    def _write_commit(self, tree: str, parents: list[str], author: Author, committer: Author,
                      message: str) -> str:
        now = int(time.time())
        text = message if message.endswith("\n") else message + "\n"
        parents = list(dict.fromkeys(parents))  # as commit-tree: a repeated parent counts once
        if self._objects.loose and _plain(author) and _plain(committer):
            header = "".join([f"tree {tree}\n", *(f"parent {p}\n" for p in parents),
                              f"author {author.name} <{author.email}> {now} +0000\n",
                              f"committer {committer.name} <{committer.email}> {now} +0000\n"])
            return self._objects.write("commit", [f"{header}\n{text}".encode()])[0]
        when = f"@{now} +0000"
        identity = {
            "GIT_AUTHOR_NAME": author.name, "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": committer.name, "GIT_COMMITTER_EMAIL": committer.email,
            "GIT_COMMITTER_DATE": when,
        }
        args = ["commit-tree", tree, *(arg for p in parents for arg in ("-p", p))]
        return self._git(args, stdin=text.encode("utf-8"), env=identity).stdout.decode().strip()


# what git's commit-tree trims from the ends of a name or email, or drops inside them
_CRUD = ".,:;<>\"\\'"


def _plain(person: Author) -> bool:
    """Whether git would write `person` as given: then the commit is written here, byte
    for byte what commit-tree writes; otherwise git writes it."""
    return all(text and not any(c in text for c in "\n<>")
               and text[0] > " " and text[-1] > " "
               and text[0] not in _CRUD and text[-1] not in _CRUD
               for text in (person.name, person.email))
