package govbot.rules.release_test

import rego.v1

import data.govbot.fixtures

test_large_jump_is_denied if {
	"[release.max_step]" in fixtures.deny_ids("release", fixtures.canary("prod", 0, 90))
}

test_step_at_the_limit_is_allowed if {
	count(fixtures.deny_ids("release", fixtures.canary("prod", 10, 35))) == 0
}

test_moving_back_is_never_limited if {
	count(fixtures.deny_ids("release", fixtures.canary("prod", 60, 0))) == 0
}

test_dev_limit_allows_full_switch if {
	count(fixtures.deny_ids("release", fixtures.canary("dev", 0, 100))) == 0
}

test_env_without_limits_uses_default if {
	count(fixtures.deny_ids("release", fixtures.canary("stage", 0, 100))) == 0
}

test_created_document_starts_at_zero if {
	doc := fixtures.change("canary", "prod", null, fixtures.policy(30))
	"[release.max_step]" in fixtures.deny_ids("release", doc)
}

test_absent_weight_is_zero if {
	doc := fixtures.change("canary", "prod", fixtures.policy(null), fixtures.policy(20))
	count(fixtures.deny_ids("release", doc)) == 0
}

test_message_names_target_step_and_limit if {
	some msg in data.govbot.rules.release.deny with input as fixtures.canary("prod", 0, 90)
		with data.govbot.config as fixtures.config
	startswith(msg, "[release.max_step]")
	contains(msg, "svc-user")
	contains(msg, "90")
	contains(msg, "25")
}

test_weight_above_100_is_denied if {
	"[release.weight_range]" in fixtures.deny_ids("release", fixtures.canary("dev", 0, 120))
}

test_negative_weight_is_denied if {
	"[release.weight_range]" in fixtures.deny_ids("release", fixtures.canary("dev", 0, -5))
}

test_weight_as_text_is_denied if {
	"[release.weight_range]" in fixtures.deny_ids("release", fixtures.canary("dev", 0, "20"))
}

test_other_actions_are_judged_by_weight_too if {
	doc := fixtures.change("rollback", "prod", fixtures.policy(0), fixtures.policy(80))
	"[release.max_step]" in fixtures.deny_ids("release", doc)
}

blue_green(active) := fixtures.service({"release": {"strategy": "blueGreen", "active": active}})

routed(to) := fixtures.service({"routes": [
	{"match": {"headers": {"user": {"exact": "w_shenyu"}}}, "to": "v2"},
	{"match": {"cookie": {"name": "user", "value": "w_shenyu"}}, "to": to},
]})

test_blue_green_to_a_declared_version_is_allowed if {
	doc := fixtures.change("bluegreen", "dev", blue_green("v1"), blue_green("v2"))
	count(fixtures.deny_ids("release", doc)) == 0
}

test_blue_green_to_an_unknown_version_is_denied if {
	doc := fixtures.change("bluegreen", "prod", blue_green("v1"), blue_green("v3"))
	"[release.unknown_version]" in fixtures.deny_ids("release", doc)
}

test_blue_green_target_must_be_a_version_value_not_a_key if {
	doc := fixtures.change("bluegreen", "prod", blue_green("v1"), blue_green("canary"))
	"[release.unknown_version]" in fixtures.deny_ids("release", doc)
}

test_route_to_an_unknown_version_is_denied if {
	doc := fixtures.change("route", "dev", fixtures.service({}), routed("v9"))
	"[release.unknown_version]" in fixtures.deny_ids("release", doc)
	count(fixtures.deny_ids("release", fixtures.change("route", "dev", fixtures.service({}), routed("v1")))) == 0
}

test_route_without_a_target_is_denied if {
	doc := fixtures.change("route", "dev", null, fixtures.service({"routes": [{"match": {}}]}))
	"[release.unknown_version]" in fixtures.deny_ids("release", doc)
}

test_dropping_a_version_that_traffic_still_uses_is_denied if {
	before := routed("v1")
	after := json.patch(before, [{"op": "replace", "path": "/spec/versions", "value": {"stable": "v2", "canary": "v3"}}])
	"[release.unknown_version]" in fixtures.deny_ids("release", fixtures.change("edit", "dev", before, after))
}

test_untouched_routes_are_not_judged_again if {
	old := routed("v9")
	doc := fixtures.change("ratelimit", "dev", old, object.union(old, {"spec": {"rateLimit": {"enabled": false}}}))
	count(fixtures.deny_ids("release", doc)) == 0
}

test_rollback_to_an_unknown_version_is_denied if {
	doc := fixtures.change("rollback", "prod", blue_green("v2"), blue_green("v7"))
	"[release.unknown_version]" in fixtures.deny_ids("release", doc)
}

test_a_new_canary_version_counts_from_zero if {
	before := object.union(fixtures.policy(50), {"spec": {"versions": {"stable": "v1", "canary": "v2"}}})
	after := object.union(fixtures.policy(50), {"spec": {"versions": {"stable": "v1", "canary": "v9"}}})
	same := fixtures.change("canary", "prod", before, object.union(before, {"spec": {"release": {"canaryWeight": 60}}}))
	count(fixtures.deny_ids("release", same)) == 0
	"[release.max_step]" in fixtures.deny_ids("release", fixtures.change("canary", "prod", before, after))
}

v12 := {"stable": "v1", "canary": "v2"}

canary_of(weight, versions) := json.patch(
	fixtures.service({"release": {"strategy": "canary", "canaryWeight": weight}}),
	[{"op": "replace", "path": "/spec/versions", "value": versions}],
)

test_promote_from_below_the_step_is_denied if {
	doc := fixtures.change("canary", "prod", canary_of(20, v12), canary_of(0, {"stable": "v2"}))
	"[release.max_step]" in fixtures.deny_ids("release", doc)
}

test_promote_from_the_last_step_is_allowed if {
	doc := fixtures.change("canary", "prod", canary_of(75, v12), canary_of(0, {"stable": "v2"}))
	count(fixtures.deny_ids("release", doc)) == 0
}

test_promote_in_dev_is_allowed if {
	doc := fixtures.change("canary", "dev", canary_of(5, v12), canary_of(0, {"stable": "v2"}))
	count(fixtures.deny_ids("release", doc)) == 0
}

test_blue_green_switch_in_prod_needs_the_opt_in if {
	doc := fixtures.change("bluegreen", "prod", blue_green("v1"), blue_green("v2"))
	fixtures.deny_ids("release", doc) == {"[release.bluegreen_switch]"}
	from_canary := fixtures.change("bluegreen", "prod", canary_of(50, v12), blue_green("v2"))
	fixtures.deny_ids("release", from_canary) == {"[release.bluegreen_switch]"}
}

test_blue_green_switch_with_the_opt_in_is_allowed if {
	doc := fixtures.change("bluegreen", "prod", blue_green("v1"), blue_green("v2"))
	cfg := json.patch(fixtures.config, [{"op": "add", "path": "/environments/prod/limits/blueGreenSwitch", "value": "allow"}])
	denied := {fixtures.rule_id(msg) | some msg in data.govbot.rules.release.deny with input as doc with data.govbot.config as cfg}
	count(denied) == 0
}

test_blue_green_back_to_stable_is_never_limited if {
	doc := fixtures.change("bluegreen", "prod", blue_green("v2"), blue_green("v1"))
	count(fixtures.deny_ids("release", doc)) == 0
	from_canary := fixtures.change("bluegreen", "prod", canary_of(50, v12), blue_green("v1"))
	count(fixtures.deny_ids("release", from_canary)) == 0
}

test_a_small_blue_green_move_is_a_step if {
	doc := fixtures.change("bluegreen", "prod", canary_of(80, v12), blue_green("v2"))
	count(fixtures.deny_ids("release", doc)) == 0
}

# -- progressive canaries ----------------------------------------------------------------

planned(weight, plan) := fixtures.service({"release": {"strategy": "canary", "canaryWeight": weight, "progressive": plan}})

plan_10_to_50 := {"step": 10, "every": "15m", "until": 50, "gate": {"successRate": 99.5}}

by_govbot(before, after) := fixtures.requested_by(fixtures.change("canary", "prod", before, after), "govbot")

automatic_ids(doc) := {fixtures.rule_id(msg) |
	some msg in data.govbot.rules.release.automatic with input as doc
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
}

test_govbot_step_by_the_plan_is_automatic if {
	doc := by_govbot(planned(10, plan_10_to_50), planned(20, plan_10_to_50))
	"[release.progressive_step]" in automatic_ids(doc)
	fixtures.decision(doc).approvals_required == 0
}

test_last_step_is_capped_at_until if {
	plan := {"step": 20, "every": "15m", "until": 50}
	"[release.progressive_step]" in automatic_ids(by_govbot(planned(40, plan), planned(50, plan)))
	count(automatic_ids(by_govbot(planned(40, plan), planned(60, plan)))) == 0
}

test_step_bigger_than_the_plan_is_not_automatic if {
	doc := by_govbot(planned(10, plan_10_to_50), planned(30, plan_10_to_50))
	count(automatic_ids(doc)) == 0
	fixtures.decision(doc).approvals_required > 0
}

test_step_beyond_until_is_not_automatic if {
	plan := {"step": 10, "every": "15m", "until": 50}
	count(automatic_ids(by_govbot(planned(50, plan), planned(60, plan)))) == 0
}

test_changed_plan_is_not_automatic if {
	wider := object.union(plan_10_to_50, {"until": 100})
	count(automatic_ids(by_govbot(planned(10, plan_10_to_50), planned(20, wider)))) == 0
}

test_other_field_changed_is_not_automatic if {
	after := object.union(planned(20, plan_10_to_50), {"spec": {"timeout": "1s"}})
	count(automatic_ids(by_govbot(planned(10, plan_10_to_50), after))) == 0
}

test_person_taking_the_step_needs_approval if {
	doc := fixtures.change("canary", "prod", planned(10, plan_10_to_50), planned(20, plan_10_to_50))
	count(automatic_ids(doc)) == 0
	fixtures.decision(doc).approvals_required > 0
}

test_govbot_in_another_action_is_not_automatic if {
	doc := fixtures.requested_by(fixtures.change("rollback", "prod", planned(10, plan_10_to_50), planned(20, plan_10_to_50)), "govbot")
	count(automatic_ids(doc)) == 0
}

test_without_a_plan_govbot_steps_need_approval if {
	count(automatic_ids(by_govbot(fixtures.policy(10), fixtures.policy(20)))) == 0
}

unplanned(weight) := fixtures.service({"release": {"strategy": "canary", "canaryWeight": weight}})

test_govbot_abort_removing_the_plan_is_automatic if {
	doc := by_govbot(planned(30, plan_10_to_50), unplanned(0))
	"[release.progressive_abort]" in automatic_ids(doc)
	fixtures.decision(doc).approvals_required == 0
}

test_abort_keeping_the_plan_is_not_automatic if {
	count(automatic_ids(by_govbot(planned(30, plan_10_to_50), planned(0, plan_10_to_50)))) == 0
}

test_abort_changing_more_is_not_automatic if {
	after := object.union(unplanned(0), {"spec": {"versions": {"stable": "v2"}}})
	count(automatic_ids(by_govbot(planned(30, plan_10_to_50), after))) == 0
}

test_person_abort_needs_approval_as_before if {
	doc := fixtures.change("canary", "prod", planned(30, plan_10_to_50), unplanned(0))
	count(automatic_ids(doc)) == 0
}

test_plan_stepping_beyond_the_limit_is_denied if {
	plan := {"step": 30, "every": "15m", "until": 90}
	"[release.max_step]" in fixtures.deny_ids("release", fixtures.change("canary", "prod", unplanned(0), planned(10, plan)))
}

test_plan_within_the_limit_is_allowed if {
	count(fixtures.deny_ids("release", fixtures.change("canary", "prod", unplanned(0), planned(10, plan_10_to_50)))) == 0
}
