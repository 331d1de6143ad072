# The whitelist (allowFrom, an AuthorizationPolicy ALLOW). While it is on, its callers
# are the only ones let in: an empty list would deny everyone, and a service served
# through the ingress gateway (`exposed: true`, or `exposed: {hosts: [...], gateway: ...}`
# that routes its hosts there) must keep the gateway among them
# (ingressGateway.caller in govbot.yaml, default istio-system/istio-ingressgateway) or
# it drops off the internet. Callers are "<svc>" (the service's namespace) or
# "<ns>/<svc>". Only a change to the whitelist or to `exposed` is judged. No person may
# be named govbot.
package govbot.rules.access

import rego.v1

import data.govbot.lib.access as people
import data.govbot.lib.change
import data.govbot.lib.config

# Judged only for a change of the whitelist or the exposure (`judged`), or one govbot
# asks for: every rule below needs one of them.
# For any other change `deny` is empty without evaluating them; tests/guard/
# test_relevance.py holds `deny` to `denials` over a corpus of changes of every kind.
default relevant := false

relevant if change.touches({"allowFrom", "exposed"})

relevant if change.requester == "govbot"

default deny := set()

deny := denials if relevant

allow_from := change.section(change.after, "allowFrom")

judged if {
	change.on(allow_from)
	change.touches({"allowFrom", "exposed"})
}

callers := object.get(allow_from, "callers", [])

denials contains msg if {
	judged
	not has_callers
	msg := sprintf("[access.whitelist_empty] %s: the whitelist is on with no callers, which would deny every caller; add one with `/whitelist %s allow <svc>` or turn it off",
		[change.target, change.target])
}

has_callers if {
	is_array(callers)
	some caller in callers
	is_string(caller)
	caller != ""
}

# "<svc>" names a service of the target's own namespace.
qualified(caller) := caller if contains(caller, "/")

else := sprintf("%s/%s", [change.namespace, caller])

# Exposed: the legacy `true`, or a mapping that routes hosts at the gateway.
exposed(value) if value == true

exposed(value) if {
	is_object(value)
	is_array(value.hosts)
	count(value.hosts) > 0
}

keeps_gateway if {
	is_array(callers)
	some caller in callers
	is_string(caller)
	qualified(caller) == config.ingress_caller
}

denials contains msg if {
	judged
	has_callers
	exposed(change.spec_value(change.after, "exposed"))
	not keeps_gateway
	msg := sprintf("[access.ingress_removed] %s is exposed through the ingress gateway, so its whitelist must keep %s; %s",
		[change.target, config.ingress_caller, restore])
}

add_gateway := sprintf("`/whitelist %s allow %s`", [change.target, config.ingress_caller])

# The hint follows what happened: a gateway taken off the whitelist is added back; a
# service exposed behind a whitelist that never had it needs it before the exposure.
kept_before if {
	some caller in object.get(change.section(change.before, "allowFrom"), "callers", [])
	is_string(caller)
	qualified(caller) == config.ingress_caller
}

restore := sprintf("add it back with %s", [add_gateway]) if kept_before

else := sprintf("add it first with %s, then expose the service", [add_gateway]) if {
	not exposed(change.spec_value(change.before, "exposed"))
}

else := sprintf("add it with %s", [add_gateway])

# govbot is the requester of govbot's own changes (the revert of a time box that ended);
# a person of that name would pass as govbot, so access.yaml may not have one.
denials contains msg if {
	change.requester == "govbot"
	people.known("govbot")
	msg := "[access.reserved_person] govbot is the name govbot makes its own changes under; access.yaml may not give it to a person: rename that person"
}

warn := set()
