package govbot.rules.expiry_test

import rego.v1

import data.govbot.fixtures
import data.govbot.rules.expiry

# now in the fixtures is 2026-11-27T10:00:00Z.
ended := "2026-11-27T09:59:59Z"

running := "2026-11-27T10:00:01Z"

fault(ends) := {"enabled": true, "abort": {"httpStatus": 503, "percent": 10}, "expires": ends}

route(user, ends) := object.union(
	{"match": {"headers": {"user": {"exact": user}}}, "to": "v2"},
	{"expires": ends | ends != null},
)

# govbot reverts svc-user in dev/demo from the spec `before` to the spec `after`.
revert(before, after) := fixtures.requested_by(
	fixtures.change("expire", "dev", fixtures.service(before), fixtures.service(after)),
	"govbot",
)

passes(doc) if {
	some msg in expiry.automatic with input as doc
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
	startswith(msg, "[expiry.revert]")
}

access_with_govbot := object.union(fixtures.access, {"people": {"govbot": {"name": "Someone"}}})

test_an_ended_fault_removed_by_govbot_passes if {
	passes(revert({"fault": fault(ended), "timeout": "3s"}, {"timeout": "3s"}))
}

test_the_decision_needs_no_approval_and_allows if {
	d := fixtures.decision(revert({"fault": fault(ended)}, {}))
	d.allow
	d.approvals_required == 0
}

test_a_fault_that_has_not_ended_gets_no_pass if {
	not passes(revert({"fault": fault(running)}, {}))
	d := fixtures.decision(revert({"fault": fault(running)}, {}))
	d.approvals_required > 0
}

test_a_fault_turned_off_instead_of_removed_gets_no_pass if {
	not passes(revert({"fault": fault(ended)}, {"fault": object.union(fault(ended), {"enabled": false})}))
}

test_one_more_change_slipped_in_gets_no_pass if {
	not passes(revert({"fault": fault(ended), "timeout": "3s"}, {"timeout": "10s"}))
}

test_a_change_outside_spec_gets_no_pass if {
	doc := revert({"fault": fault(ended)}, {})
	moved := object.union(doc, {"after": object.union(doc.after, {"metadata": {"name": "x"}})})
	not passes(moved)
}

test_a_person_gets_no_pass if {
	doc := revert({"fault": fault(ended)}, {})
	not passes(fixtures.requested_by(doc, "alice"))
	not passes(object.union(doc, {"actor": {"id": "bob", "groups": ["sre"]}}))
}

test_another_action_gets_no_pass if {
	doc := revert({"fault": fault(ended)}, {})
	not passes(object.union(doc, {"action": "fault"}))
}

test_a_person_named_govbot_in_access_gets_no_pass if {
	doc := revert({"fault": fault(ended)}, {})
	count({msg |
		some msg in expiry.automatic with input as doc
			with data.govbot.config as fixtures.config
			with data.govbot.access as access_with_govbot
	}) == 0
}

test_without_a_clock_nothing_has_ended if {
	doc := object.union(revert({"fault": fault(ended)}, {}), {"now": "soon"})
	not passes(doc)
}

test_an_ended_rate_limit_going_back_to_the_earlier_one_passes if {
	timed := {"enabled": true, "requests": 10, "per": "1s", "expires": ended}
	passes(revert({"rateLimit": timed}, {"rateLimit": {"enabled": true, "requests": 100, "per": "1s"}}))
	passes(revert({"rateLimit": timed}, {}))
}

test_a_rate_limit_that_has_not_ended_gets_no_pass if {
	timed := {"enabled": true, "requests": 10, "per": "1s", "expires": running}
	not passes(revert({"rateLimit": timed}, {}))
}

test_an_ended_canary_weight_going_back_passes if {
	before := {"release": {"strategy": "canary", "canaryWeight": 30, "expires": ended}}
	passes(revert(before, {"release": {"strategy": "canary", "canaryWeight": 0}}))
}

test_a_canary_revert_that_keeps_the_expiry_or_changes_the_strategy_gets_no_pass if {
	before := {"release": {"strategy": "canary", "canaryWeight": 30, "expires": ended}}
	not passes(revert(before, {"release": {"strategy": "canary", "canaryWeight": 0, "expires": ended}}))
	not passes(revert(before, {"release": {"strategy": "blueGreen", "canaryWeight": 0}}))
}

test_ended_routes_removed_keeping_the_others_passes if {
	before := [route("a", null), route("b", ended), route("c", running)]
	passes(revert({"routes": before}, {"routes": [route("a", null), route("c", running)]}))
	passes(revert({"routes": [route("b", ended)]}, {}))
}

test_removing_a_route_that_has_not_ended_gets_no_pass if {
	before := [route("a", null), route("b", ended), route("c", running)]
	not passes(revert({"routes": before}, {"routes": [route("a", null)]}))
}

test_reordering_routes_gets_no_pass if {
	before := [route("a", null), route("b", ended), route("c", null)]
	not passes(revert({"routes": before}, {"routes": [route("c", null), route("a", null)]}))
}

test_a_route_slipped_in_gets_no_pass if {
	before := [route("b", ended)]
	not passes(revert({"routes": before}, {"routes": [route("d", null)]}))
}
