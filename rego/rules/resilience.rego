# Timeouts, retries and circuit breaking. A route timeout lies between timeoutMin and
# timeoutMax (default 1ms..60s); at most retriesMax (default 5) retries; and
# attempts × perTryTimeout fits in the timeout, since Envoy stops retrying when the
# overall timeout fires and the later attempts never run (warn or deny per env:
# retryBudget). Outlier detection may eject at most maxEjectionPercent of the hosts
# (prod 50), so a wave of errors cannot empty the pool. Only what the change touches is
# judged.
package govbot.rules.resilience

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.clock
import data.govbot.lib.config

# Judged only for a change of the timeout, the retries, the circuit breaker or the
# fault: every rule below needs one.
# For any other change `deny` is empty without evaluating them; tests/guard/
# test_relevance.py holds `deny` to `denials` over a corpus of changes of every kind.
default relevant := false

relevant if change.touches({"timeout", "retries", "circuitBreaker", "fault"})

default deny := set()

deny := denials if relevant

default warn := set()

warn := warnings if relevant

timeout := change.spec_value(change.after, "timeout")

retries := change.section(change.after, "retries")

timing_touched if change.touches({"timeout", "retries"})

denials contains msg if {
	timing_touched
	timeout != null
	not valid_timeout
	msg := sprintf("[resilience.timeout_range] %s: timeout %v must be a duration from %v to %v in %s",
		[change.target, timeout, config.setting(change.env, "timeoutMin"), config.setting(change.env, "timeoutMax"), change.env])
}

valid_timeout if {
	ns := clock.duration_ns(timeout)
	ns >= config.duration_ns(change.env, "timeoutMin")
	ns <= config.duration_ns(change.env, "timeoutMax")
}

attempts := object.get(retries, "attempts", null)

max_retries := config.number(change.env, "retriesMax")

denials contains msg if {
	timing_touched
	attempts != null
	not valid_attempts
	msg := sprintf("[resilience.retries_max] %s: %v retry attempts; allowed are 0 to %v in %s",
		[change.target, attempts, max_retries, change.env])
}

valid_attempts if {
	is_number(attempts)
	attempts == round(attempts)
	attempts >= 0
	attempts <= max_retries
}

per_try := object.get(retries, "perTryTimeout", null)

# The retries cannot all run before the route times out.
over_budget if {
	timing_touched
	is_number(attempts)
	attempts * clock.duration_ns(per_try) > clock.duration_ns(timeout)
}

budget_msg := sprintf("[resilience.retry_budget] %s: %v attempts × %v per try exceed the %v timeout, so the later attempts never run; lower the attempts or the per-try timeout, or raise the timeout",
	[change.target, attempts, per_try, timeout])

budget_mode := config.setting(change.env, "retryBudget")

# Anything but warn or off denies, so a misspelt setting never weakens the rule.
denials contains msg if {
	over_budget
	not budget_mode in {"warn", "off"}
	msg := budget_msg
}

warnings contains msg if {
	over_budget
	budget_mode == "warn"
	msg := budget_msg
}

breaker := change.section(change.after, "circuitBreaker")

max_ejection := config.number(change.env, "maxEjectionPercent")

ejection := object.get(breaker, "maxEjectionPercent", null)

denials contains msg if {
	change.on(breaker)
	change.touches({"circuitBreaker"})
	ejection != null
	not valid_ejection
	msg := sprintf("[resilience.max_ejection] %s: the circuit breaker may eject %v%% of hosts; allowed are 0 to %v%% in %s",
		[change.target, ejection, max_ejection, change.env])
}

valid_ejection if {
	is_number(ejection)
	ejection >= 0
	ejection <= max_ejection
	ejection <= 100
}

# Istio turns off a route's timeout and retries while a fault is injected on it, so a
# change that leaves both on the same service says so.
fault := change.section(change.after, "fault")

warnings contains msg if {
	change.touches({"fault", "timeout", "retries"})
	change.on(fault)
	timing_set
	msg := sprintf("[resilience.fault_suspends_retries] %s: while the fault is on, Istio ignores the route's timeout and retries",
		[change.target])
}

timing_set if timeout != null

timing_set if retries != {}
