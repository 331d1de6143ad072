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
