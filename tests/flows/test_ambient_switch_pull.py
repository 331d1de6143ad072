"""A pull request written by hand that puts prod/demo in ambient mode while one of its
services holds a rate limit: judged with the facts of `input.mesh`, failed with
`[mesh.unsupported]` naming the service and the section, and never merged."""

from __future__ import annotations

import yaml

from bot.repo.git import MAIN
from tests.flows.test_forge_story import GOVBOT, PROD_USER, Hosted, hosted  # noqa: F401  (the fixture)


def _limited(bot: Hosted) -> None:
    """svc-user in prod/demo holds a rate limit on main, as a merged change left it."""
    data = yaml.safe_load(bot.origin.read(MAIN, PROD_USER) or "")
    data["spec"]["rateLimit"] = {"enabled": True, "requests": 500, "per": "5s"}
    bot.origin.set_ref(MAIN, bot.origin.commit(
        bot.origin.head(MAIN), {PROD_USER: yaml.safe_dump(data, sort_keys=False)},
        GOVBOT, "svc-user: a rate limit"))


def test_a_hand_written_switch_to_ambient_under_a_rate_limit_is_failed(
        hosted: Hosted) -> None:  # noqa: F811
    _limited(hosted)
    config = yaml.safe_load(hosted.origin.read(MAIN, "govbot.yaml") or "")
    config["environments"]["prod"]["namespaces"]["demo"]["mesh"] = "ambient"
    edited = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    hosted.fake.push("hand/ambient", {"govbot.yaml": edited}, author="bob")
    number = hosted.fake.open_pull("bob", "hand/ambient", "prod/demo to ambient")
    hosted.app.workflow.poll()

    head = hosted.fake.pull(number)["head"]
    [status] = [s for s in hosted.fake.statuses_of(head) if s["context"] == "govbot/guard"][-1:]
    assert status["state"] == "failure" and "[mesh.unsupported]" in status["description"]
    [said] = hosted.fake.comments_of(number)
    assert "[mesh.unsupported] prod/demo" in said and "svc-user holds rateLimit" in said, said

    for reviewer in ("carol", "dave"):
        hosted.fake.review(number, reviewer, "approved")
        hosted.hook("review", number)
    assert hosted.fake.pull(number)["state"] == "open"
    assert "mesh: ambient" not in (hosted.origin.read(MAIN, "govbot.yaml") or "")
