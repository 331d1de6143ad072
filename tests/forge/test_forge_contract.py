"""The forge contract: every adapter answers the same cases the same way.

Each case gets a forge over a fresh policy repository (a real bare git repository) and a
change written on a branch off main. New adapters (GitHub, GitLab, Gitea against their
local fake servers) join `FORGES` and must pass every case unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.change import Change
from bot.core.errors import Conflict
from bot.core.types import Author, Decision
from bot.forge import Forge, build
from bot.repo.git import MAIN, PolicyRepo
from policies.intents import Canary

ALICE = Author("Alice Wang", "alice@example.com")
GOVBOT = Author("govbot", "govbot@localhost")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PATH = "services/dev/demo/svc-user.yaml"


@dataclass
class Setup:
    forge: Forge
    repo: PolicyRepo

    def change(self, number: int = 1, text: str = "weight: 20\n") -> Change:
        """A change whose branch content is committed (not yet opened on the forge)."""
        base = self.forge.main()
        head = self.repo.commit(base, {PATH: text}, ALICE, f"change {number}")
        return Change(number, "dev", "demo", "svc-user", PATH, "canary", "canary 20",
                      "alice", "open", f"change/{number}-svc-user", base, head, "hash",
                      "diff", Canary("svc-user", "set", 20), Decision(allow=True), NOW, NOW)


def _local(tmp_path: Path) -> Setup:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"README.md": "policies\n"}, GOVBOT)
    return Setup(build("local", repo), repo)


FORGES: dict[str, Callable[[Path], Setup]] = {"local": _local}


@pytest.fixture(params=sorted(FORGES))
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    yield FORGES[request.param](tmp_path)


def test_main_is_where_the_default_branch_points(setup: Setup) -> None:
    assert setup.forge.main() == setup.repo.head(MAIN)


def test_open_publishes_the_branch_and_answers_a_url(setup: Setup) -> None:
    change = setup.change()
    url = setup.forge.open(change)
    assert url and change.branch in url
    assert setup.repo.head(change.branch) == change.head_sha
    assert setup.repo.read(change.branch, PATH) == "weight: 20\n"


def test_opening_the_same_branch_twice_is_a_conflict(setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change)
    with pytest.raises(Conflict):
        setup.forge.open(change)


def test_update_moves_the_branch_only_from_its_old_head(setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change)
    rebuilt = replace(change, head_sha=setup.repo.commit(change.base_sha, {PATH: "w: 30\n"},
                                                         ALICE, "rebuilt"))
    with pytest.raises(Conflict):
        setup.forge.update(rebuilt, old_head=change.base_sha)
    setup.forge.update(rebuilt, old_head=change.head_sha)
    assert setup.repo.head(change.branch) == rebuilt.head_sha


def test_a_new_change_has_no_reviews(setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change)
    assert setup.forge.reviews(change) == []


def test_merge_makes_a_merge_commit_with_the_trailers_and_drops_the_branch(
        setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change)
    before = setup.forge.main()
    message = "Merge change #1: canary 20\n\nGovbot-Change: 1\nApproved-by: bob\n"
    merged = setup.forge.merge(change, message, GOVBOT)
    assert setup.forge.main() == merged
    assert setup.repo.parents(merged) == [before, change.head_sha]
    assert "Govbot-Change: 1" in setup.repo.message(merged)
    assert setup.repo.read(MAIN, PATH) == "weight: 20\n"
    assert change.branch not in setup.repo.branches("change/")


def test_merge_after_main_moved_keeps_both(setup: Setup) -> None:
    first, second = setup.change(1), setup.change(2, "other: 1\n")
    second = replace(second, path="services/dev/demo/svc-pay.yaml",
                     head_sha=setup.repo.commit(second.base_sha,
                                                {"services/dev/demo/svc-pay.yaml": "x: 1\n"},
                                                ALICE, "pay"),
                     branch="change/2-svc-pay")
    setup.forge.open(first)
    setup.forge.open(second)
    setup.forge.merge(first, "Merge change #1\n", GOVBOT)
    merged = setup.forge.merge(second, "Merge change #2\n", GOVBOT)
    assert setup.repo.read(merged, PATH) == "weight: 20\n"
    assert setup.repo.read(merged, "services/dev/demo/svc-pay.yaml") == "x: 1\n"


def test_close_drops_the_branch_and_leaves_main(setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change)
    main = setup.forge.main()
    setup.forge.close(change)
    assert change.branch not in setup.repo.branches("change/")
    assert setup.forge.main() == main
    setup.forge.close(change)  # closing again is harmless


def test_an_unknown_forge_kind_fails_at_start_up(tmp_path: Path) -> None:
    from bot.core.errors import ConfigError

    repo = PolicyRepo.init(tmp_path / "policy.git", {"README.md": "x\n"}, GOVBOT)
    with pytest.raises(ConfigError, match="GOVBOT_FORGE"):
        build("bitbucket", repo)
