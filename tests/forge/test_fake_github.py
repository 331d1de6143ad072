"""The fake GitHub server answers the real PyGithub client as GitHub's REST API does.

Each test gets a real bare git repository (main with one commit, and a branch
`change/1-svc-user` one commit ahead) behind a `FakeGitHub` on a free local port.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from github import Auth, Github, GithubException
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.Repository import Repository

from tests.support.fake_github import (
    FakeGitHub,
    not_found,
    rate_limited,
    server_error,
    too_many_requests,
    unauthorized,
    validation_failed,
)
from tests.support.forges import FakeForge

TOKEN = "ghp_test"
BRANCH = "change/1-svc-user"


def _git(cwd: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "Alice", "GIT_AUTHOR_EMAIL": "alice@example.com",
           "GIT_COMMITTER_NAME": "Alice", "GIT_COMMITTER_EMAIL": "alice@example.com",
           "HOME": str(cwd), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def _client(url: str, token: str = TOKEN, per_page: int = 30) -> Github:
    """A client without PyGithub's pauses between requests (1 s between writes)."""
    return Github(base_url=url, auth=Auth.Token(token), retry=None, per_page=per_page,
                  seconds_between_requests=None, seconds_between_writes=None)


def _commit(work: Path, path: str, text: str, message: str) -> str:
    (work / path).parent.mkdir(parents=True, exist_ok=True)
    (work / path).write_text(text)
    _git(work, "add", path)
    _git(work, "commit", "-q", "-m", message)
    return _git(work, "rev-parse", "HEAD")


@dataclass
class Env:
    fake: FakeGitHub
    url: str
    bare: Path
    work: Path
    repo: Repository

    def head(self, branch: str) -> str:
        return _git(self.bare, "--git-dir", str(self.bare), "rev-parse", f"refs/heads/{branch}")

    def push_branch(self, branch: str, path: str, text: str) -> str:
        _git(self.work, "checkout", "-q", "-B", branch, "main")
        sha = _commit(self.work, path, text, f"edit {path}")
        _git(self.work, "push", "-q", "origin", f"{branch}:{branch}")
        _git(self.work, "checkout", "-q", "main")
        return sha

    def open_pull(self) -> int:
        return self.repo.create_pull(base="main", head=BRANCH, title="canary 20",
                                     body="set canary to 20").number


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    bare, work = tmp_path / "policy.git", tmp_path / "work"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    _git(tmp_path, "init", "-q", "-b", "main", str(work))
    _commit(work, "README.md", "policies\n", "initial")
    _git(work, "remote", "add", "origin", str(bare))
    _git(work, "push", "-q", "origin", "main")
    fake = FakeGitHub(bare, "owner/name", token=TOKEN)
    with fake.serve() as url:
        client = _client(url)
        setup = Env(fake, url, bare, work, client.get_repo("owner/name"))
        setup.push_branch(BRANCH, "services/dev/demo/svc-user.yaml", "weight: 20\n")
        yield setup
        client.close()


def test_the_repository_answers_its_default_branch(env: Env) -> None:
    assert env.repo.full_name == "owner/name"
    assert env.repo.default_branch == "main"


def test_a_created_pull_carries_number_url_head_and_state(env: Env) -> None:
    pull = env.repo.create_pull(base="main", head=BRANCH, title="canary 20", body="why")
    assert pull.number == 1
    assert pull.state == "open"
    assert pull.head.sha == env.head(BRANCH)
    assert pull.head.ref == BRANCH and pull.base.ref == "main"
    assert pull.html_url == f"{env.url}/owner/name/pull/1"
    fetched = env.repo.get_pull(1)
    assert (fetched.title, fetched.body) == ("canary 20", "why")
    recorded = env.fake.calls("POST", "/repos/owner/name/pulls")[0]
    assert recorded.body == {"title": "canary 20", "body": "why", "head": BRANCH, "base": "main"}
    assert recorded.headers["Authorization"] == f"token {TOKEN}"


def test_a_pull_follows_its_branch_head_while_open(env: Env) -> None:
    number = env.open_pull()
    _git(env.work, "checkout", "-q", BRANCH)
    moved = _commit(env.work, "services/dev/demo/svc-user.yaml", "weight: 30\n", "rebuilt")
    _git(env.work, "push", "-q", "origin", BRANCH)
    assert env.repo.get_pull(number).head.sha == moved


def test_pull_body_update_close_and_list_by_state(env: Env) -> None:
    number = env.open_pull()
    pull = env.repo.get_pull(number)
    pull.edit(body="new body")
    assert env.repo.get_pull(number).body == "new body"
    assert [p.number for p in env.repo.get_pulls(state="open")] == [number]
    pull.edit(state="closed")
    assert env.repo.get_pull(number).state == "closed"
    assert list(env.repo.get_pulls(state="open")) == []
    assert [p.number for p in env.repo.get_pulls(state="closed")] == [number]
    assert [p.number for p in env.repo.get_pulls(state="all")] == [number]


def test_lists_are_paginated_with_link_headers(env: Env) -> None:
    for n in range(3):
        env.push_branch(f"change/{n + 2}-svc", f"services/s{n}.yaml", "x: 1\n")
        env.repo.create_pull(base="main", head=f"change/{n + 2}-svc", title=f"pull {n}")
    client = _client(env.url, per_page=2)
    pulls = client.get_repo("owner/name").get_pulls(state="open")
    assert [p.number for p in pulls] == [3, 2, 1]
    assert len(env.fake.calls("GET", "/repos/owner/name/pulls")) == 2
    client.close()


def test_reviews_carry_login_state_and_commit(env: Env) -> None:
    number = env.open_pull()
    pull = env.repo.get_pull(number)
    assert list(pull.get_reviews()) == []
    head = env.head(BRANCH)
    env.fake.add_review(number, "bob", "CHANGES_REQUESTED")
    approved = env.fake.add_review(number, "carol", "APPROVED")
    env.fake.add_review(number, "dave", "COMMENTED", body="looks fine")
    env.fake.dismiss_review(number, approved["id"])
    reviews = list(pull.get_reviews())
    assert [(r.user.login, r.state, r.commit_id) for r in reviews] == [
        ("bob", "CHANGES_REQUESTED", head), ("carol", "DISMISSED", head),
        ("dave", "COMMENTED", head)]


def test_statuses_are_recorded_on_the_commit(env: Env) -> None:
    sha = env.head(BRANCH)
    status = env.repo.get_commit(sha).create_status(
        state="success", context="govbot/policy", description="policy allows",
        target_url="https://govbot.example/changes/1")
    assert (status.state, status.context) == ("success", "govbot/policy")
    assert [(s["state"], s["context"], s["description"]) for s in env.fake.statuses(sha)] == [
        ("success", "govbot/policy", "policy allows")]
    assert [s.state for s in env.repo.get_commit(sha).get_statuses()] == ["success"]
    env.repo.get_commit(sha).create_status(state="failure", context="ci")
    assert env.repo.get_commit(sha).get_combined_status().state == "failure"


def test_a_status_with_an_unknown_state_is_a_validation_error(env: Env) -> None:
    with pytest.raises(GithubException) as raised:
        env.repo.get_commit(env.head(BRANCH)).create_status(state="green")
    assert raised.value.status == 422
    assert raised.value.data["message"] == "Validation Failed"


def test_comments_on_a_pull(env: Env) -> None:
    number = env.open_pull()
    pull = env.repo.get_pull(number)
    pull.create_issue_comment("policy allows; waiting for approval")
    pull.create_issue_comment("approved by bob")
    assert [c.body for c in pull.get_issue_comments()] == [
        "policy allows; waiting for approval", "approved by bob"]
    assert all(c.user.login == "govbot" for c in pull.get_issue_comments())


def test_merge_writes_a_no_ff_merge_commit_in_the_bare_repository(env: Env) -> None:
    number = env.open_pull()
    before, head = env.head("main"), env.head(BRANCH)
    status = env.repo.get_pull(number).merge(
        commit_title="Merge change #1: canary 20", commit_message="Govbot-Change: 1\n",
        merge_method="merge", sha=head)
    assert status.merged
    assert env.head("main") == status.sha
    parents = _git(env.bare, "--git-dir", str(env.bare), "rev-parse",
                   f"{status.sha}^1", f"{status.sha}^2").split()
    assert parents == [before, head]
    message = _git(env.bare, "--git-dir", str(env.bare), "log", "-1", "--format=%B", status.sha)
    assert message.startswith("Merge change #1: canary 20\n\nGovbot-Change: 1")
    content = _git(env.bare, "--git-dir", str(env.bare), "show",
                   f"{status.sha}:services/dev/demo/svc-user.yaml")
    assert content == "weight: 20"
    merged = env.repo.get_pull(number)
    assert (merged.merged, merged.state, merged.merge_commit_sha) == (True, "closed", status.sha)
    assert env.fake.calls("PUT", "/repos/owner/name/pulls/1/merge")[0].body == {
        "commit_title": "Merge change #1: canary 20", "commit_message": "Govbot-Change: 1\n",
        "merge_method": "merge", "sha": head}


def test_merge_after_main_moved_keeps_both(env: Env) -> None:
    env.push_branch("change/2-svc-pay", "services/dev/demo/svc-pay.yaml", "x: 1\n")
    first = env.open_pull()
    second = env.repo.create_pull(base="main", head="change/2-svc-pay", title="pay").number
    env.repo.get_pull(first).merge()
    merged = env.repo.get_pull(second).merge()
    tree = _git(env.bare, "--git-dir", str(env.bare), "ls-tree", "-r", "--name-only", merged.sha)
    assert tree.split() == ["README.md", "services/dev/demo/svc-pay.yaml",
                            "services/dev/demo/svc-user.yaml"]


def test_a_protected_branch_answers_405(env: Env) -> None:
    number = env.open_pull()
    env.fake.protected = "At least 1 approving review is required by reviewers with write access."
    before = env.head("main")
    with pytest.raises(GithubException) as raised:
        env.repo.get_pull(number).merge()
    assert raised.value.status == 405
    assert "approving review" in raised.value.data["message"]
    assert env.head("main") == before


def test_a_conflicting_pull_answers_405(env: Env) -> None:
    env.push_branch("change/2-svc-user", "services/dev/demo/svc-user.yaml", "weight: 50\n")
    first = env.open_pull()
    second = env.repo.create_pull(base="main", head="change/2-svc-user", title="other").number
    env.repo.get_pull(first).merge()
    with pytest.raises(GithubException) as raised:
        env.repo.get_pull(second).merge()
    assert raised.value.status == 405
    assert env.repo.get_pull(second).mergeable is False


def test_a_moved_head_answers_409(env: Env) -> None:
    number = env.open_pull()
    with pytest.raises(GithubException) as raised:
        env.repo.get_pull(number).merge(sha=env.head("main"))
    assert raised.value.status == 409
    assert raised.value.data["message"].startswith("Head branch was modified")


def test_a_second_pull_for_the_same_branch_answers_422(env: Env) -> None:
    env.open_pull()
    with pytest.raises(GithubException) as raised:
        env.open_pull()
    assert raised.value.status == 422
    assert set(raised.value.data) >= {"message", "errors", "documentation_url"}
    assert "already exists" in raised.value.data["errors"][0]["message"]


def test_a_pull_for_a_missing_branch_answers_422(env: Env) -> None:
    with pytest.raises(GithubException) as raised:
        env.repo.create_pull(base="main", head="change/none", title="t")
    assert raised.value.status == 422
    assert raised.value.data["errors"] == [
        {"resource": "PullRequest", "field": "head", "code": "invalid"}]


def test_a_wrong_token_answers_401(env: Env) -> None:
    client = _client(env.url, "wrong")
    with pytest.raises(BadCredentialsException):
        client.get_repo("owner/name")
    client.close()


def test_bearer_tokens_are_accepted(env: Env) -> None:
    import requests

    answer = requests.get(f"{env.url}/repos/owner/name",
                          headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert answer.status_code == 200
    assert requests.get(f"{env.url}/repos/owner/name", timeout=5).status_code == 401


def test_an_unknown_pull_answers_404(env: Env) -> None:
    with pytest.raises(UnknownObjectException):
        env.repo.get_pull(99)


def test_injected_502s_answer_then_normal(env: Env) -> None:
    number = env.open_pull()
    env.fake.inject("GET /repos/{owner}/{repo}/pulls/{number}", server_error(502), times=3)
    for _ in range(3):
        with pytest.raises(GithubException) as raised:
            env.repo.get_pull(number)
        assert raised.value.status == 502
    assert env.repo.get_pull(number).number == number
    assert len(env.fake.calls("GET", f"/repos/owner/name/pulls/{number}")) == 4


def test_injected_rate_limit_carries_the_reset(env: Env) -> None:
    reset = int(time.time()) + 60
    env.fake.inject("POST /repos/owner/name/pulls", rate_limited(reset))
    with pytest.raises(RateLimitExceededException) as raised:
        env.open_pull()
    assert raised.value.status == 403
    assert raised.value.headers is not None
    assert raised.value.headers["x-ratelimit-remaining"] == "0"
    assert raised.value.headers["x-ratelimit-reset"] == str(reset)
    assert env.open_pull() == 1


def test_injected_answers_of_each_kind(env: Env) -> None:
    route = "GET /repos/{owner}/{repo}"
    env.fake.inject(route, too_many_requests(7), unauthorized(), not_found(),
                    validation_failed({"resource": "Repository", "code": "custom",
                                       "message": "nope"}))
    with pytest.raises(GithubException) as raised:
        env.repo.update()
    assert raised.value.status == 429
    assert raised.value.headers is not None
    assert raised.value.headers["retry-after"] == "7"
    with pytest.raises(BadCredentialsException):
        env.repo.update()
    with pytest.raises(UnknownObjectException):
        env.repo.update()
    with pytest.raises(GithubException) as raised:
        env.repo.update()
    assert raised.value.status == 422
    assert raised.value.data["errors"][0]["message"] == "nope"
    env.repo.update()
    assert env.repo.full_name == "owner/name"


def test_concurrent_comments_are_all_kept(env: Env) -> None:
    number = env.open_pull()

    def comment(n: int) -> int:
        client = _client(env.url)
        try:
            pull = client.get_repo("owner/name").get_pull(number)
            return pull.create_issue_comment(f"comment {n}").id
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(comment, range(16)))
    assert len(set(ids)) == 16
    assert sorted(c.body for c in env.repo.get_pull(number).get_issue_comments()) == sorted(
        f"comment {n}" for n in range(16))


# -- the FakeForge interface -------------------------------------------------------------


def test_the_fake_forge_interface_is_offered(env: Env) -> None:
    forge: FakeForge = env.fake
    assert (forge.kind, forge.repo, forge.token, forge.url) == ("github", "owner/name", TOKEN,
                                                                env.url)


def test_push_commits_files_on_a_branch_from_main(env: Env) -> None:
    sha = env.fake.push("change/7-svc", {"a.yaml": "a: 1\n", "README.md": None}, "bob", "add a")
    assert env.head("change/7-svc") == sha
    tree = _git(env.bare, "--git-dir", str(env.bare), "ls-tree", "--name-only", sha)
    assert tree.split() == ["a.yaml"]
    assert _git(env.bare, "--git-dir", str(env.bare), "log", "-1", "--format=%an|%s", sha) \
        == "bob|add a"
    assert _git(env.bare, "--git-dir", str(env.bare), "rev-parse", f"{sha}^") == env.head("main")


def test_people_open_review_dismiss_and_comment(env: Env) -> None:
    number = env.fake.open_pull("alice", BRANCH, "canary 20", "why")
    assert env.fake.pull(number) == {
        "number": number, "state": "open", "title": "canary 20", "body": "why",
        "branch": BRANCH, "head": env.head(BRANCH), "author": "alice", "merge_commit": None}
    assert env.fake.pull_for(BRANCH) == env.fake.pull(number)
    assert env.fake.pull_for("change/none") is None
    env.fake.review(number, "bob", "approved")
    env.fake.dismiss(number, "bob")
    assert [r.state for r in env.repo.get_pull(number).get_reviews()] == ["DISMISSED"]
    comment = env.fake.add_comment(number, "bob", "/approve")
    assert [str(c.id) for c in env.repo.get_pull(number).get_issue_comments()] == [comment]
    assert env.fake.comments_of(number) == ["/approve"]


def test_fail_answers_the_operation_and_count_counts_it(env: Env) -> None:
    number = env.open_pull()
    env.fake.fail("close_pull", 503, times=2, retry_after=4)
    pull = env.repo.get_pull(number)
    pull.edit(body="edits are not closes")
    for _ in range(2):
        with pytest.raises(GithubException) as raised:
            pull.edit(state="closed")
        assert raised.value.status == 503
        assert raised.value.headers is not None
        assert raised.value.headers["retry-after"] == "4"
    pull.edit(state="closed")
    assert (env.fake.count("close_pull"), env.fake.count("edit_pull")) == (3, 1)
    assert env.fake.pull(number)["state"] == "closed"
    with pytest.raises(ValueError):
        env.fake.fail("delete_everything", 500)


def test_webhooks_are_signed_as_github_signs_them(env: Env) -> None:
    number = env.open_pull()
    headers, body = env.fake.webhook("pull", number, secret="s3cret", delivery="d-9")
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == f"sha256={digest}"
    assert (headers["X-GitHub-Event"], headers["X-GitHub-Delivery"]) == ("pull_request", "d-9")
    payload = json.loads(body)
    assert (payload["action"], payload["number"]) == ("opened", number)
    assert payload["pull_request"]["head"] == {**payload["pull_request"]["head"],
                                               "ref": BRANCH, "sha": env.head(BRANCH)}
    assert payload["repository"]["full_name"] == "owner/name"
    unsigned, _ = env.fake.webhook("ping", secret="")
    assert not any(name.startswith("X-Hub-Signature") for name in unsigned)
