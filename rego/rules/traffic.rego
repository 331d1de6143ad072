# Local rate limits: a window no shorter than rateLimitMinWindow (default 50ms) and
# 1..rateLimitMaxRequests (default 1000000) requests per window, both from
# environments.<env>.limits. Envoy keeps one token bucket per pod, so the real limit
# grows with the replica count.
package govbot.rules.traffic

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.clock
import data.govbot.lib.config

# Judged only for a change of the rate limit: every rule below needs one (`enabled`).
# For any other change `deny` is empty without evaluating them; tests/guard/
# test_relevance.py holds `deny` to `denials` over a corpus of changes of every kind.
default relevant := false

relevant if change.touches({"rateLimit"})

default deny := set()

deny := denials if relevant

default warn := set()

warn := warnings if relevant

# An empty `rateLimit:` in YAML is null; treat it as absent.
rate_limit := section if {
	is_object(change.after)
	section := object.get(change.after, ["spec", "rateLimit"], {})
	is_object(section)
} else := {}

before_rate_limit := section if {
	is_object(change.before)
	section := object.get(change.before, ["spec", "rateLimit"], {})
	is_object(section)
} else := {}

# Only a change to the rate limit is judged here, so tightening a limit in govbot.yaml
# does not block unrelated commands on a service that already has one.
enabled if {
	object.get(rate_limit, "enabled", false) == true
	rate_limit != before_rate_limit
}

window := object.get(rate_limit, "per", "")

min_window := config.limit(change.env, "rateLimitMinWindow", "50ms")

# A window setting that is not a duration falls back to the default, not to no limit.
min_window_ns := ns if {
	ns := duration_ns(min_window)
} else := 50000000

max_requests := config.limit(change.env, "rateLimitMaxRequests", 1000000)

requests := object.get(rate_limit, "requests", 0)

duration_ns(text) := clock.duration_ns(text)

denials contains msg if {
	enabled
	not duration_ns(window)
	msg := sprintf("[traffic.ratelimit_window] %s: rate limit window %v is not a duration like 1s or 500ms",
		[change.target, window])
}

denials contains msg if {
	enabled
	duration_ns(window) < min_window_ns
	msg := sprintf("[traffic.ratelimit_window] %s: rate limit window %s is shorter than %s, the minimum in %s",
		[change.target, window, min_window, change.env])
}

denials contains msg if {
	enabled
	not valid_requests
	msg := sprintf("[traffic.ratelimit_requests] %s: %v requests per window; allowed are 1 to %v in %s",
		[change.target, requests, max_requests, change.env])
}

warnings contains msg if {
	enabled
	msg := sprintf("[traffic.ratelimit_per_pod] %s: the limit of %v per %v applies to each pod, not to the service",
		[change.target, requests, window])
}

valid_requests if {
	is_number(requests)
	requests >= 1
	requests <= max_requests
}
