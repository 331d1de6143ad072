# A time box that has already ended (`for <d>` on /fault, /ratelimit, /route, /canary):
# the command writes `expires` as its end, counted from when it was given, so a change
# approved or merged after that end would be applied and reverted a second later. A
# change that sets an `expires` (a new one, or a new value) that is not after now is
# denied; it stays open and is rejected and asked for again with a new `for`. The same
# holds for a /rollback that would bring back a part whose time box has ended.
#
# Untouched: a change that leaves an ended part as it was (its `expires` unchanged), and
# govbot's revert of an ended time box (govbot.rules.expiry), which removes such parts.
package govbot.rules.timebox

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.clock
import data.govbot.rules.expiry

deny contains msg if {
	count(expiry.automatic) == 0
	some part, ends in ended_set
	msg := sprintf(
		"[timebox.ended] %s: the time box of %s ended at %s before it was approved; ask again with a new `for`",
		[change.target, part, wall(ends)],
	)
}

warn := set()

# part name -> the `expires` the change sets to a time that has passed.
# Only a part the change alters can set a new `expires`.
ended_set[part] := ends if {
	some part in {"fault", "rateLimit", "release"} & change.changed
	ends := expires_of(change.spec_value(change.after, part))
	ends != expires_of(change.spec_value(change.before, part))
	past(ends)
}

ended_set[sprintf("the route to %v", [route.to])] := ends if {
	change.touches({"routes"})
	some route in routes(change.after)
	ends := expires_of(route)
	not ends in {expires_of(r) | some r in routes(change.before)}
	past(ends)
}

past(ends) if {
	is_string(ends)
	clock.instant_ns(ends) <= clock.instant_ns(change.now)
}

wall(ends) := sprintf("%s UTC", [time.format([clock.instant_ns(ends), "UTC", "2006-01-02 15:04:05"])])

expires_of(part) := object.get(part, "expires", null) if is_object(part)

else := null

routes(doc) := value if {
	value := change.spec_value(doc, "routes")
	is_array(value)
} else := []
