package govbot.rules.authorization_test

import rego.v1

import data.govbot.fixtures

test_person_with_request_grant_is_allowed if {
	count(fixtures.deny_ids("authorization", fixtures.canary("prod", 0, 20))) == 0
}

test_unknown_person_is_refused if {
	doc := fixtures.requested_by(fixtures.canary("dev", 0, 20), "mallory")
	fixtures.deny_ids("authorization", doc) == {"[authorization.unknown_person]"}
}

test_missing_actor_is_refused if {
	doc := object.remove(fixtures.canary("dev", 0, 20), ["actor"])
	"[authorization.unknown_person]" in fixtures.deny_ids("authorization", doc)
}

test_group_named_by_the_actor_grants_nothing if {
	doc := object.union(fixtures.canary("dev", 0, 20), {"actor": {"id": "mallory", "groups": ["sre"]}})
	"[authorization.unknown_person]" in fixtures.deny_ids("authorization", doc)
}

test_other_namespace_needs_a_grant if {
	doc := fixtures.in_namespace(fixtures.canary("dev", 0, 20), "shop")
	"[authorization.no_grant]" in fixtures.deny_ids("authorization", doc)
}

test_other_env_needs_a_grant if {
	"[authorization.no_grant]" in fixtures.deny_ids("authorization", fixtures.canary("stage", 0, 20))
}

test_wildcard_namespace_matches_any if {
	doc := fixtures.requested_by(fixtures.in_namespace(fixtures.canary("dev", 0, 20), "shop"), "bob")
	count(fixtures.deny_ids("authorization", doc)) == 0
}

test_grant_to_one_person_with_wildcard_env if {
	doc := fixtures.requested_by(fixtures.in_namespace(fixtures.canary("stage", 0, 20), "shop"), "olga")
	count(fixtures.deny_ids("authorization", doc)) == 0
}

test_approve_grant_alone_cannot_request if {
	doc := fixtures.requested_by(fixtures.canary("dev", 0, 20), "erin")
	"[authorization.no_grant]" in fixtures.deny_ids("authorization", doc)
}

test_governance_change_needs_a_request_grant_somewhere if {
	doc := fixtures.at_path(fixtures.canary("dev", 0, 20), "rego/rules/release.rego")
	count(fixtures.deny_ids("authorization", doc)) == 0
	"[authorization.no_grant]" in fixtures.deny_ids("authorization", fixtures.requested_by(doc, "erin"))
}

ended_fault := {"enabled": true, "abort": {"httpStatus": 503, "percent": 10}, "expires": "2026-11-27T09:00:00Z"}

test_govbot_is_known_only_for_a_change_a_rule_names_as_its_own if {
	revert := fixtures.requested_by(
		fixtures.change("expire", "dev", fixtures.service({"fault": ended_fault}), fixtures.service({})),
		"govbot",
	)
	count(fixtures.deny_ids("authorization", revert)) == 0
	other := fixtures.requested_by(fixtures.canary("dev", 0, 10), "govbot")
	fixtures.deny_ids("authorization", other) == {"[authorization.unknown_person]"}
}

govbot_step(after_weight) := fixtures.requested_by(fixtures.change("canary", "prod",
	fixtures.service({"release": {"strategy": "canary", "canaryWeight": 10, "progressive": {"step": 10, "every": "15m", "until": 50}}}),
	fixtures.service({"release": {"strategy": "canary", "canaryWeight": after_weight, "progressive": {"step": 10, "every": "15m", "until": 50}}})), "govbot")

test_govbot_is_authorized_for_an_automatic_change if {
	count(fixtures.deny_ids("authorization", govbot_step(20))) == 0
}

test_govbot_is_unknown_for_any_other_change if {
	"[authorization.unknown_person]" in fixtures.deny_ids("authorization", govbot_step(40))
}
