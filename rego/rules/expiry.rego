# The end of a time box (`for <d>` on /fault, /ratelimit, /route, /canary): govbot opens
# and merges the revert itself, without an approval, and only that revert. It passes
# when govbot asks (access.yaml names no person govbot: access.reserved_person), under
# the action `expire`, and every difference between before and after ends a part whose
# `expires` in before has passed by now:
#   fault      the section is gone
#   rateLimit  the time-boxed limit is gone: back to the limit before it, or none (which
#              limit was there before is history the input does not hold; the other
#              rules judge the limit it goes back to as any limit)
#   release    only the canary weight changes and `expires` goes
#   routes     only expired entries go; the others stay, in their order
# Anything else under that action (a part not ended yet, one more change slipped in,
# someone else asking) gets no pass and waits for approvals like any change.
package govbot.rules.expiry

import rego.v1

import data.govbot.lib.access
import data.govbot.lib.change
import data.govbot.lib.clock
import data.govbot.lib.risk

automatic contains msg if {
	change.requester == "govbot"
	not access.known("govbot")
	change.action == "expire"
	is_object(change.before)
	is_object(change.after)
	object.remove(change.before, ["spec"]) == object.remove(change.after, ["spec"])
	count(risk.changed) > 0
	every name in risk.changed {
		ended(name)
	}
	msg := sprintf("[expiry.revert] %s: %s ended by %s, reverted by govbot",
		[change.target, concat(", ", sort(risk.changed)), change.now])
}

deny := set()

warn := set()

past(expires) if clock.instant_ns(expires) <= clock.instant_ns(change.now)

expires_of(part) := object.get(part, "expires", null) if is_object(part)

else := null

ended("fault") if {
	past(expires_of(change.spec_value(change.before, "fault")))
	change.spec_value(change.after, "fault") == null
}

ended("rateLimit") if {
	ends := expires_of(change.spec_value(change.before, "rateLimit"))
	past(ends)
	expires_of(change.spec_value(change.after, "rateLimit")) != ends
}

ended("release") if {
	before := change.section(change.before, "release")
	after := change.section(change.after, "release")
	past(expires_of(before))
	not "expires" in object.keys(after)
	object.remove(before, ["canaryWeight", "expires"]) == object.remove(after, ["canaryWeight"])
	weight := object.get(after, "canaryWeight", 0)
	is_number(weight)
	weight >= 0
	weight <= 100
}

ended("routes") if {
	before := routes(change.before)
	after := routes(change.after)
	count(after) < count(before)
	every route in after {
		route in before
	}
	[r | some r in before; not past(expires_of(r))] == [r | some r in after; not past(expires_of(r))]
}

routes(doc) := value if {
	value := change.spec_value(doc, "routes")
	is_array(value)
} else := []
