# A canary may gain at most canaryMaxStep points per change (environments.<env>.limits,
# default 100), so a bad build reaches few users. Moving traffic back towards the stable
# version (abort, rollback) is never limited: it must stay possible in an incident.
# Traffic goes only to versions the service declares: the blue-green `active` version
# and every route's `to` must be values of `versions` (a subset that does not exist
# makes Envoy answer 503 to everything routed there).
package govbot.rules.release

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.config

# The canary weight of a ServicePolicy; an absent document or field is 0.
weight(doc) := object.get(doc, ["spec", "release", "canaryWeight"], 0) if is_object(doc)

else := 0

# A canary that changes version starts from 0%: the new build has had no traffic yet.
before := 0 if {
	canary_version(change.before) != canary_version(change.after)
} else := weight(change.before)

canary_version(doc) := object.get(doc, ["spec", "versions", "canary"], "") if is_object(doc)

else := ""

after := weight(change.after)

max_step := config.limit(change.env, "canaryMaxStep", 100)

deny contains msg if {
	is_number(before)
	is_number(after)
	step := after - before
	step > max_step
	msg := sprintf("[release.max_step] %s: canary moves %v points (%v%% to %v%%); the limit in %s is %v",
		[change.target, step, before, after, change.env, max_step])
}

deny contains msg if {
	not valid_weight(after)
	msg := sprintf("[release.weight_range] %s: canary weight %v is not a number from 0 to 100",
		[change.target, after])
}

# The versions a service declares (the values of spec.versions).
versions contains version if {
	some version in change.section(change.after, "versions")
}

version_touched if change.touches({"release", "routes", "versions"})

active := object.get(change.section(change.after, "release"), "active", null)

deny contains msg if {
	version_touched
	active != null
	not active in versions
	msg := sprintf("[release.unknown_version] %s: blue-green target %v is not one of the service's versions %v",
		[change.target, active, sort(versions)])
}

routes := value if {
	value := change.spec_value(change.after, "routes")
	is_array(value)
} else := []

deny contains msg if {
	version_touched
	some i, route in routes
	target := route_target(route)
	not target in versions
	msg := sprintf("[release.unknown_version] %s: route %d goes to %v, which is not one of the service's versions %v",
		[change.target, i + 1, target, sort(versions)])
}

route_target(route) := object.get(route, "to", null) if is_object(route)

else := null

warn := set()

valid_weight(w) if {
	is_number(w)
	w >= 0
	w <= 100
}
