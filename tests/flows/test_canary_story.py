"""The loop end to end: chat text → guard → pull request → approval → merge → manifests."""

from __future__ import annotations

import yaml

from tests.conftest import Govbot
from tests.support.schemas import require_schemas, validate_object


def _load(path) -> dict:  # type: ignore[no-untyped-def]
    return yaml.safe_load(path.read_text())


def test_canary_is_opened_approved_merged_and_rendered(govbot: Govbot) -> None:
    opened = govbot.one("/canary svc-user 20%")
    assert opened.ok and opened.change_id == 1
    assert "change #1 opened" in opened.text and "dev/demo" in opened.text
    assert "not by alice" in opened.text
    assert govbot.branches() == ["change/1-svc-user", "main"]

    merged = govbot.one("/approve 1", user="bob")
    assert merged.ok, merged.text
    assert "approved by bob" in merged.text and "merged" in merged.text
    assert "VirtualService svc-user (v1 80 / v2 20)" in merged.text

    vs = _load(govbot.rendered() / "virtualservice-svc-user.yaml")
    weights = {d["destination"]["subset"]: d["weight"] for d in vs["spec"]["http"][-1]["route"]}
    assert weights == {"v1": 80, "v2": 20}
    assert (govbot.rendered() / "destinationrule-svc-user.yaml").is_file()
    require_schemas()
    for path in govbot.rendered().glob("*.yaml"):
        assert validate_object(_load(path)) == [], path

    assert govbot.branches() == ["main"]
    message = govbot.git("log", "-1", "--format=%B", "main")
    assert "Govbot-Change: 1" in message
    assert "Requested-by: alice" in message
    assert "Approved-by: bob" in message
    parents = govbot.git("log", "-1", "--format=%P", "main").split()
    assert len(parents) == 2
    assert govbot.git("log", "-1", "--format=%an <%ae>", parents[1]).strip() == \
        "Alice Wang <alice@example.com>"
    doc = yaml.safe_load(govbot.git("show", "main:services/dev/demo/svc-user.yaml"))
    assert doc["spec"]["release"]["canaryWeight"] == 20


def test_out_of_range_weight_is_a_usage_message_and_writes_nothing(govbot: Govbot) -> None:
    main = govbot.main()
    reply = govbot.one("/canary svc-user 120%")
    assert not reply.ok
    assert "0-100" in reply.text or "0–100" in reply.text
    assert "usage:" in reply.text and "example:" in reply.text
    assert govbot.main() == main and govbot.branches() == ["main"]
    assert govbot.one("/canary svc-user 20%").change_id == 1  # no id was spent


def test_requester_cannot_approve_own_change(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    main = govbot.main()
    reply = govbot.one("/approve 1", user="alice")
    assert not reply.ok and "[review.self_approval]" in reply.text
    assert govbot.main() == main
    assert govbot.app.store.get(1).state == "open"
    assert govbot.app.store.approvals(1, govbot.app.store.get(1).content_hash) == []


def test_prod_step_limit_denies_before_anything_is_written(govbot: Govbot) -> None:
    main = govbot.main()
    reply = govbot.one("/canary svc-user 90% --env prod")
    assert not reply.ok and "[release.max_step]" in reply.text
    assert govbot.main() == main and govbot.branches() == ["main"]
    assert govbot.one("/canary svc-user 20% --env prod").change_id == 1


def test_unknown_person_is_refused(govbot: Govbot) -> None:
    main = govbot.main()
    reply = govbot.one("/canary svc-user 20%", user="eve")
    assert not reply.ok and "access.yaml" in reply.text
    assert govbot.main() == main and govbot.branches() == ["main"]
    assert govbot.app.store.changes(None) == []


def test_second_change_to_the_same_service_names_the_open_one(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    reply = govbot.one("/canary svc-user 30%", user="bob")
    assert not reply.ok and "#1" in reply.text and "alice" in reply.text
    assert govbot.branches() == ["change/1-svc-user", "main"]
    assert govbot.one("/canary svc-order 30%", user="bob").change_id == 2


def test_reject_releases_the_service_and_deletes_the_branch(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    main = govbot.main()
    reply = govbot.one("/reject 1 not during the sale", user="bob")
    assert reply.ok and "rejected" in reply.text
    assert govbot.branches() == ["main"] and govbot.main() == main
    assert govbot.app.store.get(1).state == "rejected"
    assert govbot.one("/canary svc-user 30%").change_id == 2


def test_prod_needs_two_approvals_from_sre(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20% --env prod")
    first = govbot.one("/approve 1", user="bob")
    assert first.ok and "Still needs 1" in first.text
    assert govbot.app.store.get(1).state == "open"
    second = govbot.one("/approve #1", user="carol")
    assert second.ok and "merged" in second.text
    message = govbot.git("log", "-1", "--format=%B", "main")
    assert "Approved-by: bob" in message and "Approved-by: carol" in message
    assert (govbot.rendered("prod") / "virtualservice-svc-user.yaml").is_file()


def test_double_approval_counts_once(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20% --env prod")
    govbot.one("/approve 1", user="bob")
    again = govbot.one("/approve 1", user="bob")
    assert "already approved" in again.text
    assert govbot.app.store.get(1).state == "open"


def test_rate_limit_with_header_renders_a_descriptor(govbot: Govbot) -> None:
    opened = govbot.one("/ratelimit svc-user 500/5s header user=w_shenyu")
    assert opened.ok, opened.text
    merged = govbot.one("/approve 1", user="bob")
    assert merged.ok and "merged" in merged.text
    envoy_filter = _load(govbot.rendered() / "envoyfilter-svc-user-local-ratelimit.yaml")
    text = yaml.safe_dump(envoy_filter)
    assert "w_shenyu" in text
    patches = envoy_filter["spec"]["configPatches"]
    buckets = [d["token_bucket"]
               for p in patches
               for d in (p["patch"]["value"].get("typed_per_filter_config", {})
                         .get("envoy.filters.http.local_ratelimit", {})
                         .get("value", {}).get("descriptors", []))]
    assert buckets == [{"max_tokens": 500, "tokens_per_fill": 500, "fill_interval": "5s"}]
    require_schemas()
    assert validate_object(envoy_filter) == []


def test_rate_limit_off_removes_the_filter_and_keeps_the_settings(govbot: Govbot) -> None:
    govbot.one("/ratelimit svc-user 500/5s")
    govbot.one("/approve 1", user="bob")
    assert (govbot.rendered() / "envoyfilter-svc-user-local-ratelimit.yaml").is_file()
    govbot.one("/ratelimit svc-user off")
    reply = govbot.one("/approve 2", user="bob")
    assert reply.ok, reply.text
    assert not (govbot.rendered() / "envoyfilter-svc-user-local-ratelimit.yaml").exists()
    doc = yaml.safe_load(govbot.git("show", "main:services/dev/demo/svc-user.yaml"))
    assert doc["spec"]["rateLimit"]["enabled"] is False
    assert doc["spec"]["rateLimit"]["requests"] == 500
