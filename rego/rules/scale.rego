# Autoscaling: 1 ≤ min ≤ max ≤ the namespace's maxReplicas (govbot.yaml
# environments.<env>.namespaces.<ns>.maxReplicas, default 20), so one service cannot
# claim a namespace's capacity. Only an autoscale setting the change turns on or alters
# is judged; turning it off is always allowed.
package govbot.rules.scale

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.config

# Judged only for a change of autoscaling: the rule below needs one.
# For any other change `deny` is empty without evaluating them; tests/guard/
# test_relevance.py holds `deny` to `denials` over a corpus of changes of every kind.
default relevant := false

relevant if change.touches({"autoscale"})

default deny := set()

deny := denials if relevant

autoscale := change.section(change.after, "autoscale")

low := object.get(autoscale, "min", null)

high := object.get(autoscale, "max", null)

ceiling := config.max_replicas(change.env, change.namespace)

denials contains msg if {
	change.on(autoscale)
	change.touches({"autoscale"})
	not valid_bounds
	msg := sprintf("[scale.bounds] %s: autoscaling from %v to %v replicas; need whole numbers with 1 ≤ min ≤ max ≤ %v (maxReplicas of %s/%s)",
		[change.target, low, high, ceiling, change.env, change.namespace])
}

valid_bounds if {
	whole(low)
	whole(high)
	low >= 1
	low <= high
	high <= ceiling
}

whole(n) if {
	is_number(n)
	n == round(n)
}

warn := set()
