"""/sync stamps the document's metadata with the time it was asked for, and nothing else;
a controller the cluster shows is refused like one the document names."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import UserError
from policies import document, kinds
from policies.edit import apply
from policies.edits import owners, sync
from policies.intents import Canary, RateLimit, Route, Sync, from_json, resolve, to_json

NOW = datetime(2026, 11, 27, 10, 0, 30, 999_000, tzinfo=UTC)
PATH = "services/prod/demo/svc-user.yaml"
COMMENTED = """\
# svc-user's policy
apiVersion: govbot.dev/v1
kind: ServicePolicy
metadata:
  name: svc-user   # the service
  namespace: demo
  env: prod
spec:
  port: 8080
  selector:
    app: svc-user
  versions:
    stable: v1
    canary: v2
  timeout: 3s      # agreed with the callers
"""


def test_resolve_fixes_the_stamp_once_in_utc_seconds() -> None:
    resolved = resolve(Sync("svc-user"), NOW)
    assert resolved.requested_at == "2026-11-27T10:00:30Z"
    assert resolve(resolved, NOW + timedelta(hours=1)) == resolved
    assert from_json(to_json(resolved)) == resolved


def test_the_stamp_is_an_annotation_and_the_rest_of_the_text_stays() -> None:
    edit = apply(resolve(Sync("svc-user"), NOW), COMMENTED, "prod", "demo")
    assert edit.summary == "sync svc-user: apply main again (stamp 2026-11-27T10:00:30Z)"
    assert edit.after_text is not None
    data = document.plain(edit.after_text, PATH)
    assert data["metadata"]["annotations"] == {"govbot.dev/sync": "2026-11-27T10:00:30Z"}
    assert data["spec"] == document.plain(COMMENTED)["spec"]
    assert document.validate(data, PATH) == []
    assert "# the service" in edit.after_text and "# agreed with the callers" in edit.after_text
    added = [line for line in edit.after_text.splitlines() if line not in COMMENTED.splitlines()]
    assert added == ["  annotations:", "    govbot.dev/sync: '2026-11-27T10:00:30Z'"]


def test_a_second_sync_replaces_the_stamp_and_keeps_other_annotations() -> None:
    text = COMMENTED.replace("  env: prod\n", "  env: prod\n  annotations:\n"
                             "    owner: payments\n    govbot.dev/sync: '2026-01-01T00:00:00Z'\n")
    edit = apply(resolve(Sync("svc-user"), NOW), text, "prod", "demo")
    assert edit.after_text is not None
    assert document.plain(edit.after_text)["metadata"]["annotations"] == {
        "owner": "payments", "govbot.dev/sync": "2026-11-27T10:00:30Z"}


def test_an_unresolved_sync_is_a_bug_not_a_guess() -> None:
    with pytest.raises(ValueError):
        apply(Sync("svc-user"), COMMENTED, "prod", "demo")


def test_annotations_that_are_not_texts_are_an_invalid_document() -> None:
    data = document.plain(COMMENTED)
    data["metadata"]["annotations"] = {"govbot.dev/sync": 5}
    assert any(p.startswith("metadata.annotations:") for p in document.validate(data, PATH))


def test_sync_is_a_kind_that_edits_the_whole_document_and_no_controller_owns() -> None:
    assert kinds.of(Sync("svc-user")) is kinds.SYNC
    assert kinds.SYNC.whole_document and not kinds.SYNC.owned_by
    assert kinds.SYNC.renders == () and kinds.SYNC.status is None
    flagger = COMMENTED.replace("  timeout: 3s", "  managedBy: flagger\n  timeout: 3s")
    assert apply(resolve(Sync("svc-user"), NOW), flagger, "prod", "demo").after_text


def test_the_sync_edit_examples_hold() -> None:
    result = doctest.testmod(sync, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
    result = doctest.testmod(owners, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_live_flagger_refuses_what_flagger_owns_with_what_to_do() -> None:
    route = Route("svc-user", "header", "user", "w_shenyu", version="v2")
    with pytest.raises(UserError) as raised:
        apply(route, COMMENTED, "prod", "demo", live_owner="flagger")
    text = str(raised.value)
    assert "a Flagger Canary in the cluster targets it" in text
    assert "Edit the Flagger Canary resource of svc-user" in text
    assert "spec.managedBy: flagger" in text  # record it in the document too
    assert apply(RateLimit("svc-user", "set", 10, "1s"), COMMENTED, "prod", "demo",
                 live_owner="flagger").after_text


def test_a_live_argo_rollout_refuses_only_the_weights() -> None:
    with pytest.raises(UserError) as raised:
        apply(Canary("svc-user", "set", 20), COMMENTED, "prod", "demo",
              live_owner="argo-rollouts")
    assert "an Argo Rollout in the cluster steers it" in str(raised.value)
    route = Route("svc-user", "header", "user", "w_shenyu", version="v2")
    assert apply(route, COMMENTED, "prod", "demo", live_owner="argo-rollouts").after_text


def test_the_document_still_decides_when_the_cluster_shows_no_controller() -> None:
    flagger = COMMENTED.replace("  timeout: 3s", "  managedBy: flagger\n  timeout: 3s")
    with pytest.raises(UserError) as raised:
        apply(Canary("svc-user", "set", 20), flagger, "prod", "demo", live_owner=None)
    assert "(spec.managedBy: flagger)" in str(raised.value)
