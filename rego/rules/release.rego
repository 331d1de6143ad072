# Every change that moves traffic between versions is judged by the step limit: a version
# other than the stable one may gain at most canaryMaxStep points per change
# (environments.<env>.limits, default 100), so a bad build reaches few users. A canary
# step, a promote (allowed only from 100 - canaryMaxStep up) and a new canary version
# (which starts from 0%) count alike (govbot.lib.risk says how much a change moves).
# A blue-green switch moves everything at once: beyond the step limit it needs the
# environment's opt-in `limits.blueGreenSwitch: allow` (default deny). Moving traffic
# back towards the stable version (abort, rollback) is never limited: it must stay
# possible in an incident.
# Traffic goes only to versions the service declares: the blue-green `active` version
# and every route's `to` must be values of `versions` (a subset that does not exist
# makes Envoy answer 503 to everything routed there).
package govbot.rules.release

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.config
import data.govbot.lib.risk

# The canary weight of a ServicePolicy; an absent document or field is 0.
weight(doc) := object.get(doc, ["spec", "release", "canaryWeight"], 0) if is_object(doc)

else := 0

after := weight(change.after)

max_step := config.limit(change.env, "canaryMaxStep", 100)

switch_allowed if config.setting(change.env, "blueGreenSwitch") == "allow"

deny contains msg if {
	not risk.blue_green(change.after)
	risk.moved > max_step
	msg := sprintf("[release.max_step] %s: the change moves %v points of traffic to %s; the limit in %s is %v per change, so go in steps (a promote needs the canary at %v%% or more first)",
		[change.target, risk.moved, mover, change.env, max_step, 100 - max_step])
}

deny contains msg if {
	risk.blue_green(change.after)
	risk.moved > max_step
	not switch_allowed
	msg := sprintf("[release.bluegreen_switch] %s: a blue-green switch moves %v points of traffic to %s at once; %s allows %v per change and has no limits.blueGreenSwitch: allow in govbot.yaml. Go in steps with /canary, or ask for the opt-in by a change to govbot.yaml",
		[change.target, risk.moved, mover, change.env, max_step])
}

# A progressive canary (spec.release.progressive: step, every, until, gate) steps by
# changes of govbot's own. Its step, like any change, stays within canaryMaxStep: a plan
# whose step is larger is refused when it is asked for, not at its first step.
plan(doc) := object.get(doc, ["spec", "release", "progressive"], null) if is_object(doc)

else := null

before_plan := plan(change.before)

after_plan := plan(change.after)

deny contains msg if {
	is_object(after_plan)
	after_plan != before_plan
	step := object.get(after_plan, "step", 0)
	is_number(step)
	step > max_step
	msg := sprintf("[release.max_step] %s: the progressive canary steps %v points every %v; the limit in %s is %v per change, so plan steps of %v or fewer",
		[change.target, step, object.get(after_plan, "every", "?"), change.env, max_step, max_step])
}

# govbot's next step of a plan someone asked for and had approved merges without another
# approval: only canaryWeight changes, by the plan's step (capped at until), the plan and
# every other field stay. Whether the plan is paused, and whether its gate holds, is for
# govbot to know (Rego sees documents, not metrics); this rule only bounds what it may do.
automatic contains msg if {
	govbot_canary
	is_number(before_plan.step)
	is_number(before_plan.until)
	weight(change.before) < before_plan.until
	after == min({weight(change.before) + before_plan.step, before_plan.until})
	after_plan == before_plan
	only_weight_changed
	msg := sprintf("[release.progressive_step] %s: govbot's step of its progressive canary, %v%% → %v%% (+%v every %v until %v%%)",
		[change.target, weight(change.before), after, before_plan.step, object.get(before_plan, "every", "?"), before_plan.until])
}

# A failing gate's abort: the weight to 0 and the plan removed, nothing else.
automatic contains msg if {
	govbot_canary
	after == 0
	weight(change.before) > 0
	after_plan == null
	json.remove(change.after, ["spec/release/canaryWeight"]) == json.remove(change.before, ["spec/release/canaryWeight", "spec/release/progressive"])
	msg := sprintf("[release.progressive_abort] %s: govbot's abort of its progressive canary, %v%% → 0%%",
		[change.target, weight(change.before)])
}

govbot_canary if {
	change.requester == "govbot"
	change.action == "canary"
	is_object(change.after)
	is_object(before_plan)
}

only_weight_changed if {
	json.remove(change.after, ["spec/release/canaryWeight"]) == json.remove(change.before, ["spec/release/canaryWeight"])
}

# The version that gains the most.
mover := sort(movers)[0]

movers contains v if {
	some v, share in risk.after_shares
	v != risk.stable_before
	share - object.get(risk.before_shares, v, 0) == risk.moved
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
