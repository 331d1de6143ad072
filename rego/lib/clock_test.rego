package govbot.lib.clock_test

import rego.v1

import data.govbot.lib.clock

test_durations_in_nanoseconds if {
	clock.duration_ns("1ms") == 1000000
	clock.duration_ns("1h30m") == 5400000000000
	clock.duration_ns("1.5s") == 1500000000
	clock.duration_ns("250us") == clock.duration_ns("250µs")
}

test_text_that_is_no_duration_is_undefined if {
	not clock.duration_ns("soon")
	not clock.duration_ns("5")
	not clock.duration_ns("-1s")
	not clock.duration_ns(5)
	not clock.duration_ns(null)
}

test_huge_durations_do_not_stop_the_evaluation if {
	clock.duration_ns("99999999999999999999h") > clock.duration_ns("60s")
}

test_instants_in_nanoseconds if {
	clock.instant_ns("2026-11-27T10:30:00Z") - clock.instant_ns("2026-11-27T10:00:00Z") == 1800000000000
	clock.instant_ns("2026-11-27T18:00:00+08:00") == clock.instant_ns("2026-11-27T10:00:00Z")
	clock.instant_ns("2028-02-29T00:00:00Z")
	clock.instant_ns("2000-02-29T00:00:00.5Z")
}

test_text_that_is_no_instant_is_undefined if {
	not clock.instant_ns("2026-02-29T00:00:00Z")
	not clock.instant_ns("1900-02-29T00:00:00Z")
	not clock.instant_ns("2026-04-31T00:00:00Z")
	not clock.instant_ns("2026-13-01T00:00:00Z")
	not clock.instant_ns("3026-01-01T00:00:00Z")
	not clock.instant_ns("2026-11-27 10:00:00")
	not clock.instant_ns(1764237600)
}
