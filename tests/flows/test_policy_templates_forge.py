"""Policy templates written by hand in a pull request on a hosted forge: judged as their
own class of file (templates.approvals), and never merged when `govbot check` refuses
them."""

from __future__ import annotations

from bot.repo.git import MAIN
from tests.flows.test_forge_story import Hosted, hosted  # noqa: F401  (the fixture)

TEMPLATE = """\
apiVersion: govbot.dev/v1
kind: PolicyTemplate
metadata:
  name: slow-upstream
spec:
  timeout: 10s
"""


def test_a_hand_written_template_merges_on_one_approval(hosted: Hosted) -> None:  # noqa: F811
    hosted.fake.push("hand/template", {"templates/slow-upstream.yaml": TEMPLATE},
                     author="alice")
    number = hosted.fake.open_pull("alice", "hand/template", "a template for slow upstreams")
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "open"
    hosted.fake.add_comment(number, "bob", "/approve")  # the guardrails would need two
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "merged"
    assert hosted.origin.read(MAIN, "templates/slow-upstream.yaml") == TEMPLATE


def test_a_hand_written_broken_template_never_merges(hosted: Hosted) -> None:  # noqa: F811
    broken = TEMPLATE.replace("  timeout: 10s\n", "  versions:\n    stable: v1\n")
    hosted.fake.push("hand/broken", {"templates/slow-upstream.yaml": broken}, author="alice")
    number = hosted.fake.open_pull("alice", "hand/broken", "a template")
    hosted.fake.add_comment(number, "bob", "/approve")
    hosted.fake.add_comment(number, "carol", "/approve")
    hosted.app.workflow.poll()
    assert hosted.fake.pull(number)["state"] == "open"
    said = "\n".join(hosted.fake.comments_of(number))
    assert "[governance.invalid]" in said and "spec.versions" in said
    assert hosted.origin.read(MAIN, "templates/slow-upstream.yaml") is None
