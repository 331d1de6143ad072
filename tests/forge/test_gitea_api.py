"""`GiteaApi` against `FakeGitea` over real HTTP, backed by a real bare git repository.

Each test gets a bare repository whose main has one commit, a fake Gitea serving it on a
free local port, and a `GiteaApi` pointed at it; people act on the forge through the fake.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.forge.api import STATUS_CONTEXT, ForgeApi, ForgeError, Pull, Unverified
from bot.forge.gitea import GiteaApi, _retry_after
from tests.support.fake_gitea import FakeGitea
from tests.support.forges import FakeForge

TOKEN = "5f0c3e0d9a7b4c1e8f2a6b3d4c5e6f7a8b9c0d1e"
REPO = "platform/policies"
BRANCH = "change/1-svc-user"
PATH = "services/dev/demo/svc-user.yaml"
SECRET = "webhook-secret-42"


@dataclass
class Env:
    fake: FakeGitea
    api: GiteaApi
    bare: Path

    def branch(self, name: str = BRANCH, text: str = "weight: 20\n") -> str:
        return self.fake.push(name, {PATH: text}, "alice", f"edit {name}")

    def pull(self, name: str = BRANCH, title: str = "canary svc-user 20%") -> Pull:
        self.branch(name)
        return self.api.create_pull(name, title, "why: more traffic")

    def main(self) -> str:
        head = self.fake.git.head("main")
        assert head is not None
        return head


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    bare = tmp_path / "policy.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    fake = FakeGitea(bare, REPO, token=TOKEN)
    fake.push("main", {"README.md": "policies\n"}, "platform", "initial")
    with fake.serve() as url:
        yield Env(fake, GiteaApi(url, TOKEN, REPO, timeout=5.0), bare)


def test_the_fake_and_the_adapter_fit_their_protocols(env: Env) -> None:
    fake: FakeForge = env.fake
    api: ForgeApi = env.api
    assert (fake.kind, api.kind) == ("gitea", "gitea")
    assert fake.url.endswith("/api/v1")


@pytest.mark.parametrize("suffix", ["", "/", "/api/v1", "/api/v1/"])
def test_the_url_may_be_the_instance_or_its_api_base(env: Env, suffix: str) -> None:
    env.branch()
    api = GiteaApi(env.fake.web + suffix, TOKEN, REPO)
    assert api.create_pull(BRANCH, "t", "b").number == 1
    assert env.fake.calls("create_pull")[0].path == f"/api/v1/repos/{REPO}/pulls"


def test_settings_that_cannot_work_fail_at_once() -> None:
    with pytest.raises(ConfigError, match="owner/name"):
        GiteaApi("https://gitea.example.com", TOKEN, "policies")
    with pytest.raises(ConfigError, match="http"):
        GiteaApi("gitea.example.com", TOKEN, REPO)


# -- pull requests -----------------------------------------------------------------------


def test_create_pull_opens_it_from_the_branch_into_main(env: Env) -> None:
    head = env.branch()
    pull = env.api.create_pull(BRANCH, "canary svc-user 20%", "why: more traffic")
    assert pull == Pull(1, BRANCH, head, "canary svc-user 20%", "govbot",
                        f"{env.fake.web}/{REPO}/pulls/1", "why: more traffic")
    sent = env.fake.calls("create_pull")[0]
    assert sent.body == {"head": BRANCH, "base": "main", "title": "canary svc-user 20%",
                         "body": "why: more traffic"}
    assert sent.headers["Authorization"] == f"token {TOKEN}"
    assert env.fake.pull(1)["state"] == "open"


def test_a_second_pull_from_the_same_branch_is_refused_for_good(env: Env) -> None:
    env.pull()
    with pytest.raises(ForgeError) as refused:
        env.api.create_pull(BRANCH, "again", "")
    assert (refused.value.status, refused.value.transient) == (409, False)
    assert "pull request already exists" in refused.value.message


def test_open_pulls_are_those_open_into_main(env: Env) -> None:
    first, second = env.pull("change/1-a"), env.pull("change/2-b")
    closed = env.pull("change/3-c")
    env.api.close_pull(closed.number)
    env.branch("release")
    env.branch("change/4-d")
    env.fake.open_pull("alice", "change/4-d", "into release", base="release")
    assert [p.number for p in env.api.open_pulls()] == [first.number, second.number]
    assert env.fake.calls("list_pulls")[0].query["state"] == ["open"]


def test_lists_follow_pages_when_the_server_caps_the_page_size(env: Env) -> None:
    for n in range(1, 6):
        env.pull(f"change/{n}-svc")
    env.fake.max_limit = 2
    assert [p.number for p in env.api.open_pulls()] == [1, 2, 3, 4, 5]
    pages = [r.query["page"] for r in env.fake.calls("list_pulls")]
    assert pages == [["1"], ["2"], ["3"]]


def test_without_a_total_count_a_short_page_ends_the_list(env: Env) -> None:
    pull = env.pull()
    for n in range(55):
        env.fake.review(pull.number, f"reviewer{n}", "commented")
    env.fake.send_total = False
    assert len(env.api.reviews(pull.number)) == 55
    assert [r.query["page"] for r in env.fake.calls("reviews")] == [["1"], ["2"]]


def test_find_pull_by_branch(env: Env) -> None:
    pull = env.pull()
    env.pull("change/2-other")
    assert env.api.find_pull(BRANCH) == pull
    assert env.api.find_pull("change/9-none") is None
    env.api.close_pull(pull.number)
    assert env.api.find_pull(BRANCH) is None


def test_get_pull_follows_the_branch_and_is_none_once_closed_or_merged(env: Env) -> None:
    pull = env.pull()
    moved = env.branch(text="weight: 30\n")
    got = env.api.get_pull(pull.number)
    assert got is not None and got.head_sha == moved
    assert env.api.get_pull(99) is None
    env.api.merge_pull(pull.number, moved, "Merge change #1", "")
    assert env.api.get_pull(pull.number) is None
    other = env.pull("change/2-other")
    env.api.close_pull(other.number)
    assert env.api.get_pull(other.number) is None


def test_edit_pull_replaces_the_description(env: Env) -> None:
    pull = env.pull()
    env.api.edit_pull(pull.number, "new description")
    assert env.fake.pull(pull.number)["body"] == "new description"
    assert env.fake.pull(pull.number)["title"] == pull.title


def test_close_pull_is_harmless_when_already_closed_or_merged(env: Env) -> None:
    pull = env.pull()
    env.api.close_pull(pull.number)
    env.api.close_pull(pull.number)
    assert env.fake.pull(pull.number)["state"] == "closed"
    merged = env.pull("change/2-other")
    env.api.merge_pull(merged.number, merged.head_sha, "Merge change #2", "")
    env.api.close_pull(merged.number)
    assert env.fake.pull(merged.number)["state"] == "merged"
    with pytest.raises(ForgeError) as unknown:
        env.api.close_pull(42)
    assert unknown.value.status == 404


# -- merges ------------------------------------------------------------------------------


def test_merge_writes_a_merge_commit_with_title_and_trailers(env: Env) -> None:
    pull = env.pull()
    main = env.main()
    env.api.merge_pull(pull.number, pull.head_sha, "Merge change #1: canary svc-user 20%",
                       "Govbot-Change: 1\nApproved-by: bob\n")
    merged = env.main()
    parents = env.fake.git.run("rev-list", "--parents", "-n", "1", merged).split()[1:]
    assert parents == [main, pull.head_sha]
    assert env.fake.git.run("log", "-1", "--format=%B", merged) == (
        "Merge change #1: canary svc-user 20%\n\nGovbot-Change: 1\nApproved-by: bob")
    assert env.fake.pull(pull.number)["state"] == "merged"
    assert env.fake.pull(pull.number)["merge_commit"] == merged
    sent = env.fake.calls("merge")[0].body
    assert sent["Do"] == "merge" and sent["head_commit_id"] == pull.head_sha
    assert sent["delete_branch_after_merge"] is False
    assert env.fake.git.head(BRANCH) == pull.head_sha


def test_merge_of_a_moved_head_is_refused_and_main_stays(env: Env) -> None:
    pull = env.pull()
    main = env.main()
    env.branch(text="weight: 40\n")
    with pytest.raises(ForgeError) as refused:
        env.api.merge_pull(pull.number, pull.head_sha, "Merge", "")
    assert (refused.value.status, refused.value.transient) == (409, False)
    assert refused.value.message.endswith("head out of date")
    assert env.main() == main


def test_merge_of_a_conflicting_pull_is_refused(env: Env) -> None:
    pull = env.pull()
    env.fake.push("main", {PATH: "weight: 5\n"}, "carol", "meanwhile on main")
    with pytest.raises(ForgeError) as refused:
        env.api.merge_pull(pull.number, pull.head_sha, "Merge", "")
    assert (refused.value.status, refused.value.transient) == (405, False)
    assert "Please try again later" in refused.value.message


def test_merge_blocked_by_branch_protection_says_why(env: Env) -> None:
    pull = env.pull()
    env.fake.blocked = "Does not have enough approvals"
    with pytest.raises(ForgeError) as refused:
        env.api.merge_pull(pull.number, pull.head_sha, "Merge", "")
    assert refused.value.status == 405
    assert "enough approvals" in refused.value.message


def test_merging_twice_names_the_refusal_even_without_a_message(env: Env) -> None:
    pull = env.pull()
    env.api.merge_pull(pull.number, pull.head_sha, "Merge", "")
    with pytest.raises(ForgeError) as refused:
        env.api.merge_pull(pull.number, pull.head_sha, "Merge", "")
    assert refused.value.status == 405
    assert "405 Method Not Allowed" in refused.value.message


# -- statuses, reviews, comments ---------------------------------------------------------


def test_set_status_sets_the_guard_context(env: Env) -> None:
    pull = env.pull()
    env.api.set_status(pull.head_sha, "pending", "waiting for approval")
    env.api.set_status(pull.head_sha, "success", "policy allows",
                       "https://govbot.example/changes/1")
    assert env.fake.statuses_of(pull.head_sha) == [
        {"context": STATUS_CONTEXT, "state": "pending", "description": "waiting for approval"},
        {"context": STATUS_CONTEXT, "state": "success", "description": "policy allows"}]
    assert env.fake.calls("status")[1].body["target_url"] == "https://govbot.example/changes/1"


def test_reviews_map_states_commits_and_dismissals(env: Env) -> None:
    pull = env.pull()
    first = pull.head_sha
    env.fake.review(pull.number, "bob", "approved")
    env.fake.review(pull.number, "carol", "changes_requested")
    env.fake.request_review(pull.number, "erin")
    second = env.branch(text="weight: 30\n")
    env.fake.review(pull.number, "dave", "commented")
    env.fake.review(pull.number, "carol", "approved")
    env.fake.dismiss(pull.number, "bob")
    reviews = env.api.reviews(pull.number)
    assert [(r.login, r.state, r.commit) for r in reviews] == [
        ("bob", "dismissed", first), ("carol", "changes_requested", first),
        ("dave", "commented", second), ("carol", "approved", second)]
    assert all(r.at.tzinfo is not None for r in reviews)
    assert abs(reviews[0].at - datetime.now(UTC)) < timedelta(minutes=5)


def test_comments_round_trip_with_ids_logins_and_times(env: Env) -> None:
    pull = env.pull()
    env.api.comment(pull.number, "policy allows; waiting for **approval**")
    said = env.fake.add_comment(pull.number, "bob", "/approve")
    comments = env.api.comments(pull.number)
    assert [(c.login, c.text) for c in comments] == [
        ("govbot", "policy allows; waiting for **approval**"), ("bob", "/approve")]
    assert comments[1].id == said and isinstance(comments[0].id, str)
    assert comments[0].id != comments[1].id
    assert all(c.at.tzinfo is not None for c in comments)
    assert env.fake.comments_of(pull.number)[0] == "policy allows; waiting for **approval**"


# -- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_failures_are_transient(env: Env, status: int) -> None:
    env.branch()
    env.fake.fail("create_pull", status)
    with pytest.raises(ForgeError) as failed:
        env.api.create_pull(BRANCH, "t", "")
    assert (failed.value.status, failed.value.transient) == (status, True)
    assert "<html>" not in failed.value.message
    assert env.api.create_pull(BRANCH, "t", "").number == 1
    assert env.fake.count("create_pull") == 2


def test_too_many_requests_is_transient_with_retry_after(env: Env) -> None:
    pull = env.pull()
    env.fake.fail("reviews", 429, retry_after=7)
    with pytest.raises(ForgeError) as limited:
        env.api.reviews(pull.number)
    assert (limited.value.status, limited.value.transient) == (429, True)
    assert limited.value.retry_after == 7.0


def test_a_403_with_retry_after_is_a_rate_limit_and_without_it_is_final(env: Env) -> None:
    pull = env.pull()
    env.fake.fail("comment", 403, retry_after=2.5)
    env.fake.fail("comment", 403)
    with pytest.raises(ForgeError) as limited:
        env.api.comment(pull.number, "hi")
    assert (limited.value.transient, limited.value.retry_after) == (True, 2.5)
    with pytest.raises(ForgeError) as forbidden:
        env.api.comment(pull.number, "hi")
    assert (forbidden.value.status, forbidden.value.transient) == (403, False)
    assert forbidden.value.retry_after is None
    assert "write:repository" in forbidden.value.message


@pytest.mark.parametrize(("operation", "status"), [
    ("edit_pull", 404), ("merge", 405), ("merge", 409), ("status", 422), ("comments", 401)])
def test_refusals_are_permanent_with_gitea_s_message(env: Env, operation: str,
                                                    status: int) -> None:
    pull = env.pull()
    env.fake.fail(operation, status)
    calls: dict[str, Callable[[], object]] = {
        "edit_pull": lambda: env.api.edit_pull(pull.number, "x"),
        "merge": lambda: env.api.merge_pull(pull.number, pull.head_sha, "t", ""),
        "status": lambda: env.api.set_status(pull.head_sha, "success", "ok"),
        "comments": lambda: env.api.comments(pull.number)}
    with pytest.raises(ForgeError) as refused:
        calls[operation]()
    assert (refused.value.status, refused.value.transient) == (status, False)
    assert refused.value.message.split(": ", 1)[1].strip()


def test_a_wrong_token_is_refused_for_good_and_never_shown(env: Env) -> None:
    wrong = "0123456789abcdef0123456789abcdef01234567"
    api = GiteaApi(env.fake.url, wrong, REPO)
    with pytest.raises(ForgeError) as refused:
        api.open_pulls()
    assert (refused.value.status, refused.value.transient) == (401, False)
    assert "token is required" in refused.value.message
    assert wrong not in str(refused.value)


def test_the_token_never_appears_in_error_messages(env: Env) -> None:
    pull = env.pull()
    errors: list[ForgeError] = []
    for status in (401, 403, 404, 409, 422, 429, 500, 502):
        env.fake.fail("get_pull", status, retry_after=1 if status == 429 else None)
        try:
            env.api.get_pull(pull.number)
        except ForgeError as error:
            errors.append(error)
    unreachable = GiteaApi(f"http://127.0.0.1:{_closed_port()}", TOKEN, REPO, timeout=1)
    with pytest.raises(ForgeError) as no_answer:
        unreachable.open_pulls()
    errors.append(no_answer.value)
    assert len(errors) == 8     # 404 is an answer: no such pull
    assert all(TOKEN not in f"{e} {e.message} {e!r}" for e in errors)


def test_a_refused_connection_is_transient_with_no_status() -> None:
    api = GiteaApi(f"http://127.0.0.1:{_closed_port()}", TOKEN, REPO, timeout=1)
    with pytest.raises(ForgeError) as failed:
        api.create_pull(BRANCH, "t", "")
    assert (failed.value.status, failed.value.transient) == (0, True)
    assert "cannot reach gitea" in failed.value.message


def test_a_server_that_does_not_answer_times_out_as_transient() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:   # accepts, never answers
        api = GiteaApi(f"http://127.0.0.1:{silent.getsockname()[1]}", TOKEN, REPO,
                       timeout=0.3)
        with pytest.raises(ForgeError) as failed:
            api.open_pulls()
    assert (failed.value.status, failed.value.transient) == (0, True)
    assert "did not answer within 0.3s" in failed.value.message


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert _retry_after("12") == 12.0
    assert _retry_after("-3") == 0.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    waited = _retry_after(later)
    assert waited is not None and 80 < waited <= 90
    assert _retry_after("soon") is None
    assert _retry_after(None) is None


def _closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return int(probe.getsockname()[1])


# -- webhooks ----------------------------------------------------------------------------


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_a_signed_pull_delivery_is_read(env: Env) -> None:
    pull = env.pull()
    headers, body = env.fake.webhook("pull", pull.number, secret=SECRET, delivery="d-1")
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.delivery, hook.event, hook.number, hook.comment) == (
        "d-1", "pull", pull.number, None)
    assert json.loads(body)["action"] == "opened"


def test_a_push_to_the_pull_s_branch_is_a_pull_event(env: Env) -> None:
    pull = env.pull()
    env.branch(text="weight: 50\n")
    headers, body = env.fake.webhook("pull", pull.number, secret=SECRET)
    assert headers["X-Gitea-Event-Type"] == "pull_request_sync"
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("pull", pull.number)


@pytest.mark.parametrize(("state", "event_type"), [
    ("approved", "pull_request_review_approved"),
    ("changes_requested", "pull_request_review_rejected"),
    ("commented", "pull_request_review_comment")])
def test_reviews_arrive_as_review_events(env: Env, state: str, event_type: str) -> None:
    pull = env.pull()
    env.fake.review(pull.number, "bob", state)
    headers, body = env.fake.webhook("review", pull.number, secret=SECRET)
    assert headers["X-Gitea-Event-Type"] == event_type
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("review", pull.number)


def test_a_review_from_a_sender_without_the_precise_event_name(env: Env) -> None:
    pull = env.pull()
    env.fake.review(pull.number, "bob", "approved")
    headers, body = env.fake.webhook("review", pull.number, secret=SECRET)
    del headers["X-Gitea-Event-Type"]
    assert env.api.hook(_lower(headers), body, SECRET).event == "review"


def test_a_comment_on_a_pull_carries_the_comment(env: Env) -> None:
    pull = env.pull()
    said = env.fake.add_comment(pull.number, "bob", "/approve")
    headers, body = env.fake.webhook("comment", pull.number, secret=SECRET, comment_id=said)
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("comment", pull.number)
    assert hook.comment is not None
    assert (hook.comment.id, hook.comment.login, hook.comment.text) == (said, "bob", "/approve")
    assert hook.comment.at.tzinfo is not None


def test_edited_comments_and_issue_comments_are_other(env: Env) -> None:
    pull = env.pull()
    env.fake.add_comment(pull.number, "bob", "/approve")
    headers, body = env.fake.webhook("comment", pull.number, secret=SECRET)
    payload = json.loads(body)
    edited = json.dumps({**payload, "action": "edited"}).encode()
    headers["X-Gitea-Signature"] = _sign(edited)
    hook = env.api.hook(_lower(headers), edited, SECRET)
    assert (hook.event, hook.number) == ("other", pull.number)
    payload["issue"]["pull_request"], payload["is_pull"] = None, False
    on_issue = json.dumps(payload).encode()
    headers["X-Gitea-Signature"] = _sign(on_issue)
    headers["X-Gitea-Event-Type"] = "issue_comment"
    assert env.api.hook(_lower(headers), on_issue, SECRET).event == "other"


def test_a_push_to_main_and_other_events(env: Env) -> None:
    pull = env.pull()
    env.api.merge_pull(pull.number, pull.head_sha, "Merge change #1", "")
    headers, body = env.fake.webhook("push", secret=SECRET)
    assert json.loads(body)["after"] == env.main()
    hook = env.api.hook(_lower(headers), body, SECRET)
    assert (hook.event, hook.number) == ("push", None)
    headers["X-Gitea-Event"], headers["X-Gitea-Event-Type"] = "pull_request", "pull_request_label"
    assert env.api.hook(_lower(headers), body, SECRET).event == "other"


def test_the_hub_signature_alone_is_accepted_and_headers_may_have_any_case(env: Env) -> None:
    pull = env.pull()
    headers, body = env.fake.webhook("pull", pull.number, secret=SECRET)
    del headers["X-Gitea-Signature"]
    assert env.api.hook(headers, body, SECRET).event == "pull"


def test_forgejo_s_own_header_names_are_read(env: Env) -> None:
    pull = env.pull()
    env.fake.review(pull.number, "bob", "approved")
    headers, body = env.fake.webhook("review", pull.number, secret=SECRET, delivery="d-3")
    forgejo = {name.replace("X-Gitea-", "X-Forgejo-"): value for name, value in headers.items()
               if not name.startswith(("X-Hub-", "X-Gogs-", "X-GitHub-"))}
    hook = env.api.hook(_lower(forgejo), body, SECRET)
    assert (hook.delivery, hook.event, hook.number) == ("d-3", "review", pull.number)


@pytest.mark.parametrize("case", ["wrong secret", "tampered", "unsigned", "no secret here"])
def test_deliveries_that_cannot_be_verified_are_refused(env: Env, case: str) -> None:
    pull = env.pull()
    signed_with = "" if case == "unsigned" else ("other" if case == "wrong secret" else SECRET)
    headers, body = env.fake.webhook("pull", pull.number, secret=signed_with)
    if case == "tampered":
        body = body.replace(b'"opened"', b'"closed"')
    if case == "unsigned":
        for name in ("X-Gitea-Signature", "X-Hub-Signature-256"):
            assert headers[name] in ("", "sha256=")
    secret = "" if case == "no secret here" else SECRET
    with pytest.raises(Unverified):
        env.api.hook(_lower(headers), body, secret)


def test_an_unsigned_delivery_with_an_empty_secret_is_still_refused(env: Env) -> None:
    pull = env.pull()
    headers, body = env.fake.webhook("pull", pull.number, secret="")
    with pytest.raises(Unverified):
        env.api.hook(_lower(headers), body, "")


def test_a_signed_body_that_is_not_json_is_a_bad_request(env: Env) -> None:
    body = b"payload=%7B%22action%22"
    headers = {"x-gitea-event": "push", "x-gitea-event-type": "push",
               "x-gitea-delivery": "d-2", "x-gitea-signature": _sign(body)}
    with pytest.raises(ForgeError) as bad:
        env.api.hook(headers, body, SECRET)
    assert (bad.value.status, bad.value.transient) == (400, False)
