package govbot.rules.timebox_test

import rego.v1

import data.govbot.fixtures
import data.govbot.rules.timebox

# now in the fixtures is 2026-11-27T10:00:00Z.
ended := "2026-11-27T09:59:59Z"

running := "2026-11-27T10:00:01Z"

limit(ends) := {"requestsPerUnit": 100, "unit": "1s", "expires": ends}

route(user, ends) := {"match": {"headers": {"user": {"exact": user}}}, "to": "v2", "expires": ends}

asked(before, after) := fixtures.change("ratelimit", "dev", fixtures.service(before), fixtures.service(after))

denied(doc) if {
	some msg in timebox.deny with input as doc
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
	startswith(msg, "[timebox.ended]")
}

test_a_limit_whose_time_box_ended_before_approval_is_denied if {
	denied(asked({}, {"rateLimit": limit(ended)}))
}

test_the_denial_says_when_it_ended if {
	some msg in timebox.deny with input as asked({}, {"rateLimit": limit(ended)})
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
	contains(msg, "ended at 2026-11-27 09:59:59 UTC")
}

test_a_time_box_still_running_passes if {
	not denied(asked({}, {"rateLimit": limit(running)}))
}

test_an_ended_fault_and_canary_weight_are_denied if {
	denied(asked({}, {"fault": {"enabled": true, "abort": {"httpStatus": 503, "percent": 10}, "expires": ended}}))
	denied(asked({}, {"release": {"strategy": "canary", "canaryWeight": 20, "expires": ended}}))
}

test_an_ended_route_set_again_is_denied if {
	denied(asked({"routes": [route("a", running)]}, {"routes": [route("a", running), route("b", ended)]}))
}

test_a_change_that_leaves_an_ended_part_alone_passes if {
	not denied(asked({"rateLimit": limit(ended), "timeout": "3s"}, {"rateLimit": limit(ended), "timeout": "5s"}))
	not denied(asked({"routes": [route("a", ended)]}, {"routes": [route("a", ended), route("b", running)]}))
}

test_govbots_revert_of_an_ended_time_box_passes if {
	doc := fixtures.requested_by(
		fixtures.change("expire", "dev", fixtures.service({"rateLimit": limit(ended)}), fixtures.service({})),
		"govbot",
	)
	not denied(doc)
}

test_a_rollback_that_brings_back_an_ended_part_is_denied if {
	denied(fixtures.change("rollback", "dev", fixtures.service({}), fixtures.service({"rateLimit": limit(ended)})))
}
