"""The bare mirror of a hosted forge's repository: real git, a local bare remote."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.errors import Conflict
from bot.core.types import Author
from bot.forge.api import ForgeError
from bot.forge.mirror import Mirror
from bot.repo.git import MAIN, PolicyRepo

AUTHOR = Author("Alice Wang", "alice@example.com")


@pytest.fixture
def origin(tmp_path: Path) -> PolicyRepo:
    return PolicyRepo.init(tmp_path / "origin.git", {"README.md": "policies\n"}, AUTHOR)


@pytest.fixture
def mirror(tmp_path: Path, origin: PolicyRepo) -> Mirror:
    mirror = Mirror(tmp_path / "home" / "mirror.git", str(origin.path), token="t0ken-value",
                    fresh_seconds=0)
    mirror.ensure()
    return mirror


def test_ensure_creates_a_bare_mirror_with_main(mirror: Mirror, origin: PolicyRepo) -> None:
    assert mirror.main() == origin.head(MAIN)
    assert (mirror.path / "HEAD").is_file() and not (mirror.path / "README.md").exists()
    assert "t0ken-value" not in (mirror.path / "config").read_text()


def test_main_follows_the_remote_even_when_it_was_rewritten(mirror: Mirror,
                                                           origin: PolicyRepo) -> None:
    rewritten = origin.commit(origin.head(MAIN), {"x.txt": "x\n"}, AUTHOR, "x")
    origin.set_ref(MAIN, rewritten)
    assert mirror.main() == rewritten
    origin.set_ref(MAIN, origin.parents(rewritten)[0])  # a force-push back
    assert mirror.main() == origin.parents(rewritten)[0]


def test_main_is_fetched_at_most_every_fresh_seconds(tmp_path: Path,
                                                     origin: PolicyRepo) -> None:
    mirror = Mirror(tmp_path / "m.git", str(origin.path), fresh_seconds=3600)
    mirror.ensure()
    before = mirror.main()
    origin.set_ref(MAIN, origin.commit(before, {"y.txt": "y\n"}, AUTHOR, "y"))
    assert mirror.main() == before
    assert mirror.main(fresh=True) == origin.head(MAIN)


def test_push_creates_moves_with_a_lease_and_is_idempotent(mirror: Mirror,
                                                           origin: PolicyRepo) -> None:
    repo = PolicyRepo(mirror.path)
    first = repo.commit(mirror.main(), {"a.txt": "1\n"}, AUTHOR, "one")
    mirror.push("change/1-svc", first, old="")
    mirror.push("change/1-svc", first, old="")        # a retried push
    assert origin.head("change/1-svc") == first
    second = repo.commit(mirror.main(), {"a.txt": "2\n"}, AUTHOR, "two")
    with pytest.raises(Conflict):
        mirror.push("change/1-svc", second, old="")    # it exists with other content
    with pytest.raises(Conflict):
        mirror.push("change/1-svc", second, old=mirror.main())  # the lease is wrong
    mirror.push("change/1-svc", second, old=first)
    assert origin.head("change/1-svc") == second


def test_delete_is_harmless_when_gone(mirror: Mirror, origin: PolicyRepo) -> None:
    repo = PolicyRepo(mirror.path)
    head = repo.commit(mirror.main(), {"a.txt": "1\n"}, AUTHOR, "one")
    mirror.push("change/2-svc", head, old="")
    mirror.delete("change/2-svc")
    mirror.delete("change/2-svc")
    assert "change/2-svc" not in origin.branches("change/")


def test_merge_of_finds_where_a_head_landed(mirror: Mirror, origin: PolicyRepo) -> None:
    head = origin.commit(origin.head(MAIN), {"b.txt": "b\n"}, AUTHOR, "b")
    merged = origin.merge(origin.head(MAIN), head, "Merge b", AUTHOR)
    origin.set_ref(MAIN, merged)
    mirror.main(fresh=True)
    assert mirror.merge_of(head) == merged
    assert mirror.merge_of("0" * 40) is None


def test_an_unreadable_remote_is_a_permanent_forge_error(tmp_path: Path) -> None:
    mirror = Mirror(tmp_path / "m.git", str(tmp_path / "missing.git"))
    with pytest.raises(ForgeError) as error:
        mirror.ensure()
    assert not error.value.transient


def test_a_remote_that_does_not_answer_is_transient(tmp_path: Path) -> None:
    mirror = Mirror(tmp_path / "m.git", "http://127.0.0.1:9/policies.git", token="tok-123456")
    with pytest.raises(ForgeError) as error:
        mirror.ensure()
    assert error.value.transient and "tok-123456" not in str(error.value)
