package govbot.rules.traffic_test

import rego.v1

import data.govbot.fixtures

ratelimit(env, enabled, requests, per) := fixtures.change(
	"ratelimit", env, null,
	fixtures.limited(enabled, requests, per),
)

test_valid_limit_only_warns_per_pod if {
	doc := ratelimit("dev", true, 500, "5s")
	count(fixtures.deny_ids("traffic", doc)) == 0
	fixtures.warn_ids("traffic", doc) == {"[traffic.ratelimit_per_pod]"}
}

test_short_window_is_denied if {
	"[traffic.ratelimit_window]" in fixtures.deny_ids("traffic", ratelimit("dev", true, 10, "10ms"))
}

test_window_at_the_minimum_is_allowed if {
	count(fixtures.deny_ids("traffic", ratelimit("dev", true, 10, "50ms"))) == 0
}

test_window_that_is_no_duration_is_denied if {
	"[traffic.ratelimit_window]" in fixtures.deny_ids("traffic", ratelimit("dev", true, 10, "soon"))
}

test_missing_window_is_denied if {
	doc := fixtures.change("ratelimit", "dev", null, {"spec": {"rateLimit": {"enabled": true, "requests": 5}}})
	"[traffic.ratelimit_window]" in fixtures.deny_ids("traffic", doc)
}

test_too_many_requests_are_denied if {
	"[traffic.ratelimit_requests]" in fixtures.deny_ids("traffic", ratelimit("dev", true, 2000000, "1s"))
}

test_zero_requests_are_denied if {
	"[traffic.ratelimit_requests]" in fixtures.deny_ids("traffic", ratelimit("dev", true, 0, "1s"))
}

test_disabled_limit_is_not_judged if {
	doc := ratelimit("dev", false, 0, "1ms")
	count(fixtures.deny_ids("traffic", doc)) == 0
	count(fixtures.warn_ids("traffic", doc)) == 0
}

test_limits_come_from_config if {
	ids := fixtures.deny_ids("traffic", ratelimit("strict", true, 500, "500ms"))
	ids == {"[traffic.ratelimit_window]", "[traffic.ratelimit_requests]"}
}

test_defaults_apply_without_settings if {
	"[traffic.ratelimit_window]" in fixtures.deny_ids("traffic", ratelimit("stage", true, 10, "10ms"))
	"[traffic.ratelimit_requests]" in fixtures.deny_ids("traffic", ratelimit("stage", true, 2000000, "1s"))
}

test_deleted_document_is_not_judged if {
	doc := fixtures.change("ratelimit", "dev", fixtures.limited(true, 0, "1ms"), null)
	count(fixtures.deny_ids("traffic", doc)) == 0
}

test_empty_rate_limit_section_is_not_judged if {
	doc := fixtures.change("ratelimit", "dev", null, {"spec": {"rateLimit": null}})
	count(fixtures.deny_ids("traffic", doc)) == 0
	count(fixtures.warn_ids("traffic", doc)) == 0
}

test_an_unchanged_limit_is_not_judged_again if {
	limited := fixtures.limited(true, 10, "10ms")
	doc := fixtures.change("canary", "dev", limited, limited)
	count(fixtures.deny_ids("traffic", doc)) == 0
}
