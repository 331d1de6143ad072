"""What a progressive canary refuses at the command, before anything is written, and
what a person's own canary commands do to a plan."""

from __future__ import annotations

import yaml

from tests.conftest import Govbot


def test_a_plan_stepping_beyond_the_environments_limit_is_denied(govbot: Govbot) -> None:
    main = govbot.main()
    reply = govbot.one("/canary svc-user 10% step 30 every 15m until 90% --env prod")
    assert not reply.ok and "[release.max_step]" in reply.text, reply.text
    assert govbot.main() == main and govbot.branches() == ["main"]
    assert govbot.one("/canary svc-user 10% step 25 every 15m until 90% --env prod").ok


def test_a_time_boxed_weight_writes_its_end(govbot: Govbot) -> None:
    opened = govbot.one("/canary svc-user 20% for 30m")
    assert opened.ok and "until 2026-11-27T10:30:00Z" in opened.text, opened.text
    assert govbot.one(f"/approve {opened.change_id}", user="bob").ok
    doc = yaml.safe_load(govbot.git("show", "main:services/dev/demo/svc-user.yaml"))
    assert doc["spec"]["release"]["expires"] == "2026-11-27T10:30:00Z"


def test_a_persons_abort_ends_the_plan_through_review(govbot: Govbot) -> None:
    started = govbot.one("/canary svc-user 10% step 10 every 15m until 50%")
    assert govbot.one(f"/approve {started.change_id}", user="bob").ok
    aborted = govbot.one("/canary svc-user abort")
    assert aborted.ok and "progressive plan ended" in aborted.text, aborted.text
    assert govbot.one(f"/approve {aborted.change_id}", user="bob").ok
    doc = yaml.safe_load(govbot.git("show", "main:services/dev/demo/svc-user.yaml"))
    assert doc["spec"]["release"] == {"strategy": "canary", "canaryWeight": 0}
    assert govbot.app.workflow.progress() == []
    assert govbot.app.store.plans.get("dev", "demo", "svc-user") is None
