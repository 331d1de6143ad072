"""GitHubApi against the fake GitHub on a free local port, over real HTTP.

Each test gets a bare git repository with main (one commit) and a branch
`change/1-svc-user` one commit ahead, served by `FakeGitHub`; people act through the fake's
`FakeForge` methods, govbot through `GitHubApi`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.core.errors import ConfigError
from bot.forge.api import STATUS_CONTEXT, ForgeApi, ForgeError, Pull, Unverified
from bot.forge.github import GitHubApi
from tests.support.fake_github import Answer, FakeGitHub, rate_limited
from tests.support.forges import FakeForge
from tests.support.github_webhooks import sign

TOKEN = "ghp_s3cretT0ken"
SECRET = "hook-secret"
BRANCH = "change/1-svc-user"
PATH = "services/dev/demo/svc-user.yaml"


@dataclass
class Env:
    fake: FakeGitHub
    api: GitHubApi

    def branch(self, name: str = BRANCH, text: str = "weight: 20\n", path: str = PATH) -> str:
        return self.fake.push(name, {path: text}, "alice", f"edit {path}")

    def opened(self, name: str = BRANCH, title: str = "canary 20") -> int:
        self.branch(name)
        return self.fake.open_pull("govbot", name, title, "set canary to 20")

    def git(self, *args: str) -> str:
        return self.fake.git(*args)

    def failing(self, operation: str, status: int, retry_after: float | None = None
                ) -> ForgeError:
        self.fake.fail(operation, status, retry_after=retry_after)
        with pytest.raises(ForgeError) as raised:
            self.api.get_pull(1) if operation == "get_pull" else self.api.open_pulls()
        return raised.value


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    bare = tmp_path / "policy.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    fake = FakeGitHub(bare, "owner/name", token=TOKEN)
    fake.push("main", {"README.md": "policies\n"}, "alice", "initial")
    with fake.serve() as url:
        api = GitHubApi(url, TOKEN, "owner/name", timeout=5.0, write_interval=0)
        yield Env(fake, api)
        api.close()


def test_the_adapter_and_the_fake_offer_their_interfaces(env: Env) -> None:
    api: ForgeApi = env.api
    fake: FakeForge = env.fake
    assert api.kind == fake.kind == "github"
    assert fake.repo == "owner/name" and fake.url.startswith("http://127.0.0.1:")


def test_a_bad_repository_url_or_token_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        GitHubApi("https://api.github.com", TOKEN, "just-a-name")
    with pytest.raises(ConfigError):
        GitHubApi("api.github.com", TOKEN, "owner/name")
    with pytest.raises(ConfigError):
        GitHubApi("https://api.github.com", "", "owner/name")


# -- pull requests ---------------------------------------------------------------------


def test_create_pull_opens_into_main_and_answers_the_pull(env: Env) -> None:
    head = env.branch()
    pull = env.api.create_pull(BRANCH, "canary 20", "why: more traffic")
    assert pull == Pull(number=1, branch=BRANCH, head_sha=head, title="canary 20",
                        author="govbot", url=f"{env.fake.url}/owner/name/pull/1",
                        body="why: more traffic")
    assert env.fake.calls("POST", "/repos/owner/name/pulls")[0].body == {
        "base": "main", "head": BRANCH, "title": "canary 20", "body": "why: more traffic"}
    assert env.fake.pull(1)["state"] == "open"


def test_no_request_fetches_the_repository_itself(env: Env) -> None:
    number = env.opened()
    env.api.get_pull(number)
    env.api.open_pulls()
    env.api.comment(number, "hello")
    assert env.fake.calls("GET", "/repos/owner/name") == []


def test_open_pulls_are_the_open_ones_into_main_from_this_repository(env: Env) -> None:
    first = env.opened()
    second = env.opened("change/2-svc-pay")
    closed = env.opened("change/3-svc-old")
    elsewhere = env.opened("change/4-svc-rel")
    fork = env.opened("change/5-svc-fork")
    env.api.close_pull(closed)
    env.fake.pulls[elsewhere]["base"]["ref"] = "release"
    env.fake.pulls[fork]["head"]["repo"] = {**env.fake.repository(), "full_name": "mallory/name"}
    assert sorted(p.number for p in env.api.open_pulls()) == [first, second]


def test_open_pulls_reads_every_page(env: Env) -> None:
    head = env.branch()
    for n in range(2, 103):       # 102 pulls: two pages of 100
        env.git("update-ref", f"refs/heads/change/{n}-svc", head)
        env.fake.open_pull("govbot", f"change/{n}-svc", f"pull {n}")
    env.fake.open_pull("govbot", BRANCH, "pull 1")
    pulls = env.api.open_pulls()
    assert len(pulls) == 102 and len({p.number for p in pulls}) == 102
    assert env.fake.count("list_pulls") == 2


def test_find_pull_finds_only_the_open_pull_from_that_branch(env: Env) -> None:
    assert env.api.find_pull(BRANCH) is None
    number = env.opened()
    env.opened("change/2-svc-pay")
    found = env.api.find_pull(BRANCH)
    assert found is not None and (found.number, found.branch) == (number, BRANCH)
    assert env.fake.requests[-1].query["head"] == [f"owner:{BRANCH}"]
    assert env.fake.requests[-1].query["state"] == ["open"]
    env.api.close_pull(number)
    assert env.api.find_pull(BRANCH) is None
    assert env.api.find_pull("change/9-none") is None


def test_get_pull_answers_open_pulls_only(env: Env) -> None:
    number = env.opened()
    pull = env.api.get_pull(number)
    assert pull is not None and pull.head_sha == env.fake.pull(number)["head"]
    assert env.api.get_pull(99) is None                              # GitHub: 404
    env.api.close_pull(number)
    assert env.api.get_pull(number) is None


def test_get_pull_of_a_merged_pull_is_none(env: Env) -> None:
    number = env.opened()
    env.api.merge_pull(number, env.fake.pull(number)["head"], "Merge change #1", "")
    assert env.api.get_pull(number) is None


def test_a_pull_retargeted_away_from_main_is_not_ours(env: Env) -> None:
    number = env.opened()
    env.fake.pulls[number]["base"]["ref"] = "release"
    assert env.api.get_pull(number) is None


def test_get_pull_follows_pushes_to_the_branch(env: Env) -> None:
    number = env.opened()
    moved = env.branch(text="weight: 30\n")
    pull = env.api.get_pull(number)
    assert pull is not None and pull.head_sha == moved


def test_edit_pull_replaces_the_body_in_one_request(env: Env) -> None:
    number = env.opened()
    env.api.edit_pull(number, "new description")
    assert env.fake.pull(number)["body"] == "new description"
    assert (env.fake.count("edit_pull"), env.fake.count("get_pull")) == (1, 0)


def test_close_pull_closes_and_is_harmless_when_closed(env: Env) -> None:
    number = env.opened()
    env.api.close_pull(number)
    env.api.close_pull(number)
    assert env.fake.pull(number)["state"] == "closed"
    assert env.fake.count("close_pull") == 2


# -- merges ----------------------------------------------------------------------------


def test_merge_writes_a_merge_commit_with_title_and_trailers(env: Env) -> None:
    number = env.opened()
    before, head = env.git("rev-parse", "main"), env.fake.pull(number)["head"]
    env.api.merge_pull(number, head, "Merge change #1: canary 20",
                       "canary svc-user 0% → 20%\n\nGovbot-Change: 1\nApproved-by: bob\n")
    merged = env.git("rev-parse", "main")
    assert env.git("rev-parse", f"{merged}^1", f"{merged}^2").split() == [before, head]
    message = env.git("log", "-1", "--format=%B", merged)
    assert message.startswith("Merge change #1: canary 20\n\ncanary svc-user 0% → 20%")
    assert "Govbot-Change: 1\nApproved-by: bob" in message
    assert env.git("show", f"{merged}:{PATH}") == "weight: 20"
    assert env.fake.pull(number)["state"] == "merged"
    assert env.fake.pull(number)["merge_commit"] == merged
    assert env.fake.calls("PUT", "/repos/owner/name/pulls/1/merge")[0].body["merge_method"] \
        == "merge"


def test_merge_with_a_moved_head_is_refused_with_409(env: Env) -> None:
    number = env.opened()
    old = env.fake.pull(number)["head"]
    env.branch(text="weight: 40\n")
    with pytest.raises(ForgeError) as raised:
        env.api.merge_pull(number, old, "Merge", "")
    assert (raised.value.status, raised.value.transient) == (409, False)
    assert "Head branch was modified" in raised.value.message


def test_merge_of_a_conflicting_pull_is_refused_with_405(env: Env) -> None:
    first = env.opened()
    env.fake.push("change/2-svc-user", {PATH: "weight: 50\n"}, "bob", "other")
    second = env.fake.open_pull("govbot", "change/2-svc-user", "other")
    env.api.merge_pull(first, env.fake.pull(first)["head"], "Merge #1", "")
    with pytest.raises(ForgeError) as raised:
        env.api.merge_pull(second, env.fake.pull(second)["head"], "Merge #2", "")
    assert (raised.value.status, raised.value.transient) == (405, False)
    assert "not mergeable" in raised.value.message


def test_merge_blocked_by_branch_protection_says_why(env: Env) -> None:
    number = env.opened()
    env.fake.protected = "At least 1 approving review is required by reviewers with write access."
    with pytest.raises(ForgeError) as raised:
        env.api.merge_pull(number, env.fake.pull(number)["head"], "Merge", "")
    assert raised.value.status == 405 and not raised.value.transient
    assert "approving review is required" in raised.value.message
    assert f"#{number}" in raised.value.message


def test_merge_refused_with_422_carries_the_reasons(env: Env) -> None:
    number = env.opened()
    env.fake.fail("merge", 422)
    with pytest.raises(ForgeError) as raised:
        env.api.merge_pull(number, env.fake.pull(number)["head"], "Merge", "")
    assert (raised.value.status, raised.value.transient) == (422, False)
    assert "Validation Failed: sha is not a valid commit" in raised.value.message
    assert env.fake.pull(number)["state"] == "open"


def test_a_second_pull_from_the_same_branch_is_a_permanent_422(env: Env) -> None:
    env.opened()
    with pytest.raises(ForgeError) as raised:
        env.api.create_pull(BRANCH, "again", "")
    assert (raised.value.status, raised.value.transient) == (422, False)
    assert "already exists" in raised.value.message


# -- statuses, reviews, comments -------------------------------------------------------


def test_set_status_uses_the_govbot_context(env: Env) -> None:
    sha = env.branch()
    env.api.set_status(sha, "pending", "waiting for approval", "https://govbot.example/c/1")
    env.api.set_status(sha, "success", "policy allows")
    assert env.fake.statuses_of(sha) == [
        {"context": STATUS_CONTEXT, "state": "pending", "description": "waiting for approval"},
        {"context": STATUS_CONTEXT, "state": "success", "description": "policy allows"}]
    sent = [r.body for r in env.fake.requests if r.operation == "status"]
    assert sent[0]["target_url"] == "https://govbot.example/c/1"
    assert "target_url" not in sent[1]


def test_a_long_status_description_is_cut_to_githubs_limit(env: Env) -> None:
    sha = env.branch()
    env.api.set_status(sha, "failure", "denied: " + "x" * 300)
    description = env.fake.statuses_of(sha)[0]["description"]
    assert len(description) == 140 and description.startswith("denied: xxx")


def test_reviews_map_states_and_commits_oldest_first(env: Env) -> None:
    number = env.opened()
    first = env.fake.pull(number)["head"]
    env.fake.review(number, "bob", "changes_requested")
    env.fake.review(number, "carol", "approved")
    second = env.branch(text="weight: 25\n")
    env.fake.review(number, "bob", "approved")
    env.fake.review(number, "dave", "commented")
    env.fake.dismiss(number, "carol")
    pending = {**env.fake.reviews[number][-1], "state": "PENDING", "submitted_at": None}
    env.fake.reviews[number].append(pending)
    reviews = env.api.reviews(number)
    assert [(r.login, r.state, r.commit) for r in reviews] == [
        ("bob", "changes_requested", first), ("carol", "dismissed", first),
        ("bob", "approved", second), ("dave", "commented", second)]
    assert all(r.at.tzinfo is not None for r in reviews)


def test_comment_and_comments_oldest_first(env: Env) -> None:
    number = env.opened()
    env.api.comment(number, "policy allows; waiting for **approval**")
    bob = env.fake.add_comment(number, "bob", "/approve")
    comments = env.api.comments(number)
    assert [(c.login, c.text) for c in comments] == [
        ("govbot", "policy allows; waiting for **approval**"), ("bob", "/approve")]
    assert comments[1].id == bob and isinstance(comments[0].id, str)
    assert comments[0].at.tzinfo is not None
    assert env.fake.comments_of(number)[0] == "policy allows; waiting for **approval**"


def test_comments_reads_every_page(env: Env) -> None:
    number = env.opened()
    for n in range(130):
        env.fake.add_comment(number, "bob", f"comment {n}")
    assert [c.text for c in env.api.comments(number)] == [f"comment {n}" for n in range(130)]
    assert env.fake.count("comments") == 2


# -- failures --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(env: Env, status: int) -> None:
    error = env.failing("list_pulls", status)
    assert (error.status, error.transient, error.retry_after) == (status, True, None)
    assert env.fake.count("list_pulls") == 1                   # PyGithub did not retry
    assert env.api.open_pulls() == []


def test_a_503_with_retry_after_says_how_long(env: Env) -> None:
    error = env.failing("list_pulls", 503, retry_after=7)
    assert (error.transient, error.retry_after) == (True, 7.0)


def test_429_is_transient_after_retry_after(env: Env) -> None:
    error = env.failing("get_pull", 429, retry_after=12)
    assert (error.status, error.transient, error.retry_after) == (429, True, 12.0)
    assert "secondary rate limit" in error.message


def test_403_with_the_rate_limit_spent_waits_for_the_reset(env: Env) -> None:
    env.fake.inject("GET /repos/{owner}/{repo}/pulls", rate_limited(int(time.time()) + 30))
    with pytest.raises(ForgeError) as raised:
        env.api.open_pulls()
    error = raised.value
    assert (error.status, error.transient) == (403, True)
    assert error.retry_after is not None and 25 <= error.retry_after <= 31
    assert "rate limit exceeded" in error.message


def test_a_reset_in_the_past_waits_nothing_and_one_far_away_is_capped(env: Env) -> None:
    env.fake.inject("GET /repos/{owner}/{repo}/pulls", rate_limited(int(time.time()) - 5),
                    rate_limited(int(time.time()) + 86_400))
    waits = []
    for _ in range(2):
        with pytest.raises(ForgeError) as raised:
            env.api.open_pulls()
        waits.append(raised.value.retry_after)
    assert waits == [0.0, 3600.0]


def test_403_secondary_rate_limit_with_retry_after(env: Env) -> None:
    error = env.failing("list_pulls", 403, retry_after=3)
    assert (error.status, error.transient, error.retry_after) == (403, True, 3.0)


def test_403_without_a_rate_limit_is_permanent(env: Env) -> None:
    env.fake.inject("GET /repos/{owner}/{repo}/pulls", Answer(403, {
        "message": "Resource not accessible by personal access token",
        "documentation_url": "https://docs.github.com/rest", "status": "403"}))
    with pytest.raises(ForgeError) as raised:
        env.api.open_pulls()
    assert (raised.value.status, raised.value.transient) == (403, False)
    assert "Resource not accessible by personal access token" in raised.value.message


def test_a_wrong_token_is_permanent_and_never_shown(env: Env) -> None:
    api = GitHubApi(env.fake.url, "ghp_wrongT0kenValue", "owner/name", write_interval=0)
    with pytest.raises(ForgeError) as raised:
        api.open_pulls()
    api.close()
    assert (raised.value.status, raised.value.transient) == (401, False)
    assert "Bad credentials" in raised.value.message
    assert "ghp_wrongT0kenValue" not in str(raised.value)


def test_the_token_is_never_in_an_error_message(env: Env) -> None:
    echoed = f"token {TOKEN} is not allowed here"      # a proxy that echoes the request
    env.fake.inject("POST /repos/{owner}/{repo}/issues/{number}/comments",
                    Answer(422, {"message": "Validation Failed",
                                 "errors": [{"message": echoed}]}))
    env.opened()
    with pytest.raises(ForgeError) as raised:
        env.api.comment(1, "hello")
    assert TOKEN not in str(raised.value) and TOKEN not in raised.value.message
    assert "is not allowed here" in raised.value.message


@pytest.mark.parametrize(("operation", "status"), [
    ("get_pull", 401), ("edit_pull", 404), ("close_pull", 404), ("reviews", 404),
    ("comments", 404), ("comment", 422), ("status", 422), ("create_pull", 422)])
def test_client_errors_of_each_operation_are_permanent(env: Env, operation: str,
                                                       status: int) -> None:
    number = env.opened()
    head = env.fake.pull(number)["head"]
    calls: dict[str, Callable[[], object]] = {"get_pull": lambda: env.api.get_pull(number),
             "edit_pull": lambda: env.api.edit_pull(number, "b"),
             "close_pull": lambda: env.api.close_pull(number),
             "reviews": lambda: env.api.reviews(number),
             "comments": lambda: env.api.comments(number),
             "comment": lambda: env.api.comment(number, "c"),
             "status": lambda: env.api.set_status(head, "success", "ok"),
             "create_pull": lambda: env.api.create_pull("change/2", "t", "b")}
    env.fake.fail(operation, status)
    with pytest.raises(ForgeError) as raised:
        calls[operation]()
    assert (raised.value.status, raised.value.transient) == (status, False)
    assert raised.value.message and TOKEN not in raised.value.message


def test_an_unknown_pull_is_a_404_for_anything_but_get_pull(env: Env) -> None:
    with pytest.raises(ForgeError) as raised:
        env.api.edit_pull(42, "body")
    assert (raised.value.status, raised.value.transient) == (404, False)
    assert "#42" in raised.value.message


def test_a_server_that_does_not_answer_is_a_transient_timeout() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:     # accepts, never answers
        port = silent.getsockname()[1]
        api = GitHubApi(f"http://127.0.0.1:{port}", TOKEN, "owner/name", timeout=0.5)
        with pytest.raises(ForgeError) as raised:
            api.get_pull(1)
        api.close()
    assert (raised.value.status, raised.value.transient) == (0, True)
    assert "did not answer" in raised.value.message


def test_a_refused_connection_is_transient() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    api = GitHubApi(f"http://127.0.0.1:{port}", TOKEN, "owner/name", timeout=2)
    with pytest.raises(ForgeError) as raised:
        api.open_pulls()
    api.close()
    assert (raised.value.status, raised.value.transient) == (0, True)
    assert "cannot connect" in raised.value.message and TOKEN not in str(raised.value)


# -- webhooks --------------------------------------------------------------------------


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def test_a_signed_pull_request_delivery_is_read(env: Env) -> None:
    number = env.opened()
    headers, body = env.fake.webhook("pull", number, secret=SECRET, delivery="d-1")
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.delivery, hook.event, hook.number, hook.comment) == ("d-1", "pull", number,
                                                                     None)
    assert json.loads(body)["action"] == "opened"


def test_a_push_to_a_pull_branch_is_a_pull_event(env: Env) -> None:
    number = env.opened()
    env.branch(text="weight: 35\n")
    headers, body = env.fake.webhook("pull", number, secret=SECRET)
    assert json.loads(body)["action"] == "synchronize"
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("pull", number)
    assert hook.delivery == headers["X-GitHub-Delivery"]


def test_header_names_are_read_in_any_case(env: Env) -> None:
    number = env.opened()
    headers, body = env.fake.webhook("pull", number, secret=SECRET)
    assert env.api.hook(headers, body, SECRET).number == number


def test_a_review_delivery_names_the_pull(env: Env) -> None:
    number = env.opened()
    env.fake.review(number, "bob", "approved")
    headers, body = env.fake.webhook("review", number, secret=SECRET)
    assert json.loads(body)["review"]["state"] == "approved"
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("review", number)


def test_a_comment_delivery_carries_the_comment(env: Env) -> None:
    number = env.opened()
    first = env.fake.add_comment(number, "bob", "/approve")
    env.fake.add_comment(number, "carol", "later")
    headers, body = env.fake.webhook("comment", number, secret=SECRET, comment_id=first)
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("comment", number)
    assert hook.comment is not None
    assert (hook.comment.id, hook.comment.login, hook.comment.text) == (first, "bob",
                                                                        "/approve")
    assert hook.comment.at.tzinfo is not None


def _resigned(headers: dict[str, str], payload: dict[str, object]) -> tuple[dict[str, str],
                                                                           bytes]:
    body = json.dumps(payload).encode()
    return {**_lower(headers), **_lower(sign(SECRET, body))}, body


def test_a_comment_on_a_plain_issue_or_an_edit_is_other(env: Env) -> None:
    number = env.opened()
    env.fake.add_comment(number, "bob", "/approve")
    headers, body = env.fake.webhook("comment", number, secret=SECRET)
    on_issue = json.loads(body)
    del on_issue["issue"]["pull_request"]
    edited = {**json.loads(body), "action": "edited"}
    for payload in (on_issue, edited):
        hook = env.api.hook(*_resigned(headers, payload), SECRET)
        assert (hook.event, hook.comment) == ("other", None)


def test_push_ping_and_other_events(env: Env) -> None:
    env.branch("main", text="weight: 5\n")
    for event, expected in (("push", "push"), ("ping", "ping"), ("issues", "other"),
                            ("check_run", "other")):
        headers, body = env.fake.webhook(event, secret=SECRET)
        assert headers["X-GitHub-Event"] == event
        assert env.api.hook(_lower(headers), body, SECRET).event == expected
    push = json.loads(env.fake.webhook("push", secret=SECRET)[1])
    assert push["ref"] == "refs/heads/main" and push["after"] == env.git("rev-parse", "main")


def test_a_wrong_signature_is_unverified(env: Env) -> None:
    number = env.opened()
    headers, body = env.fake.webhook("pull", number, secret="another secret")
    with pytest.raises(Unverified):
        env.api.hook(_lower(headers), body, SECRET)
    good, body = env.fake.webhook("pull", number, secret=SECRET)
    with pytest.raises(Unverified):
        env.api.hook(_lower(good), body.replace(b'"opened"', b'"closed"'), SECRET)


def test_a_missing_signature_is_unverified(env: Env) -> None:
    number = env.opened()
    headers, body = env.fake.webhook("pull", number, secret="")
    assert "X-Hub-Signature-256" not in headers
    with pytest.raises(Unverified):
        env.api.hook(_lower(headers), body, SECRET)


def test_without_a_secret_nothing_is_verified(env: Env) -> None:
    number = env.opened()
    for signed_with in ("", SECRET):
        headers, body = env.fake.webhook("pull", number, secret=signed_with)
        with pytest.raises(Unverified):
            env.api.hook(_lower(headers), body, "")


def test_a_signed_body_that_is_not_json_is_a_400(env: Env) -> None:
    headers, _ = env.fake.webhook("ping", secret=SECRET)
    body = b"{not json"
    with pytest.raises(ForgeError) as raised:
        env.api.hook({**_lower(headers), **_lower(sign(SECRET, body))}, body, SECRET)
    assert raised.value.status == 400 and not raised.value.transient


def test_a_signed_pull_event_without_a_number_is_a_400(env: Env) -> None:
    number = env.opened()
    headers, body = env.fake.webhook("pull", number, secret=SECRET)
    payload = json.loads(body)
    del payload["pull_request"]
    with pytest.raises(ForgeError) as raised:
        env.api.hook(*_resigned(headers, payload), SECRET)
    assert raised.value.status == 400 and "pull_request.number" in raised.value.message


def test_a_delivery_without_its_id_is_a_400(env: Env) -> None:
    headers, body = env.fake.webhook("ping", secret=SECRET)
    del headers["X-GitHub-Delivery"]
    with pytest.raises(ForgeError) as raised:
        env.api.hook(_lower(headers), body, SECRET)
    assert raised.value.status == 400


def test_a_form_encoded_delivery_is_read(env: Env) -> None:
    number = env.opened()
    headers, body = env.fake.webhook("pull", number, secret=SECRET)
    form = urlencode({"payload": body.decode()}).encode()
    lowered = {**_lower(headers), **_lower(sign(SECRET, form)),
               "content-type": "application/x-www-form-urlencoded"}
    assert env.api.hook(lowered, form, SECRET).number == number


def test_github_enterprise_answers_under_api_v3(tmp_path: Path) -> None:
    bare = tmp_path / "policy.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    fake = FakeGitHub(bare, "acme/policies", token=TOKEN, prefix="/api/v3")
    fake.push("main", {"README.md": "policies\n"}, "alice", "initial")
    fake.push(BRANCH, {PATH: "weight: 20\n"}, "alice", "edit")
    with fake.serve() as url:
        assert url.endswith("/api/v3")
        api = GitHubApi(url + "/", TOKEN, "acme/policies", write_interval=0)
        pull = api.create_pull(BRANCH, "canary 20", "")
        assert api.find_pull(BRANCH) == pull
        api.comment(pull.number, "hello")
        assert fake.comments_of(pull.number) == ["hello"]
        api.close()
        wrong = GitHubApi(url.removesuffix("/api/v3"), TOKEN, "acme/policies")
        with pytest.raises(ForgeError) as raised:
            wrong.open_pulls()
        wrong.close()
    assert (raised.value.status, raised.value.transient) == (404, False)
