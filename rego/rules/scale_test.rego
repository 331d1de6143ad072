package govbot.rules.scale_test

import rego.v1

import data.govbot.fixtures

scaled(enabled, low, high) := fixtures.service({"autoscale": {"enabled": enabled, "min": low, "max": high, "cpuPercent": 70}})

scale(env, before, after) := fixtures.change("scale", env, before, after)

test_bounds_within_the_namespace_are_allowed if {
	count(fixtures.deny_ids("scale", scale("prod", null, scaled(true, 2, 10)))) == 0
	count(fixtures.deny_ids("scale", scale("prod", null, scaled(true, 20, 20)))) == 0
}

test_max_above_the_namespace_limit_is_denied if {
	"[scale.bounds]" in fixtures.deny_ids("scale", scale("prod", null, scaled(true, 2, 21)))
}

test_min_above_max_is_denied if {
	"[scale.bounds]" in fixtures.deny_ids("scale", scale("dev", null, scaled(true, 5, 3)))
}

test_min_below_one_is_denied if {
	"[scale.bounds]" in fixtures.deny_ids("scale", scale("dev", null, scaled(true, 0, 3)))
}

test_counts_must_be_whole_numbers if {
	"[scale.bounds]" in fixtures.deny_ids("scale", scale("dev", null, scaled(true, 1.5, 3)))
	"[scale.bounds]" in fixtures.deny_ids("scale", scale("dev", null, scaled(true, "2", 3)))
	"[scale.bounds]" in fixtures.deny_ids("scale", scale("dev", null, fixtures.service({"autoscale": {"enabled": true, "min": 2}})))
}

test_the_ceiling_comes_from_the_namespace if {
	"[scale.bounds]" in fixtures.deny_ids("scale", scale("strict", null, scaled(true, 1, 5)))
	count(fixtures.deny_ids("scale", scale("strict", null, scaled(true, 1, 4)))) == 0
}

test_unknown_namespace_gets_the_default_ceiling if {
	doc := fixtures.in_namespace(scale("prod", null, scaled(true, 1, 20)), "shop")
	count(fixtures.deny_ids("scale", doc)) == 0
	over := fixtures.in_namespace(scale("prod", null, scaled(true, 1, 21)), "shop")
	"[scale.bounds]" in fixtures.deny_ids("scale", over)
}

test_turning_autoscale_off_is_allowed if {
	count(fixtures.deny_ids("scale", scale("prod", scaled(true, 2, 50), scaled(false, 2, 50)))) == 0
}

test_unchanged_autoscale_is_not_judged_again if {
	old := scaled(true, 2, 50)
	doc := fixtures.change("canary", "prod", old, object.union(old, {"spec": {"release": {"canaryWeight": 5}}}))
	count(fixtures.deny_ids("scale", doc)) == 0
}

test_rollback_beyond_the_ceiling_is_denied if {
	doc := fixtures.change("rollback", "prod", scaled(true, 2, 10), scaled(true, 2, 40))
	"[scale.bounds]" in fixtures.deny_ids("scale", doc)
}
