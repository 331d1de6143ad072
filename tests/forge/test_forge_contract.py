"""The forge contract: every adapter answers the same cases the same way.

Each case gets a forge over a fresh policy repository (a real bare git repository: the
local forge's own, or the remote a fake GitHub, GitLab or Gitea server hosts behind
`GOVBOT_REPO_URL`, with govbot's mirror beside it) and a change written on a branch off
main. `origin` is where branches and main really live.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.change import Change
from bot.core.errors import ConfigError, Conflict, Refused, TransientError
from bot.core.types import Author, Decision
from bot.forge import Forge, ForgeSettings, build, mirror_path, open_mirror
from bot.repo.git import MAIN, PolicyRepo
from policies.intents import Canary
from tests.support.forges import FakeForge

ALICE = Author("Alice Wang", "alice@example.com")
GOVBOT = Author("govbot", "govbot@localhost")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PATH = "services/dev/demo/svc-user.yaml"


def _github(git_dir: Path) -> FakeForge:
    from tests.support.fake_github import FakeGitHub
    return FakeGitHub(git_dir)


def _gitlab(git_dir: Path) -> FakeForge:
    from tests.support.fake_gitlab import FakeGitLab
    return FakeGitLab(git_dir)


def _gitea(git_dir: Path) -> FakeForge:
    from tests.support.fake_gitea import FakeGitea
    return FakeGitea(git_dir)


FAKES: dict[str, Callable[[Path], FakeForge]] = {
    "github": _github, "gitlab": _gitlab, "gitea": _gitea}


@dataclass
class Setup:
    forge: Forge
    repo: PolicyRepo      # where govbot writes commits (the local repository or the mirror)
    origin: PolicyRepo    # where branches and main live
    fake: FakeForge | None = None

    def change(self, number: int = 1, text: str = "weight: 20\n") -> Change:
        """A change whose branch content is committed (not yet opened on the forge)."""
        base = self.forge.main()
        head = self.repo.commit(base, {PATH: text}, ALICE, f"change {number}")
        return Change(number, "dev", "demo", "svc-user", PATH, "canary", "canary 20",
                      "alice", "open", f"change/{number}-svc-user", base, head, "hash",
                      "diff", Canary("svc-user", "set", 20), Decision(allow=True), NOW, NOW)


def remote_settings(fake: FakeForge, **extra: object) -> ForgeSettings:
    return replace(ForgeSettings(kind=fake.kind, repo_url=str(fake.git_dir), url=fake.url,
                                 token=fake.token, repo=fake.repo, backoff_seconds=0.0,
                                 pacing_seconds=0.0),
                   **extra)  # type: ignore[arg-type]


def remote(kind: str, tmp_path: Path, stack: ExitStack) -> Setup:
    origin = PolicyRepo.init(tmp_path / "origin.git", {"README.md": "policies\n"}, GOVBOT)
    fake = FAKES[kind](origin.path)
    stack.enter_context(fake.serve())
    settings = remote_settings(fake)
    repo = open_mirror(settings, mirror_path(tmp_path / "home"))
    return Setup(build(settings, repo), repo, origin, fake)


@pytest.fixture(params=["local", *sorted(FAKES)])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    if request.param == "local":
        repo = PolicyRepo.init(tmp_path / "policy.git", {"README.md": "policies\n"}, GOVBOT)
        yield Setup(build(ForgeSettings(repo_url=str(repo.path)), repo), repo, repo)
        return
    with ExitStack() as stack:
        yield remote(request.param, tmp_path, stack)


def test_main_is_where_the_default_branch_points(setup: Setup) -> None:
    assert setup.forge.main() == setup.origin.head(MAIN)


def test_main_follows_the_remote(setup: Setup) -> None:
    moved = setup.origin.commit(setup.origin.head(MAIN), {"x.txt": "x\n"}, ALICE, "push")
    setup.origin.set_ref(MAIN, moved)
    if setup.fake is not None:
        assert setup.forge.main() in (moved, setup.repo.head(MAIN))  # fetched at most every 2 s
        assert setup.repo.head(MAIN) in (moved, setup.repo.parents(moved)[0])
    import time
    time.sleep(2.1)
    assert setup.forge.main() == moved


def test_open_publishes_the_branch_and_answers_a_url(setup: Setup) -> None:
    change = setup.change()
    url = setup.forge.open(change, "the description")
    assert url
    assert setup.origin.head(change.branch) == change.head_sha
    assert setup.origin.read(change.branch, PATH) == "weight: 20\n"
    if setup.fake is not None:
        pull = setup.fake.pull_for(change.branch)
        assert pull is not None and pull["title"] == "canary 20"
        assert pull["body"] == "the description" and pull["state"] == "open"
        assert setup.forge.pull_of(change) is not None


def test_opening_again_is_harmless_and_opens_one_pull_request(setup: Setup) -> None:
    change = setup.change()
    first = setup.forge.open(change, "body")
    assert setup.forge.open(change, "body") == first
    assert len(setup.forge.pulls()) == (0 if setup.fake is None else 1)


def test_opening_a_branch_that_holds_other_content_is_a_conflict(setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change, "body")
    other = replace(change, head_sha=setup.repo.commit(change.base_sha, {PATH: "w: 1\n"},
                                                       ALICE, "other"))
    with pytest.raises(Conflict):
        setup.forge.open(other, "body")


def test_update_moves_the_branch_only_from_its_old_head(setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change, "body")
    rebuilt = replace(change, head_sha=setup.repo.commit(change.base_sha, {PATH: "w: 30\n"},
                                                         ALICE, "rebuilt"))
    with pytest.raises(Conflict):
        setup.forge.update(rebuilt, old_head=change.base_sha)
    setup.forge.update(rebuilt, old_head=change.head_sha)
    assert setup.origin.head(change.branch) == rebuilt.head_sha


def test_a_new_change_has_no_reviews(setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change, "body")
    pull = setup.forge.pull_of(change)
    if setup.fake is None:
        assert pull is None
    else:
        assert pull is not None and setup.forge.reviews(pull.number) == []


def test_merge_makes_a_merge_commit_with_the_trailers_and_drops_the_branch(
        setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change, "body")
    before = setup.forge.main()
    message = "Merge change #1: canary 20\n\nGovbot-Change: 1\nApproved-by: bob\n"
    merged = setup.forge.merge(change, message, GOVBOT)
    assert setup.origin.head(MAIN) == merged
    assert setup.origin.parents(merged) == [before, change.head_sha]
    assert setup.origin.message(merged).startswith("Merge change #1: canary 20")
    assert "Govbot-Change: 1" in setup.origin.message(merged)
    assert "Approved-by: bob" in setup.origin.message(merged)
    assert setup.origin.read(MAIN, PATH) == "weight: 20\n"
    assert change.branch not in setup.origin.branches("change/")
    if setup.fake is not None:
        pull = setup.fake.pull_for(change.branch)
        assert pull is not None and setup.fake.pull(pull["number"])["state"] == "merged"


def test_merge_after_main_moved_keeps_both(setup: Setup) -> None:
    first, second = setup.change(1), setup.change(2, "other: 1\n")
    second = replace(second, path="services/dev/demo/svc-pay.yaml",
                     head_sha=setup.repo.commit(second.base_sha,
                                                {"services/dev/demo/svc-pay.yaml": "x: 1\n"},
                                                ALICE, "pay"),
                     branch="change/2-svc-pay")
    setup.forge.open(first, "one")
    setup.forge.open(second, "two")
    setup.forge.merge(first, "Merge change #1\n", GOVBOT)
    merged = setup.forge.merge(second, "Merge change #2\n", GOVBOT)
    assert setup.origin.read(merged, PATH) == "weight: 20\n"
    assert setup.origin.read(merged, "services/dev/demo/svc-pay.yaml") == "x: 1\n"


def test_close_drops_the_branch_and_leaves_main(setup: Setup) -> None:
    change = setup.change()
    setup.forge.open(change, "body")
    main = setup.forge.main()
    setup.forge.close(change)
    assert change.branch not in setup.origin.branches("change/")
    assert setup.forge.main() == main
    if setup.fake is not None:
        pull = setup.fake.pull_for(change.branch)
        assert pull is not None and setup.fake.pull(pull["number"])["state"] == "closed"
    setup.forge.close(change)  # closing again is harmless


def test_an_unknown_forge_kind_fails_at_start_up(tmp_path: Path) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"README.md": "x\n"}, GOVBOT)
    with pytest.raises(ConfigError, match="GOVBOT_FORGE"):
        build(ForgeSettings(kind="bitbucket"), repo)


# -- hosted forges only --------------------------------------------------------------------


@pytest.fixture(params=sorted(FAKES))
def hosted(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    with ExitStack() as stack:
        yield remote(request.param, tmp_path, stack)


def test_a_forge_failing_three_times_opens_one_pull_request(hosted: Setup) -> None:
    assert hosted.fake is not None
    hosted.fake.fail("create_pull", 502, times=3)
    change = hosted.change()
    hosted.forge.open(change, "body")
    assert len(hosted.forge.pulls()) == 1
    assert hosted.fake.count("create_pull") == 4


def test_a_rate_limit_is_waited_out(hosted: Setup) -> None:
    assert hosted.fake is not None
    hosted.fake.fail("list_pulls", 429, times=1, retry_after=0)
    assert hosted.forge.pulls() == []


def test_a_forge_that_keeps_failing_is_a_transient_error_and_opens_nothing(
        hosted: Setup) -> None:
    assert hosted.fake is not None
    hosted.fake.fail("create_pull", 503, times=10)
    change = hosted.change()
    with pytest.raises(TransientError, match="not answering"):
        hosted.forge.open(change, "body")


def test_a_refused_merge_names_the_forge_and_its_reason(hosted: Setup) -> None:
    assert hosted.fake is not None
    change = hosted.change()
    hosted.forge.open(change, "body")
    hosted.fake.fail("merge", 405, times=3)  # a refusal that stays, not a forge still checking
    with pytest.raises(Refused) as refused:
        hosted.forge.merge(change, "Merge change #1\n", GOVBOT)
    assert hosted.forge.name in str(refused.value)
    assert change.branch in hosted.origin.branches("change/")  # the change stays open


def test_a_merge_refused_while_the_forge_still_checks_mergeability_is_tried_again(
        hosted: Setup) -> None:
    assert hosted.fake is not None
    change = hosted.change()
    hosted.forge.open(change, "body")
    hosted.fake.fail("merge", 405, times=1)
    merged = hosted.forge.merge(change, "Merge change #1\n", GOVBOT)
    assert hosted.origin.head(MAIN) == merged
    assert hosted.fake.count("merge") == 2


def test_a_wrong_token_is_refused_not_retried(hosted: Setup, tmp_path: Path) -> None:
    assert hosted.fake is not None
    settings = replace(remote_settings(hosted.fake), token="wrong-token-123")
    forge = build(settings, hosted.repo)
    with pytest.raises(Refused) as refused:
        forge.pulls()
    assert "wrong-token-123" not in str(refused.value)


def test_a_remote_without_main_fails_at_start_up(tmp_path: Path) -> None:
    empty = tmp_path / "empty.git"
    empty.mkdir()
    import subprocess
    subprocess.run(["git", "init", "--quiet", "--bare", str(empty)], check=True)
    settings = ForgeSettings(kind="github", repo_url=str(empty), url="http://127.0.0.1:9",
                             token="t", repo="o/n")
    with pytest.raises(ConfigError, match="GOVBOT_REPO_URL"):
        open_mirror(settings, tmp_path / "mirror.git")
