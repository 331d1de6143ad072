"""PolicyRepo with many documents and with racing writers (real bare repositories)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.errors import Conflict
from bot.core.types import Author
from bot.repo.git import PolicyRepo

GOVBOT = Author("govbot", "govbot@localhost")
SERVICES = 2_000


def service_path(number: int) -> str:
    return f"services/prod/ns-{number % 20}/svc-{number}.yaml"


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> PolicyRepo:
    files = {service_path(n): f"kind: ServicePolicy\nname: svc-{n}\n" for n in range(SERVICES)}
    files["govbot.yaml"] = "clusterDomain: cluster.local\n"
    return PolicyRepo.init(tmp_path_factory.mktemp("big") / "policy.git", files, GOVBOT)


def test_one_file_commit_in_a_repository_of_2000_services(big_repo: PolicyRepo) -> None:
    base = big_repo.head()
    target = service_path(1234)
    sha = big_repo.commit(base, {target: "kind: ServicePolicy\nname: svc-1234\nweight: 20\n"},
                          Author("Alice", "alice@example.com"), "canary svc-1234")
    assert big_repo.changed_paths(base, sha) == [target]
    assert big_repo.read(sha, target) == "kind: ServicePolicy\nname: svc-1234\nweight: 20\n"
    assert big_repo.read(sha, service_path(1235)) == "kind: ServicePolicy\nname: svc-1235\n"
    assert len(big_repo.list_files(sha, "services/")) == SERVICES
    assert big_repo.object_id(sha, "services/prod/ns-0") == big_repo.object_id(
        base, "services/prod/ns-0")  # folders the commit did not touch are the same trees


def test_reading_a_whole_folder_at_once(big_repo: PolicyRepo) -> None:
    paths = big_repo.list_files("main", "services/prod/ns-7/")
    texts = big_repo.read_many("main", paths)
    assert len(texts) == SERVICES // 20
    assert texts["services/prod/ns-7/svc-7.yaml"] == "kind: ServicePolicy\nname: svc-7\n"


def race(work: list[str], attempt: Callable[[str], str]) -> list[str | Conflict | None]:
    """Run `attempt(item)` for each item in its own thread, all released together."""
    gate = threading.Barrier(len(work))
    results: list[str | Conflict | None] = [None] * len(work)

    def run(index: int) -> None:
        gate.wait()
        try:
            results[index] = attempt(work[index])
        except Conflict as lost:
            results[index] = lost

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize("round_", range(5))
def test_racing_writers_of_main_exactly_one_wins(tmp_path: Path, round_: int) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"govbot.yaml": "a: 0\n"}, GOVBOT)
    base = repo.head()

    def commit_and_swap(who: str) -> str:
        sha = repo.commit(base, {f"services/dev/demo/{who}.yaml": f"by: {who}\n"},
                          Author(who, f"{who}@example.com"), f"{who} round {round_}")
        repo.set_ref("main", sha, old=base)
        return sha

    results = race(["alice", "bob"], commit_and_swap)
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if isinstance(r, Conflict)]
    assert len(winners) == 1 and len(losers) == 1
    assert repo.head() == winners[0]
    assert repo.parents(winners[0]) == [base]


def test_racing_creators_of_one_branch_exactly_one_wins(tmp_path: Path) -> None:
    repo = PolicyRepo.init(tmp_path / "policy.git", {"govbot.yaml": "a: 0\n"}, GOVBOT)
    base = repo.head()
    candidates = [repo.commit(base, {"x.yaml": f"{n}\n"}, GOVBOT, f"n{n}") for n in range(4)]

    def create(sha: str) -> str:
        repo.set_ref("change/1-svc-user", sha, old="")
        return sha

    results = race(candidates, create)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 3
    assert repo.head("change/1-svc-user") == winners[0]
