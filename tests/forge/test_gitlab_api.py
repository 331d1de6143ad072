"""GitLabApi against a fake GitLab over real HTTP, backed by a real bare git repository.

Each test gets a project `group/sub/policies` (a nested path, so the URL-encoded id is
exercised) whose main has one commit and whose branch `change/1-svc-user` is one ahead.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path

import pytest

from bot.forge.api import STATUS_CONTEXT, ForgeApi, ForgeError, Unverified
from bot.forge.gitlab import GitLabApi
from bot.forge.gitlab_reviews import ReviewInputs, parse_time, reviews_from
from tests.support.fake_gitlab import Answer, FakeGitLab
from tests.support.forges import FakeForge

BRANCH = "change/1-svc-user"
PATH = "services/dev/demo/svc-user.yaml"
SECRET = "hook-secret-42"


@dataclass
class Env:
    fake: FakeGitLab
    api: GitLabApi

    def open(self) -> int:
        return self.api.create_pull(BRANCH, "canary svc-user 20%", "why").number

    def move(self, text: str = "weight: 30\n") -> str:
        """Someone pushes a new head to the change's branch."""
        return self.fake.push(BRANCH, {PATH: text}, "alice", "rebuilt")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    bare = tmp_path / "policy.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    fake = FakeGitLab(bare, repo="group/sub/policies")
    fake.push("main", {"README.md": "policies\n"}, "platform", "initial")
    fake.push(BRANCH, {PATH: "weight: 20\n"}, "alice", "canary 20")
    with fake.serve() as url:
        yield Env(fake, GitLabApi(url, fake.token, fake.repo, timeout=2.0))


def _failure(call: object) -> ForgeError:
    assert callable(call)
    with pytest.raises(ForgeError) as caught:
        call()
    return caught.value


def test_the_adapter_and_the_fake_fill_their_roles(env: Env) -> None:
    api: ForgeApi = env.api
    fake: FakeForge = env.fake
    assert api.kind == fake.kind == "gitlab"


# -- merge requests --------------------------------------------------------------------------


def test_create_pull_opens_a_merge_request_into_main(env: Env) -> None:
    pull = env.api.create_pull(BRANCH, "canary svc-user 20%", "why")
    assert pull.number == 1
    assert (pull.branch, pull.title, pull.body, pull.author) == (
        BRANCH, "canary svc-user 20%", "why", env.fake.login)
    assert pull.head_sha == env.fake.head(BRANCH)
    assert pull.url == f"{env.fake.url}/group/sub/policies/-/merge_requests/1"
    sent = env.fake.calls("create_pull")[0]
    assert sent.path == "/api/v4/projects/group%2Fsub%2Fpolicies/merge_requests"
    assert {k: sent.params[k] for k in ("source_branch", "target_branch")} == {
        "source_branch": BRANCH, "target_branch": "main"}
    assert sent.headers["private-token"] == env.fake.token


def test_create_pull_asks_the_branch_while_gitlab_computes_the_diff(env: Env) -> None:
    env.fake.sha_pending = True  # a new merge request can answer without its sha
    pull = env.api.create_pull(BRANCH, "t", "b")
    assert pull.head_sha == env.fake.head(BRANCH)
    assert env.fake.count("branch") == 1


def test_a_second_merge_request_for_the_branch_is_refused_with_gitlabs_message(
        env: Env) -> None:
    env.open()
    error = _failure(lambda: env.api.create_pull(BRANCH, "again", ""))
    assert error.status == 409 and not error.transient
    assert "Another open merge request already exists" in error.message


def test_open_find_and_get_see_only_open_merge_requests_into_main(env: Env) -> None:
    number = env.open()
    env.fake.push("change/2-other", {"x.yaml": "x: 1\n"}, "alice")
    env.fake.push("release", {}, "alice")
    env.fake.open_pull("alice", "change/2-other", "other")
    with env.fake.lock:  # someone retargets !2 away from main
        env.fake.mrs[2]["target_branch"] = "release"
    assert [p.number for p in env.api.open_pulls()] == [number]
    found = env.api.find_pull(BRANCH)
    assert found is not None and found.number == number
    assert env.api.find_pull("change/9-none") is None
    assert env.api.get_pull(number) == found
    assert env.api.get_pull(99) is None


def test_edit_replaces_the_description(env: Env) -> None:
    number = env.open()
    env.api.edit_pull(number, "new body")
    assert env.fake.pull(number)["body"] == "new body"
    assert env.fake.count("get_pull") == 0  # the edit needs no read first


def test_close_is_harmless_when_already_closed(env: Env) -> None:
    number = env.open()
    env.api.close_pull(number)
    assert env.fake.pull(number)["state"] == "closed"
    env.api.close_pull(number)
    assert env.fake.count("close_pull") == 2
    assert env.api.get_pull(number) is None
    assert env.api.find_pull(BRANCH) is None
    assert env.api.open_pulls() == []


def test_open_pulls_reads_every_page(env: Env) -> None:
    for n in range(2, 6):
        env.fake.push(f"change/{n}-svc", {f"s{n}.yaml": "x: 1\n"}, "alice")
        env.fake.open_pull("alice", f"change/{n}-svc", f"change {n}")
    env.fake.page_limit = 2
    assert [p.number for p in env.api.open_pulls()] == [1, 2, 3, 4]
    assert env.fake.count("list_pulls") == 2


# -- merging ---------------------------------------------------------------------------------


def test_merge_writes_a_merge_commit_with_title_and_trailers(env: Env) -> None:
    number = env.open()
    before, head = env.fake.head("main"), env.fake.head(BRANCH)
    assert head is not None
    env.api.merge_pull(number, head, "Merge change #1: canary 20",
                       "Govbot-Change: 1\nApproved-by: bob\n")
    merged = env.fake.head("main")
    assert env.fake.pull(number)["state"] == "merged"
    assert env.fake.pull(number)["merge_commit"] == merged
    assert env.fake.git("log", "-1", "--format=%P", "main").split() == [before, head]
    assert env.fake.git("log", "-1", "--format=%B", "main") == (
        "Merge change #1: canary 20\n\nGovbot-Change: 1\nApproved-by: bob")
    assert env.fake.git("show", f"main:{PATH}") == "weight: 20"
    sent = env.fake.calls("merge")[0].params
    assert sent["sha"] == head


def test_merge_refuses_a_head_that_moved(env: Env) -> None:
    number = env.open()
    old = env.fake.head(BRANCH)
    assert old is not None
    env.move()
    error = _failure(lambda: env.api.merge_pull(number, old, "t", "m"))
    assert error.status == 409 and not error.transient
    assert "SHA does not match HEAD of source branch" in error.message
    assert env.fake.pull(number)["state"] == "open"


def test_merge_refusals_are_permanent_with_gitlabs_message(env: Env) -> None:
    number = env.open()
    head = env.fake.head(BRANCH)
    assert head is not None
    env.fake.blocked = True
    error = _failure(lambda: env.api.merge_pull(number, head, "t", "m"))
    assert (error.status, error.transient) == (405, False)
    assert "Method Not Allowed" in error.message
    env.fake.blocked = False
    for status in (406, 422):
        env.fake.fail("merge", status)
        error = _failure(lambda: env.api.merge_pull(number, head, "t", "m"))
        assert (error.status, error.transient) == (status, False)
        assert "Branch cannot be merged" in error.message


def test_a_merge_gitlab_accepts_but_does_not_do_is_refused(env: Env) -> None:
    number = env.open()
    env.fake.inject("merge", Answer(200, {"iid": number, "state": "opened",
                                          "merge_error": "Source branch is locked"}))
    error = _failure(lambda: env.api.merge_pull(number, "0" * 40, "t", "m"))
    assert not error.transient and "Source branch is locked" in error.message


def test_merge_of_a_conflicting_branch_is_refused(env: Env) -> None:
    number = env.open()
    env.fake.push("main", {PATH: "weight: 5\n"}, "platform")
    head = env.fake.head(BRANCH)
    assert head is not None
    error = _failure(lambda: env.api.merge_pull(number, head, "t", "m"))
    assert (error.status, error.transient) == (406, False)


# -- statuses --------------------------------------------------------------------------------


def test_set_status_posts_govbot_guard_with_gitlab_states(env: Env) -> None:
    head = env.fake.head(BRANCH)
    assert head is not None
    env.api.set_status(head, "pending", "judging")
    env.api.set_status(head, "failure", "denied: [release.max_step]", "https://bot/c/1")
    env.api.set_status(head, "success", "allowed")
    assert env.fake.statuses_of(head) == [
        {"context": STATUS_CONTEXT, "state": "pending", "description": "judging"},
        {"context": STATUS_CONTEXT, "state": "failure",
         "description": "denied: [release.max_step]"},
        {"context": STATUS_CONTEXT, "state": "success", "description": "allowed"}]
    sent = [c.params for c in env.fake.calls("status")]
    assert [s["state"] for s in sent] == ["pending", "failed", "success"]
    assert sent[1]["target_url"] == "https://bot/c/1" and "target_url" not in sent[0]
    assert {s["name"] for s in sent} == {STATUS_CONTEXT}


def test_pending_again_is_not_an_error(env: Env) -> None:
    head = env.fake.head(BRANCH)
    assert head is not None
    env.api.set_status(head, "pending", "judging")
    env.api.set_status(head, "pending", "judging again")  # GitLab answers 400 here
    assert env.fake.count("status") == 2
    env.fake.inject("status", Answer(400, {"message": "name is too long"}))
    assert _failure(lambda: env.api.set_status(head, "pending", "x")).status == 400


# -- reviews ---------------------------------------------------------------------------------


def test_an_approval_counts_on_the_head_it_was_given_on(env: Env) -> None:
    number = env.open()
    head = env.fake.head(BRANCH)
    env.fake.review(number, "bob", "approved")
    [review] = env.api.reviews(number)
    assert (review.login, review.state, review.commit) == ("bob", "approved", head)


def test_an_approval_on_an_older_head_does_not_count_on_the_new_head(env: Env) -> None:
    number = env.open()
    old = env.fake.head(BRANCH)
    env.fake.review(number, "bob", "approved")
    new = env.move()
    env.fake.review(number, "carol", "approved")
    reviews = {r.login: r for r in env.api.reviews(number)}
    assert reviews["bob"].commit == old != new
    assert reviews["bob"].state == "approved"  # GitLab kept it; govbot weighs the head
    assert reviews["carol"].commit == new


def test_an_approval_given_while_an_older_head_was_current(env: Env) -> None:
    number = env.open()
    old = env.fake.head(BRANCH)
    assert old is not None
    new = env.move()
    env.fake.review(number, "bob", "approved", commit=old)
    [review] = env.api.reviews(number)
    assert review.commit == old != new


def test_without_approved_at_the_system_notes_date_approvals(env: Env) -> None:
    env.fake.approved_at = False  # GitLab before 18.4
    number = env.open()
    old = env.fake.head(BRANCH)
    env.fake.review(number, "bob", "approved")
    new = env.move()
    env.fake.review(number, "carol", "approved")
    assert [(r.login, r.commit) for r in env.api.reviews(number)] == [
        ("bob", old), ("carol", new)]


def test_a_revoked_approval_reads_as_dismissed(env: Env) -> None:
    number = env.open()
    env.fake.review(number, "bob", "approved")
    env.fake.dismiss(number, "bob")
    [review] = env.api.reviews(number)
    assert review.state == "dismissed"
    env.fake.review(number, "bob", "approved")
    assert [r.state for r in env.api.reviews(number)] == ["dismissed", "approved"]


def test_an_approval_gitlab_dropped_on_push_reads_as_dismissed(env: Env) -> None:
    env.fake.reset_approvals_on_push = True
    number = env.open()
    env.fake.review(number, "bob", "approved")
    env.move()
    assert [(r.login, r.state) for r in env.api.reviews(number)] == [("bob", "dismissed")]


def test_changes_requested_stand_against_the_current_head(env: Env) -> None:
    number = env.open()
    env.fake.review(number, "bob", "approved")
    env.fake.review(number, "dave", "changes_requested")
    new = env.move()
    reviews = env.api.reviews(number)
    assert [(r.login, r.state) for r in reviews] == [("bob", "approved"),
                                                      ("dave", "changes_requested")]
    assert reviews[1].commit == new
    assert reviews[0].at < reviews[1].at


def test_requesting_changes_withdraws_ones_own_approval(env: Env) -> None:
    number = env.open()
    env.fake.review(number, "bob", "approved")
    env.fake.review(number, "bob", "changes_requested")
    assert [(r.login, r.state) for r in env.api.reviews(number)] == [
        ("bob", "dismissed"), ("bob", "changes_requested")]
    env.fake.dismiss(number, "bob")  # asked to review again
    assert [r.state for r in env.api.reviews(number)] == ["dismissed"]


def test_a_review_comment_is_no_review(env: Env) -> None:
    number = env.open()
    env.fake.review(number, "bob", "commented")
    assert env.api.reviews(number) == []
    assert env.fake.comments_of(number) == ["reviewed by bob"]


def test_reviews_read_versions_notes_approvals_and_reviewers(env: Env) -> None:
    number = env.open()
    env.api.reviews(number)
    paths = [r.path.rsplit("/", 1)[-1] for r in env.fake.calls("reviews")]
    assert sorted(paths) == ["approvals", "notes", "reviewers", "versions"]
    notes = next(r for r in env.fake.calls("reviews") if r.path.endswith("/notes"))
    assert notes.params["activity_filter"] == "only_activity"


def test_an_approval_of_unknown_time_counts_only_while_there_was_one_head() -> None:
    def inputs(*heads: str) -> ReviewInputs:
        versions = [{"head_commit_sha": h, "created_at": f"2026-11-27T10:0{i}:00.000Z"}
                    for i, h in enumerate(heads)]
        approvals = {"approved_by": [{"user": {"username": "bob"}}]}
        return ReviewInputs(versions, [], approvals, [])

    assert [r.commit for r in reviews_from(inputs("a"))] == ["a"]
    assert [r.commit for r in reviews_from(inputs("a", "b"))] == [""]


def test_gitlab_times_parse_from_the_api_and_from_webhooks() -> None:
    moment = datetime(2015, 5, 17, 18, 21, 36, tzinfo=UTC)
    assert parse_time("2015-05-17 18:21:36 UTC") == moment
    assert parse_time("2015-05-17T18:21:36.000Z") == moment
    assert parse_time("2015-05-17T20:21:36+02:00") == moment


# -- comments --------------------------------------------------------------------------------


def test_comments_are_the_conversation_without_system_notes(env: Env) -> None:
    number = env.open()
    env.api.comment(number, "**denied**: [release.max_step]")
    first = env.fake.add_comment(number, "bob", "/approve")
    env.fake.review(number, "bob", "approved")  # a system note
    comments = env.api.comments(number)
    assert [(c.login, c.text) for c in comments] == [
        (env.fake.login, "**denied**: [release.max_step]"), ("bob", "/approve")]
    assert comments[1].id == first and isinstance(comments[1].id, str)
    assert comments[0].at < comments[1].at
    assert env.fake.comments_of(number) == ["**denied**: [release.max_step]", "/approve"]


def test_comments_read_every_page(env: Env) -> None:
    number = env.open()
    for n in range(5):
        env.fake.add_comment(number, "bob", f"comment {n}")
    env.fake.page_limit = 2
    assert [c.text for c in env.api.comments(number)] == [f"comment {n}" for n in range(5)]
    assert env.fake.count("comments") == 3


# -- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(env: Env, status: int) -> None:
    env.fake.fail("get_pull", status)
    error = _failure(lambda: env.api.get_pull(1))
    assert (error.status, error.transient) == (status, True)
    assert "<html" not in error.message
    assert env.fake.count("get_pull") == 1  # python-gitlab did not retry


def test_429_is_transient_after_retry_after_and_not_retried_by_the_client(
        env: Env) -> None:
    env.fake.fail("list_pulls", 429, times=3, retry_after=7)
    error = _failure(env.api.open_pulls)
    assert (error.status, error.transient, error.retry_after) == (429, True, 7.0)
    assert env.fake.count("list_pulls") == 1


def test_429_without_retry_after_waits_for_the_rate_limit_reset(env: Env) -> None:
    env.fake.fail("comments", 429)
    error = _failure(lambda: env.api.comments(1))
    assert error.transient and error.retry_after is not None
    assert 55 <= error.retry_after <= 60


def test_retry_after_may_be_an_http_date(env: Env) -> None:
    later = formatdate(time.time() + 30, usegmt=True)
    env.fake.inject("get_pull", Answer(429, "Retry later\n", {"Retry-After": later}))
    error = _failure(lambda: env.api.get_pull(1))
    assert error.transient and error.retry_after is not None
    assert 25 <= error.retry_after <= 30


def test_403_is_a_rate_limit_only_when_it_says_so(env: Env) -> None:
    env.fake.fail("create_pull", 403, retry_after=3)
    error = _failure(lambda: env.api.create_pull(BRANCH, "t", ""))
    assert (error.transient, error.retry_after) == (True, 3.0)
    env.fake.fail("create_pull", 403)
    error = _failure(lambda: env.api.create_pull(BRANCH, "t", ""))
    assert (error.status, error.transient) == (403, False)


def test_a_timeout_is_transient_with_no_answer(env: Env) -> None:
    api = GitLabApi(env.fake.url, env.fake.token, env.fake.repo, timeout=0.2)
    env.fake.stall("get_pull", 1.0)
    error = _failure(lambda: api.get_pull(1))
    assert (error.status, error.transient) == (0, True)
    assert env.fake.count("get_pull") == 1


def test_an_unreachable_gitlab_is_transient(env: Env) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    api = GitLabApi(f"http://127.0.0.1:{port}", env.fake.token, env.fake.repo, timeout=1)
    error = _failure(api.open_pulls)
    assert (error.status, error.transient) == (0, True)


def test_a_wrong_token_is_permanent_401(env: Env) -> None:
    api = GitLabApi(env.fake.url, "glpat-wrong-token-99", env.fake.repo)
    error = _failure(api.open_pulls)
    assert (error.status, error.transient) == (401, False)
    assert "401 Unauthorized" in error.message


def test_an_unknown_project_is_permanent_404(env: Env) -> None:
    api = GitLabApi(env.fake.url, env.fake.token, "group/other")
    error = _failure(api.open_pulls)
    assert (error.status, error.transient) == (404, False)
    assert "Project Not Found" in error.message


def test_the_token_never_reaches_a_message(env: Env) -> None:
    token = env.fake.token
    env.fake.inject("edit_pull", Answer(400, {"message": f"token {token} is not allowed"}))
    error = _failure(lambda: env.api.edit_pull(1, "x"))
    assert (error.status, error.transient) == (400, False)
    assert token not in error.message and token not in str(error)
    assert "is not allowed" in error.message
    for operation, status in (("get_pull", 401), ("get_pull", 502), ("get_pull", 429)):
        env.fake.fail(operation, status)
        error = _failure(lambda: env.api.get_pull(1))
        assert token not in str(error)


# -- webhooks --------------------------------------------------------------------------------


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def test_a_merge_request_hook_is_a_pull_event(env: Env) -> None:
    number = env.open()
    headers, body = env.fake.webhook("pull", number, secret=SECRET, delivery="d-1")
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.delivery, hook.event, hook.number, hook.comment) == ("d-1", "pull", number,
                                                                      None)
    env.move()
    headers, body = env.fake.webhook("pull", number, secret=SECRET)
    assert json.loads(body)["object_attributes"]["action"] == "update"
    assert env.api.hook(_lower(headers), body, SECRET).event == "pull"


def test_an_approval_hook_is_a_review_event(env: Env) -> None:
    number = env.open()
    env.fake.review(number, "bob", "approved")
    headers, body = env.fake.webhook("review", number, secret=SECRET)
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("review", number)
    env.fake.dismiss(number, "bob")
    headers, body = env.fake.webhook("review", number, secret=SECRET)
    assert json.loads(body)["object_attributes"]["action"] == "unapproval"
    assert env.api.hook(_lower(headers), body, SECRET).event == "review"


def test_a_note_on_a_merge_request_is_a_comment_event(env: Env) -> None:
    number = env.open()
    comment_id = env.fake.add_comment(number, "bob", "/approve 1")
    headers, body = env.fake.webhook("comment", number, secret=SECRET, comment_id=comment_id)
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("comment", number)
    assert hook.comment is not None
    assert (hook.comment.id, hook.comment.login, hook.comment.text) == (
        comment_id, "bob", "/approve 1")
    assert hook.comment.at.tzinfo is not None


def test_other_notes_and_edits_are_other_events(env: Env) -> None:
    number = env.open()
    env.fake.add_comment(number, "bob", "hi")
    headers, body = env.fake.webhook("comment", number, secret=SECRET)
    payload = json.loads(body)
    edited = {**payload, "object_attributes": {**payload["object_attributes"],
                                               "action": "update"}}
    on_issue = {**payload, "object_attributes": {**payload["object_attributes"],
                                                 "noteable_type": "Issue"}}
    for changed in (edited, on_issue):
        hook = env.api.hook(_lower(headers), json.dumps(changed).encode(), SECRET)
        assert (hook.event, hook.number) == ("other", None)
    headers = {**headers, "X-Gitlab-Event": "Pipeline Hook"}
    assert env.api.hook(_lower(headers), b'{"object_kind": "pipeline"}', SECRET).event == "other"


def test_a_push_hook_is_a_push_event(env: Env) -> None:
    headers, body = env.fake.webhook("push", secret=SECRET)
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("push", None)


def test_a_delivery_is_named_by_its_uuid_then_its_idempotency_key(env: Env) -> None:
    headers, body = env.fake.webhook("push", secret=SECRET, delivery="uuid-1")
    headers = _lower(headers)
    del headers["x-gitlab-event-uuid"]
    headers["idempotency-key"] = "key-1"
    assert env.api.hook(headers, body, SECRET).delivery == "key-1"
    del headers["idempotency-key"]
    first = env.api.hook(headers, body, SECRET).delivery
    assert first and first == env.api.hook(headers, body, SECRET).delivery


@pytest.mark.parametrize(("given", "secret"), [
    ("wrong-secret", SECRET),     # wrong token
    (None, SECRET),               # no token
    ("", ""),                     # no secret configured: nothing can be verified
    (SECRET, ""),
])
def test_a_hook_without_the_right_token_is_unverified(env: Env, given: str | None,
                                                      secret: str) -> None:
    headers, body = env.fake.webhook("push", secret=SECRET)
    headers = _lower(headers)
    headers.pop("x-gitlab-token")
    if given is not None:
        headers["x-gitlab-token"] = given
    with pytest.raises(Unverified):
        env.api.hook(headers, body, secret)


def test_a_verified_hook_with_a_broken_body_is_a_400(env: Env) -> None:
    headers, _ = env.fake.webhook("push", secret=SECRET)
    for body in (b"{not json", b"[1, 2]",
                 b'{"object_attributes": {"noteable_type": "MergeRequest"}}'):
        for event in ("Push Hook", "Merge Request Hook", "Note Hook"):
            shown = _lower({**headers, "X-Gitlab-Event": event})
            if event == "Push Hook" and body.startswith(b"{\""):
                continue  # a push names nothing govbot must read
            error = _failure(lambda shown=shown, body=body: env.api.hook(shown, body, SECRET))
            assert (error.status, error.transient) == (400, False)
