# A canary may gain at most canaryMaxStep points per change (environments.<env>.limits,
# default 100), so a bad build reaches few users. Moving traffic back towards the stable
# version (abort, rollback) is never limited: it must stay possible in an incident.
package govbot.rules.release

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.config

# The canary weight of a ServicePolicy; an absent document or field is 0.
weight(doc) := object.get(doc, ["spec", "release", "canaryWeight"], 0) if is_object(doc)

else := 0

before := weight(change.before)

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

warn := set()

valid_weight(w) if {
	is_number(w)
	w >= 0
	w <= 100
}
