"""The loop on a hosted forge, per forge, through its fake server and real HTTP:
chat → pull request with the rendered diff and a status → review on the forge → merged
through the API with the trailers → applied; pull requests written by hand judged;
reviews on old heads and "changes requested"; webhooks verified and deduplicated."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot import resources
from bot.app import App, build
from bot.core.events import ChangeOpened, Event
from bot.core.types import Author, Command
from bot.repo.git import MAIN, PolicyRepo
from bot.server import forge_events, make_server
from bot.settings import Settings
from tests.conftest import FIXED_NOW
from tests.forge.test_forge_contract import FAKES
from tests.support.forges import FakeForge

SECRET = "hook-s3cret-value"
GOVBOT = Author("govbot", "govbot@localhost")
PROD_USER = "services/prod/demo/svc-user.yaml"


@dataclass
class Hosted:
    app: App
    fake: FakeForge
    origin: PolicyRepo
    home: Path
    hook_url: str

    def say(self, text: str, user: str = "alice") -> list[Event]:
        return self.app.workflow.handle(Command("console", user, "console", text))

    def deliver(self, headers: dict[str, str], body: bytes) -> int:
        """POST a webhook delivery to govbot's /forge/events; the HTTP status."""
        request = urllib.request.Request(self.hook_url, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    def hook(self, event: str, number: int | None = None, **extra: str) -> int:
        headers, body = self.fake.webhook(event, number, secret=SECRET, **extra)
        return self.deliver(headers, body)

    def number(self, branch: str) -> int:
        pull = self.fake.pull_for(branch)
        assert pull is not None, f"no pull request from {branch}"
        return int(pull["number"])


@pytest.fixture(params=sorted(FAKES))
def hosted(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hosted]:
    origin = PolicyRepo.init(tmp_path / "origin.git", resources.template_files(), GOVBOT)
    fake = FAKES[request.param](origin.path)
    with fake.serve() as api:
        settings = Settings.from_env({
            "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_FORGE": fake.kind,
            "GOVBOT_REPO_URL": str(origin.path), "GOVBOT_FORGE_URL": api,
            "GOVBOT_FORGE_TOKEN": fake.token, "GOVBOT_FORGE_REPO": fake.repo,
            "GOVBOT_FORGE_WEBHOOK_SECRET": SECRET, "GOVBOT_FORGE_BACKOFF_SECONDS": "0",
            "GOVBOT_FORGE_PACING_SECONDS": "0"})
        app = build(settings, clock=lambda: FIXED_NOW)
        context = app.workflow.context
        # handled in the request's thread, so a test sees its effect when the POST returns
        def now(work: Callable[[], object]) -> None:
            work()

        route = forge_events(context.forge, app.workflow.forge_event, run=now)
        server = make_server("127.0.0.1", 0, {"/forge/events": route})
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Hosted(app, fake, origin, tmp_path / "home",
                         f"http://127.0.0.1:{server.server_port}/forge/events")
        finally:
            server.shutdown()
            server.server_close()
            app.close()


def rendered_weight(home: Path) -> list[int]:
    folder = home / "rendered" / "dev" / "demo"
    weights = []
    for path in folder.glob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "VirtualService" and \
                    doc["metadata"]["name"] == "svc-user":
                weights += [r["weight"] for http in doc["spec"]["http"]
                            for r in http.get("route", []) if "weight" in r]
    return weights


def test_canary_from_chat_is_approved_on_the_forge_merged_with_trailers_and_applied(
        hosted: Hosted) -> None:
    [opened] = hosted.say("/canary svc-user 20%")
    assert isinstance(opened, ChangeOpened), opened
    number = hosted.number("change/1-svc-user")
    pull = hosted.fake.pull(number)
    assert opened.change.url and pull["title"].startswith("canary svc-user")
    assert "VirtualService/svc-user" in pull["body"]          # the rendered-manifest diff
    assert "asked by Alice Wang" in pull["body"]
    assert "1 approval" in pull["body"]
    [status] = [s for s in hosted.fake.statuses_of(pull["head"])
                if s["context"] == "govbot/guard"][-1:]
    assert status["state"] == "pending"

    hosted.fake.review(number, "bob", "approved")
    assert hosted.hook("review", number) in (200, 202)

    pull = hosted.fake.pull(number)
    assert pull["state"] == "merged"
    message = hosted.origin.message(hosted.origin.head(MAIN))
    for trailer in ("Govbot-Change: 1", "Requested-by: alice", "Approved-by: bob"):
        assert trailer in message, message
    assert hosted.app.store.get(1).state == "merged"
    assert hosted.app.store.get(1).merged_sha == hosted.origin.head(MAIN)
    assert 20 in rendered_weight(hosted.home)


def test_a_hand_written_prod_canary_jump_is_failed_commented_and_never_merged(
        hosted: Hosted) -> None:
    text = hosted.origin.read(MAIN, PROD_USER)
    assert text is not None
    edited = text + "  release:\n    strategy: canary\n    canaryWeight: 90\n"
    hosted.fake.push("hand/canary-90", {PROD_USER: edited}, author="carol")
    number = hosted.fake.open_pull("carol", "hand/canary-90", "svc-user canary to 90%")
    assert hosted.hook("pull", number) in (200, 202)

    head = hosted.fake.pull(number)["head"]
    [status] = [s for s in hosted.fake.statuses_of(head) if s["context"] == "govbot/guard"][-1:]
    assert status["state"] == "failure" and "[release.max_step]" in status["description"]
    [said] = hosted.fake.comments_of(number)
    assert "[release.max_step]" in said and PROD_USER in said

    for reviewer in ("bob", "dave"):
        hosted.fake.review(number, reviewer, "approved")
        hosted.hook("review", number)
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "open"
    assert hosted.origin.read(MAIN, PROD_USER) == text
    assert len(hosted.fake.comments_of(number)) == 1  # the verdict is said once


def test_a_hand_written_pull_request_within_the_limits_is_merged_on_approval(
        hosted: Hosted) -> None:
    path = "services/dev/demo/svc-pay.yaml"
    text = hosted.origin.read(MAIN, path)
    assert text is not None
    hosted.fake.push("hand/pay", {path: text + "  release:\n    strategy: canary\n"
                                         "    canaryWeight: 10\n"}, author="alice")
    number = hosted.fake.open_pull("alice", "hand/pay", "svc-pay canary 10%")
    hosted.app.workflow.poll()
    [said] = hosted.fake.comments_of(number)
    assert "VirtualService/svc-pay" in said
    hosted.fake.add_comment(number, "alice", "/approve")       # the author cannot
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "open"
    assert "someone else must approve" in hosted.fake.comments_of(number)[-1]
    hosted.fake.add_comment(number, "bob", "/approve")
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "merged"
    message = hosted.origin.message(hosted.origin.head(MAIN))
    assert "Requested-by: alice" in message and "Approved-by: bob" in message


def test_a_review_on_an_older_head_does_not_count_and_changes_requested_block(
        hosted: Hosted) -> None:
    hosted.say("/canary svc-user 20%")
    number = hosted.number("change/1-svc-user")
    old_head = hosted.fake.pull(number)["head"]
    # main moves under the change (another file): govbot replays it and pushes a new head
    moved = hosted.origin.commit(hosted.origin.head(MAIN), {"NOTES.md": "moved\n"}, GOVBOT,
                                 "an unrelated change on main")
    hosted.origin.set_ref(MAIN, moved)
    hosted.fake.review(number, "bob", "approved", commit=old_head)
    hosted.fake.review(number, "carol", "changes_requested", commit=old_head)
    import time
    time.sleep(2.1)  # govbot fetches main at most every 2 s
    replies = hosted.say("/approve 1", user="dave")
    pull = hosted.fake.pull(number)
    assert pull["head"] != old_head                              # replayed on the new main
    assert pull["state"] == "open", replies                      # carol blocks the merge
    assert "carol" in " ".join(r.text for r in replies)
    assert "changes requested by carol" in " ".join(
        s["description"] for s in hosted.fake.statuses_of(pull["head"]))

    hosted.fake.dismiss(number, "carol")
    hosted.hook("review", number)
    assert hosted.fake.pull(number)["state"] == "merged"
    message = hosted.origin.message(hosted.origin.head(MAIN))
    assert "Approved-by: dave" in message and "Approved-by: bob" not in message


def test_a_webhook_with_a_bad_signature_is_401_and_changes_nothing(hosted: Hosted) -> None:
    hosted.say("/canary svc-user 20%")
    number = hosted.number("change/1-svc-user")
    hosted.fake.review(number, "bob", "approved")
    headers, body = hosted.fake.webhook("review", number, secret="not-the-secret")
    assert hosted.deliver(headers, body) == 401
    bare = {k: v for k, v in headers.items()
            if "signature" not in k.lower() and "token" not in k.lower()}
    assert hosted.deliver(bare, body) == 401
    assert hosted.fake.pull(number)["state"] == "open"
    assert hosted.app.store.get(1).state == "open"


def test_the_same_delivery_twice_is_handled_once(hosted: Hosted) -> None:
    hosted.say("/canary svc-user 20%")
    number = hosted.number("change/1-svc-user")
    comment = hosted.fake.add_comment(number, "bob", "/approve")
    headers, body = hosted.fake.webhook("comment", number, secret=SECRET, comment_id=comment)
    assert hosted.deliver(headers, body) in (200, 202)
    replies = len(hosted.fake.comments_of(number))
    assert hosted.deliver(headers, body) in (200, 202)
    assert len(hosted.fake.comments_of(number)) == replies
    assert hosted.fake.pull(number)["state"] == "merged"
    assert hosted.fake.count("merge") == 1


def test_a_forge_failing_three_times_then_answering_opens_one_pull_request(
        hosted: Hosted) -> None:
    hosted.fake.fail("create_pull", 502, times=3)
    replies = hosted.say("/canary svc-user 20%")
    assert [type(r) for r in replies] == [ChangeOpened]        # told once
    assert hosted.fake.count("create_pull") == 4
    assert len([p for p in hosted.app.workflow.context.forge.pulls()]) == 1


def test_a_forge_that_stays_down_leaves_nothing_half_done(hosted: Hosted) -> None:
    hosted.fake.fail("create_pull", 503, times=5)  # every attempt of one command
    [answer] = hosted.say("/canary svc-user 20%")
    assert not getattr(answer, "ok", True) and "not answering" in answer.text
    assert hosted.app.store.changes("open") == []
    assert "change/1-svc-user" not in hosted.origin.branches("change/")
    [opened] = hosted.say("/canary svc-user 20%")               # the service is free again
    assert isinstance(opened, ChangeOpened)


def test_a_merge_the_forge_refuses_keeps_the_change_open_and_says_why(
        hosted: Hosted) -> None:
    hosted.say("/canary svc-user 20%")
    hosted.fake.fail("merge", 405, times=3)
    replies = hosted.say("/approve 1", user="bob")
    text = " ".join(r.text for r in replies)
    assert "could not be merged" in text and hosted.app.workflow.context.forge.name in text
    assert hosted.app.store.get(1).state == "open"
    hosted.app.workflow.sweep()                                   # the next sweep merges
    assert hosted.app.store.get(1).state == "merged"


def test_hook_json_is_dropped_when_unsigned(hosted: Hosted) -> None:
    body = json.dumps({"zen": "x"}).encode()
    assert hosted.deliver({"Content-Type": "application/json"}, body) == 401


def test_a_hand_written_change_to_access_yaml_needs_two_approvals_from_sre(
        hosted: Hosted) -> None:
    text = hosted.origin.read(MAIN, "access.yaml")
    assert text is not None
    edited = text.replace("  team: [alice]", "  team: [alice, dave]")
    assert edited != text
    hosted.fake.push("hand/team", {"access.yaml": edited}, author="alice")
    number = hosted.fake.open_pull("alice", "hand/team", "dave joins the team")
    hosted.app.workflow.poll()
    head = hosted.fake.pull(number)["head"]
    [status] = [s for s in hosted.fake.statuses_of(head) if s["context"] == "govbot/guard"][-1:]
    assert status["state"] == "pending" and "2 approvals" in status["description"], status
    hosted.fake.review(number, "bob", "approved")
    hosted.hook("review", number)
    assert hosted.fake.pull(number)["state"] == "open"           # one of two
    hosted.fake.review(number, "carol", "approved")
    hosted.hook("review", number)
    assert hosted.fake.pull(number)["state"] == "merged"
    assert hosted.origin.read(MAIN, "access.yaml") == edited


def test_with_merge_forge_the_status_is_the_gate_and_people_merge(hosted: Hosted) -> None:
    config = hosted.origin.read(MAIN, "govbot.yaml")
    assert config is not None and "merge: govbot" in config
    hosted.origin.set_ref(MAIN, hosted.origin.commit(
        hosted.origin.head(MAIN), {"govbot.yaml": config.replace("merge: govbot",
                                                                 "merge: forge")},
        GOVBOT, "people merge on the forge"))
    path = "services/dev/demo/svc-order.yaml"
    text = hosted.origin.read(MAIN, path)
    assert text is not None
    hosted.fake.push("hand/order", {path: text + "  release:\n    strategy: canary\n"
                                           "    canaryWeight: 5\n"}, author="alice")
    number = hosted.fake.open_pull("alice", "hand/order", "svc-order canary 5%")
    import time
    time.sleep(2.1)  # govbot fetches main at most every 2 s
    hosted.fake.review(number, "bob", "approved")
    hosted.app.workflow.poll()
    head = hosted.fake.pull(number)["head"]
    [status] = [s for s in hosted.fake.statuses_of(head) if s["context"] == "govbot/guard"][-1:]
    assert status["state"] == "success"
    assert hosted.fake.pull(number)["state"] == "open"            # left to people
    assert "People merge it on the forge" in hosted.fake.comments_of(number)[0]


def test_a_review_by_someone_who_may_not_approve_is_ignored_not_a_deny(
        hosted: Hosted) -> None:
    hosted.say("/canary svc-user 20%", user="dave")
    number = hosted.number("change/1-svc-user")
    hosted.fake.review(number, "alice", "approved")     # team: may request, not approve
    hosted.fake.review(number, "dave", "approved")      # the requester's own
    hosted.hook("review", number)
    assert hosted.fake.pull(number)["state"] == "open"
    status = [s for s in hosted.fake.statuses_of(hosted.fake.pull(number)["head"])
              if s["context"] == "govbot/guard"][-1]
    assert status["state"] == "pending", status                   # not a failure
    hosted.fake.review(number, "bob", "approved")
    hosted.hook("review", number)
    assert hosted.fake.pull(number)["state"] == "merged"
    message = hosted.origin.message(hosted.origin.head(MAIN))
    assert "Approved-by: bob" in message and "Approved-by: alice" not in message


def test_a_review_on_the_forge_rewrites_the_description_and_status(hosted: Hosted) -> None:
    replies = hosted.app.workflow.handle(Command("console", "alice", "console",
                                                 "/canary svc-user 10% --env prod"))
    assert isinstance(replies[0], ChangeOpened), replies
    number = hosted.number("change/1-svc-user")
    assert "Approvals (0/2)" in hosted.fake.pull(number)["body"]
    hosted.fake.review(number, "bob", "approved")
    hosted.hook("review", number)
    pull = hosted.fake.pull(number)
    assert pull["state"] == "open" and "Approvals (1/2): bob" in pull["body"]
    status = [s for s in hosted.fake.statuses_of(pull["head"])
              if s["context"] == "govbot/guard"][-1]
    assert status["state"] == "pending"
    if hosted.fake.kind != "gitlab":  # GitLab never moves a pending status to pending
        assert "1 approval" in status["description"]


def test_a_comment_naming_another_change_approves_nothing(hosted: Hosted) -> None:
    hosted.say("/canary svc-user 20%")
    hosted.say("/canary svc-pay 20%")
    number = hosted.number("change/1-svc-user")
    hosted.fake.add_comment(number, "bob", "/approve 2")
    hosted.app.workflow.poll()
    assert hosted.app.store.get(2).state == "open"
    assert hosted.app.store.get(1).state == "open"
    assert "this pull request is change #1" in hosted.fake.comments_of(number)[-1]
    hosted.fake.add_comment(number, "bob", "Looks good to me.\n/approve")
    hosted.app.workflow.poll()
    assert hosted.app.store.get(1).state == "merged"


def test_a_comment_the_forge_could_not_take_is_run_at_the_next_poll(hosted: Hosted) -> None:
    hosted.say("/canary svc-user 20%")
    number = hosted.number("change/1-svc-user")
    comment = hosted.fake.add_comment(number, "bob", "/approve")
    hosted.fake.fail("get_pull", 502, times=6)
    headers, body = hosted.fake.webhook("comment", number, secret=SECRET, comment_id=comment)
    assert hosted.deliver(headers, body) in (200, 202)
    assert hosted.app.store.get(1).state == "open"
    hosted.app.workflow.poll()
    assert hosted.app.store.get(1).state == "merged"


def test_a_pull_request_closed_or_merged_by_a_person_closes_its_change(
        hosted: Hosted) -> None:
    forge = hosted.app.workflow.context.forge
    hosted.say("/canary svc-user 20%")
    hosted.say("/canary svc-pay 20%")
    forge.close_pull(hosted.number("change/1-svc-user"))
    pay = forge.pull(hosted.number("change/2-svc-pay"))
    assert pay is not None
    forge.merge_pull(pay, "Merged by hand\n\nby a person")
    hosted.app.workflow.poll()
    assert hosted.app.store.get(1).state == "rejected"
    assert hosted.app.store.get(2).state == "merged"
    [opened] = hosted.say("/canary svc-user 30%")                 # the service is free
    assert isinstance(opened, ChangeOpened)


def test_a_hand_written_pull_request_rejected_in_a_comment_is_closed(hosted: Hosted) -> None:
    text = hosted.origin.read(MAIN, "access.yaml")
    assert text is not None
    hosted.fake.push("hand/team", {"access.yaml": text.replace(
        "  team: [alice]", "  team: [alice, dave]")}, author="alice")
    number = hosted.fake.open_pull("alice", "hand/team", "dave joins the team")
    hosted.fake.review(number, "bob", "approved")
    hosted.fake.add_comment(number, "carol", "/reject too broad")
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "closed"
    hosted.fake.review(number, "dave", "approved")
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "closed"
    assert hosted.origin.read(MAIN, "access.yaml") == text


def test_a_hand_written_pull_request_that_breaks_the_guardrails_never_merges(
        hosted: Hosted) -> None:
    hosted.fake.push("hand/broken", {"access.yaml": "people: [\n"}, author="alice")
    number = hosted.fake.open_pull("alice", "hand/broken", "tidy access.yaml")
    hosted.fake.review(number, "bob", "approved")
    hosted.fake.review(number, "carol", "approved")
    hosted.app.workflow.poll()
    head = hosted.fake.pull(number)["head"]
    status = [s for s in hosted.fake.statuses_of(head) if s["context"] == "govbot/guard"][-1]
    assert status["state"] == "failure" and "[governance.invalid]" in status["description"]
    assert hosted.fake.pull(number)["state"] == "open"
    assert "[governance.invalid]" in hosted.fake.comments_of(number)[0]


def test_an_approve_comment_by_someone_who_may_not_approve_is_refused_and_recorded_nowhere(
        hosted: Hosted) -> None:
    path = "services/dev/demo/svc-pay.yaml"
    text = hosted.origin.read(MAIN, path)
    assert text is not None
    hosted.fake.push("hand/pay", {path: text + "  release:\n    strategy: canary\n"
                                         "    canaryWeight: 10\n"}, author="bob")
    number = hosted.fake.open_pull("bob", "hand/pay", "svc-pay canary 10%")
    hosted.fake.add_comment(number, "alice", "/approve")        # alice may not approve
    hosted.app.workflow.poll()
    assert any(c.startswith("@alice") and "refused" in c
               for c in hosted.fake.comments_of(number))
    status = [s for s in hosted.fake.statuses_of(hosted.fake.pull(number)["head"])
              if s["context"] == "govbot/guard"][-1]
    assert status["state"] == "pending", status
    hosted.fake.add_comment(number, "carol", "/approve")
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "merged"


def test_a_stale_branch_of_an_attempt_that_failed_does_not_block_the_next(
        hosted: Hosted) -> None:
    hosted.fake.fail("list_pulls", 503, times=10)  # opening, then withdrawing, fail
    [answer] = hosted.say("/canary svc-user 20%")
    assert "not answering" in answer.text
    assert "change/1-svc-user" not in hosted.origin.branches("change/")
    # a branch an attempt left behind when even deleting it failed: change ids of
    # attempts that failed are used again, so the next #1 replaces it
    hosted.fake.push("change/1-svc-user", {"stale.txt": "x\n"}, author="govbot")
    [opened] = hosted.say("/canary svc-user 20%")
    assert isinstance(opened, ChangeOpened), opened
    assert hosted.origin.read("change/1-svc-user", "stale.txt") is None


def test_a_wrong_token_stops_start_up(hosted: Hosted, tmp_path: Path) -> None:
    from bot.core.errors import ConfigError
    settings = Settings.from_env({
        "GOVBOT_HOME": str(tmp_path / "other"), "GOVBOT_FORGE": hosted.fake.kind,
        "GOVBOT_REPO_URL": str(hosted.origin.path), "GOVBOT_FORGE_URL": hosted.fake.url,
        "GOVBOT_FORGE_TOKEN": "wrong-token-4711", "GOVBOT_FORGE_REPO": hosted.fake.repo})
    with pytest.raises(ConfigError, match="GOVBOT_FORGE_TOKEN") as error:
        build(settings)
    assert "wrong-token-4711" not in str(error.value)
