package govbot.rules.faults_test

import rego.v1

import data.govbot.fixtures

# now in the fixtures is 2026-11-27T10:00:00Z.
abort(percent, expires) := fixtures.faulty(true, {"httpStatus": 503, "percent": percent}, expires)

fault(env, before, after) := fixtures.change("fault", env, before, after)

test_prod_fault_without_time_box_is_denied if {
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", fault("prod", null, abort(10, null)))
}

test_prod_fault_for_30m_is_allowed if {
	count(fixtures.deny_ids("faults", fault("prod", null, abort(10, "2026-11-27T10:30:00Z")))) == 0
}

test_prod_fault_of_exactly_the_limit_is_allowed if {
	count(fixtures.deny_ids("faults", fault("prod", null, abort(10, "2026-11-27T11:00:00Z")))) == 0
}

test_prod_fault_longer_than_the_limit_is_denied if {
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", fault("prod", null, abort(10, "2026-11-27T11:00:01Z")))
}

test_expiry_in_another_zone_is_compared_as_an_instant if {
	# 18:30 at +08:00 is 10:30 UTC: within the hour.
	count(fixtures.deny_ids("faults", fault("prod", null, abort(10, "2026-11-27T18:30:00+08:00")))) == 0
}

test_expiry_that_is_no_time_is_denied if {
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", fault("prod", null, abort(10, "tomorrow")))
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", fault("prod", null, abort(10, "2026-02-30T10:00:00Z")))
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", fault("prod", null, abort(10, "3026-11-27T10:00:00Z")))
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", fault("prod", null, abort(10, 1800)))
}

test_missing_now_cannot_check_the_time_box if {
	doc := object.remove(fault("prod", null, abort(10, "2026-11-27T10:30:00Z")), {"now"})
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", doc)
}

test_dev_needs_no_time_box if {
	count(fixtures.deny_ids("faults", fault("dev", null, abort(10, null)))) == 0
}

test_time_box_limits_come_from_config if {
	# strict requires a time box of at most 10m.
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", fault("strict", null, abort(10, "2026-11-27T10:30:00Z")))
	count(fixtures.deny_ids("faults", fault("strict", null, abort(10, "2026-11-27T10:05:00Z")))) == 0
}

test_env_without_limits_needs_no_time_box if {
	count(fixtures.deny_ids("faults", fault("stage", null, abort(10, null)))) == 0
}

test_prod_abort_above_50_percent_is_denied if {
	"[faults.abort_percent]" in fixtures.deny_ids("faults", fault("prod", null, abort(60, "2026-11-27T10:30:00Z")))
}

test_prod_abort_at_50_percent_is_allowed if {
	count(fixtures.deny_ids("faults", fault("prod", null, abort(50, "2026-11-27T10:30:00Z")))) == 0
}

test_dev_abort_may_reach_100_percent_but_not_more if {
	count(fixtures.deny_ids("faults", fault("dev", null, abort(100, null)))) == 0
	"[faults.abort_percent]" in fixtures.deny_ids("faults", fault("dev", null, abort(101, null)))
	"[faults.abort_percent]" in fixtures.deny_ids("faults", fault("dev", null, abort(-1, null)))
	"[faults.abort_percent]" in fixtures.deny_ids("faults", fault("dev", null, abort("10%", null)))
}

test_delay_alone_needs_a_time_box_too if {
	delay := fixtures.faulty(true, null, null)
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", fault("prod", null, delay))
}

test_turning_a_fault_off_is_always_allowed if {
	running := abort(90, null)
	stopped := fixtures.faulty(false, {"httpStatus": 503, "percent": 90}, null)
	count(fixtures.deny_ids("faults", fault("prod", running, stopped))) == 0
}

test_a_fault_without_enabled_counts_as_on if {
	doc := fault("prod", null, {"spec": {"fault": {"abort": {"httpStatus": 503, "percent": 10}}}})
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", doc)
}

test_an_unchanged_fault_is_not_judged_again if {
	old := abort(90, null)
	doc := fixtures.change("canary", "prod", old, old)
	count(fixtures.deny_ids("faults", doc)) == 0
}

test_rollback_to_an_untimed_fault_is_denied if {
	doc := fixtures.change("rollback", "prod", fixtures.policy(0), abort(10, null))
	"[faults.prod_timebox]" in fixtures.deny_ids("faults", doc)
}

test_deleted_document_is_not_judged if {
	count(fixtures.deny_ids("faults", fault("prod", abort(90, null), null))) == 0
}
