package govbot.rules.resilience_test

import rego.v1

import data.govbot.fixtures

timed(timeout, retries) := fixtures.service({"timeout": timeout, "retries": retries}) if retries != null

else := fixtures.service({"timeout": timeout})

timeout(env, after) := fixtures.change("timeout", env, fixtures.service({}), after)

retries(attempts, per) := {"attempts": attempts, "perTryTimeout": per, "retryOn": "5xx,reset"}

test_timeout_in_range_is_allowed if {
	count(fixtures.deny_ids("resilience", timeout("prod", timed("3s", null)))) == 0
	count(fixtures.deny_ids("resilience", timeout("prod", timed("1ms", null)))) == 0
	count(fixtures.deny_ids("resilience", timeout("prod", timed("60s", null)))) == 0
	count(fixtures.deny_ids("resilience", timeout("prod", timed("1m", null)))) == 0
}

test_timeout_out_of_range_is_denied if {
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("prod", timed("61s", null)))
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("prod", timed("1h", null)))
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("prod", timed("500us", null)))
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("prod", timed("0s", null)))
}

test_timeout_that_is_no_duration_is_denied if {
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("dev", timed("fast", null)))
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("dev", timed(3, null)))
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("dev", timed("99999999999999999999h", null)))
}

test_timeout_range_comes_from_config if {
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("strict", timed("30s", null)))
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("strict", timed("50ms", null)))
	"[resilience.timeout_range]" in fixtures.deny_ids("resilience", timeout("stage", timed("61s", null)))
}

test_five_retries_are_allowed_six_are_not if {
	count(fixtures.deny_ids("resilience", timeout("prod", timed("10s", retries(5, "1s"))))) == 0
	"[resilience.retries_max]" in fixtures.deny_ids("resilience", timeout("prod", timed("10s", retries(6, "1s"))))
}

test_odd_retry_counts_are_denied if {
	"[resilience.retries_max]" in fixtures.deny_ids("resilience", timeout("dev", timed("10s", retries(-1, "1s"))))
	"[resilience.retries_max]" in fixtures.deny_ids("resilience", timeout("dev", timed("10s", retries(1.5, "1s"))))
	"[resilience.retries_max]" in fixtures.deny_ids("resilience", timeout("dev", timed("10s", retries("2", "1s"))))
	"[resilience.retries_max]" in fixtures.deny_ids("resilience", timeout("strict", timed("5s", retries(3, "1s"))))
}

test_retry_budget_over_the_timeout_is_denied_in_prod if {
	doc := timeout("prod", timed("3s", retries(5, "1s")))
	fixtures.deny_ids("resilience", doc) == {"[resilience.retry_budget]"}
}

test_retry_budget_over_the_timeout_only_warns_in_dev if {
	doc := timeout("dev", timed("3s", retries(5, "1s")))
	count(fixtures.deny_ids("resilience", doc)) == 0
	fixtures.warn_ids("resilience", doc) == {"[resilience.retry_budget]"}
}

test_retry_budget_that_fits_is_quiet if {
	doc := timeout("prod", timed("3s", retries(3, "1s")))
	count(fixtures.deny_ids("resilience", doc)) == 0
	count(fixtures.warn_ids("resilience", doc)) == 0
}

test_retry_budget_needs_both_durations if {
	no_per := timeout("prod", timed("3s", {"attempts": 5}))
	count(fixtures.deny_ids("resilience", no_per)) == 0
	no_timeout := timeout("prod", fixtures.service({"retries": retries(5, "1s")}))
	count(fixtures.deny_ids("resilience", no_timeout)) == 0
}

test_misspelt_retry_budget_setting_denies if {
	cfg := json.patch(fixtures.config, [{"op": "add", "path": "/environments/dev/limits/retryBudget", "value": "Deny"}])
	some msg in data.govbot.rules.resilience.deny with input as timeout("dev", timed("3s", retries(5, "1s")))
		with data.govbot.config as cfg
	startswith(msg, "[resilience.retry_budget]")
}

test_retry_budget_can_be_switched_off if {
	cfg := json.patch(fixtures.config, [{"op": "add", "path": "/environments/dev/limits/retryBudget", "value": "off"}])
	doc := timeout("dev", timed("3s", retries(5, "1s")))
	count(data.govbot.rules.resilience.warn) == 0 with input as doc with data.govbot.config as cfg
}

test_removing_timeout_and_retries_is_allowed if {
	doc := fixtures.change("timeout", "prod", timed("3s", retries(9, "1s")), fixtures.service({}))
	count(fixtures.deny_ids("resilience", doc)) == 0
}

test_unchanged_timeouts_are_not_judged_again if {
	old := timed("90s", retries(9, "1s"))
	doc := fixtures.change("canary", "prod", old, object.union(old, {"spec": {"release": {"canaryWeight": 10}}}))
	count(fixtures.deny_ids("resilience", doc)) == 0
	count(fixtures.warn_ids("resilience", doc)) == 0
}

test_rollback_to_a_broken_retry_budget_is_denied if {
	doc := fixtures.change("rollback", "prod", timed("3s", null), timed("3s", retries(5, "1s")))
	"[resilience.retry_budget]" in fixtures.deny_ids("resilience", doc)
}

breaker(enabled, ejection) := fixtures.service({"circuitBreaker": {
	"enabled": enabled, "consecutive5xxErrors": 5, "interval": "30s",
	"baseEjectionTime": "30s", "maxEjectionPercent": ejection,
}})

circuit(env, before, after) := fixtures.change("circuitbreak", env, before, after)

test_prod_ejection_above_50_percent_is_denied if {
	"[resilience.max_ejection]" in fixtures.deny_ids("resilience", circuit("prod", null, breaker(true, 60)))
}

test_prod_ejection_at_50_percent_is_allowed if {
	count(fixtures.deny_ids("resilience", circuit("prod", null, breaker(true, 50)))) == 0
}

test_dev_ejection_may_reach_100_percent if {
	count(fixtures.deny_ids("resilience", circuit("dev", null, breaker(true, 100)))) == 0
	"[resilience.max_ejection]" in fixtures.deny_ids("resilience", circuit("dev", null, breaker(true, 101)))
	"[resilience.max_ejection]" in fixtures.deny_ids("resilience", circuit("dev", null, breaker(true, "50%")))
}

test_ejection_limit_comes_from_config if {
	"[resilience.max_ejection]" in fixtures.deny_ids("resilience", circuit("strict", null, breaker(true, 30)))
}

test_breaker_without_max_ejection_is_allowed if {
	doc := circuit("prod", null, fixtures.service({"circuitBreaker": {"enabled": true, "consecutive5xxErrors": 5}}))
	count(fixtures.deny_ids("resilience", doc)) == 0
}

test_turning_a_breaker_off_is_allowed if {
	count(fixtures.deny_ids("resilience", circuit("prod", breaker(true, 90), breaker(false, 90)))) == 0
}

test_turning_a_breaker_back_on_is_judged if {
	"[resilience.max_ejection]" in fixtures.deny_ids("resilience", circuit("prod", breaker(false, 90), breaker(true, 90)))
}

test_rollback_to_a_wide_ejection_is_denied if {
	doc := fixtures.change("rollback", "prod", breaker(true, 50), breaker(true, 90))
	"[resilience.max_ejection]" in fixtures.deny_ids("resilience", doc)
}

fault_on := {"enabled": true, "abort": {"httpStatus": 503, "percent": 10}}

test_a_fault_beside_a_timeout_warns_that_istio_ignores_the_timeout if {
	before := fixtures.service({"timeout": "3s"})
	after := fixtures.service({"timeout": "3s", "fault": fault_on})
	doc := fixtures.change("fault", "dev", before, after)
	"[resilience.fault_suspends_retries]" in fixtures.warn_ids("resilience", doc)
	count(fixtures.deny_ids("resilience", doc)) == 0
}

test_a_fault_alone_or_turned_off_does_not_warn if {
	alone := fixtures.change("fault", "dev", fixtures.service({}), fixtures.service({"fault": fault_on}))
	not "[resilience.fault_suspends_retries]" in fixtures.warn_ids("resilience", alone)
	off := object.union(fault_on, {"enabled": false})
	turned_off := fixtures.change("fault", "dev",
		fixtures.service({"timeout": "3s", "fault": fault_on}),
		fixtures.service({"timeout": "3s", "fault": off}))
	not "[resilience.fault_suspends_retries]" in fixtures.warn_ids("resilience", turned_off)
}
