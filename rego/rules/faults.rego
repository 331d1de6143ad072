# Fault injection: where an environment requires a time box (faultRequireTimebox, prod)
# an injected fault carries `expires` no more than faultMaxDuration (default 1h) after
# now, so a forgotten experiment cannot break production for good; an abort hits at most
# faultMaxAbortPercent (default 100, prod 50) of the requests. Only a fault the change
# sets or alters is judged, and turning a fault off, or one of its parts, is always
# allowed.
package govbot.rules.faults

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.clock
import data.govbot.lib.config
import data.govbot.lib.risk

# Judged only for a change of the fault: every rule below needs one (`judged`).
# For any other change `deny` is empty without evaluating them; tests/guard/
# test_relevance.py holds `deny` to `denials` over a corpus of changes of every kind.
default relevant := false

relevant if change.touches({"fault"})

default deny := set()

deny := denials if relevant

fault := change.section(change.after, "fault")

judged if {
	change.on(fault)
	change.touches({"fault"})
	not risk.lowered("fault")
}

timebox_required if config.setting(change.env, "faultRequireTimebox") == true

max_duration := config.setting(change.env, "faultMaxDuration")

expires := object.get(fault, "expires", null)

denials contains msg if {
	judged
	timebox_required
	expires == null
	msg := sprintf("[faults.prod_timebox] %s: a fault in %s must be time-boxed; add `for <duration>` of at most %v, e.g. `for 30m`",
		[change.target, change.env, max_duration])
}

denials contains msg if {
	judged
	timebox_required
	expires != null
	not clock.instant_ns(expires)
	msg := sprintf("[faults.prod_timebox] %s: fault expiry %v is not an RFC 3339 time like 2026-11-27T12:00:00Z",
		[change.target, expires])
}

denials contains msg if {
	judged
	timebox_required
	not clock.instant_ns(change.now)
	msg := sprintf("[faults.prod_timebox] %s: the decision has no valid time (now = %q), so the fault's time box cannot be checked",
		[change.target, change.now])
}

denials contains msg if {
	judged
	timebox_required
	clock.instant_ns(expires) - clock.instant_ns(change.now) > config.duration_ns(change.env, "faultMaxDuration")
	msg := sprintf("[faults.prod_timebox] %s: the fault runs until %s, longer than %v from now (%s), the limit in %s",
		[change.target, expires, max_duration, change.now, change.env])
}

abort_percent := object.get(fault, ["abort", "percent"], null)

max_abort := config.number(change.env, "faultMaxAbortPercent")

denials contains msg if {
	judged
	abort_percent != null
	not valid_abort
	msg := sprintf("[faults.abort_percent] %s: a fault aborts %v%% of requests; allowed are 0 to %v%% in %s",
		[change.target, abort_percent, max_abort, change.env])
}

valid_abort if {
	is_number(abort_percent)
	abort_percent >= 0
	abort_percent <= max_abort
	abort_percent <= 100
}

warn := set()
