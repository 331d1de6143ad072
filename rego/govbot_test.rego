package govbot_test

import rego.v1

import data.govbot.fixtures

test_clean_change_is_allowed if {
	d := fixtures.decision(fixtures.canary("dev", 0, 20))
	d.allow == true
	d.deny == []
	d.approvals_required == 1
	d.approvals_valid == 0
}

test_denies_of_every_concern_are_collected if {
	doc := fixtures.approved_by(fixtures.requested_by(fixtures.canary("prod", 0, 90), "mallory"), ["mallory"])
	d := fixtures.decision(doc)
	d.allow == false
	ids := {fixtures.rule_id(msg) | some msg in d.deny}
	ids == {"[authorization.unknown_person]", "[release.max_step]", "[review.self_approval]"}
}

test_warnings_do_not_deny if {
	doc := fixtures.change("ratelimit", "dev", null, fixtures.limited(true, 500, "5s"))
	d := fixtures.decision(doc)
	d.allow == true
	count(d.warn) == 1
}

test_every_message_starts_with_a_rule_id if {
	doc := fixtures.approved_by(fixtures.change("ratelimit", "prod", fixtures.policy(0), {"spec": {
		"release": {"canaryWeight": 130},
		"rateLimit": {"enabled": true, "requests": 0, "per": "1ms"},
	}}), ["alice", "erin"])
	d := fixtures.decision(doc)
	count(d.deny) >= 5
	every msg in array.concat(d.deny, d.warn) {
		regex.match(`^\[[a-z_]+\.[a-z_]+\] `, msg)
	}
}

test_prod_change_is_mergeable_with_two_sre_approvals if {
	d := fixtures.decision(fixtures.approved_by(fixtures.canary("prod", 0, 20), ["bob", "carol"]))
	d.allow == true
	d.approvals_valid >= d.approvals_required
}
