# Mesh modes: what a namespace's data plane can carry (policies/mesh.py holds the same
# capability table, and tests/guard/test_mesh_guard.py keeps the two in step).
#
# In ambient mode (ztunnel + waypoints) Istio 1.30 has no supported API for fault
# injection (unless govbot.yaml opts in to the alpha VirtualService path with
# `ambient: {faultInjection: alpha}`) nor for local rate limiting (waypoints ignore
# EnvoyFilter), and HTTPRoute retries need Gateway API's experimental channel
# (`gatewayApi: {channel: experimental}`).
#
# [mesh.unsupported]  a service document in an ambient namespace holds a section the mode
#                     cannot carry; a change that only removes or turns off such sections
#                     is never blocked. A change of govbot.yaml that takes a capability
#                     away from a namespace (to ambient, to the standard channel, the alpha
#                     fault path off) while its services hold such sections: the facts come
#                     in input.mesh (bot/guard/input.py).
# [mesh.mixed_routes] in an ambient namespace with the alpha fault path, an active fault
#                     renders a VirtualService and any routing an HTTPRoute for the same
#                     host, which Istio leaves undefined.
package govbot.rules.mesh

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.config
import data.govbot.lib.risk

# The capability table: a section absent here is carried by every mode.
cannot_carry("fault", m) if {
	m.mode == "ambient"
	m.faultInjection != "alpha"
}

cannot_carry("rateLimit", m) if m.mode == "ambient"

cannot_carry("retries", m) if {
	m.mode == "ambient"
	m.channel != "experimental"
}

# Why, and what to do instead: the words of policies/mesh.py's Refusal.text().
refusals := {
	"fault": {
		"reason": "fault injection has no ambient-supported API in Istio 1.30 (Gateway API has no fault field; a VirtualService on a waypoint is alpha)",
		"alternatives": "test the fault in a sidecar namespace, or opt in to the alpha path with `ambient: {faultInjection: alpha}` in govbot.yaml",
	},
	"rateLimit": {
		"reason": "local rate limiting needs an EnvoyFilter, which waypoints ignore silently, and Istio 1.30 has no other rate-limit API in ambient mode",
		"alternatives": "limit the rate at the ingress gateway or in the service itself, or keep the namespace in sidecar mode (`mesh: sidecar`)",
	},
	"retries": {
		"reason": "HTTPRoute retries are in Gateway API's experimental channel, and govbot.yaml says the cluster has the standard one",
		"alternatives": "install the experimental channel's CRDs and set `gatewayApi: {channel: experimental}` in govbot.yaml, or keep the timeout without retries",
	},
}

refusal_text(section) := sprintf("spec.%s: %s; %s", [section, refusals[section].reason, refusals[section].alternatives])

# The sections of a document that some mode may not carry, as policies/mesh.py counts
# them: a fault that is on and aborts or delays, a rate limit that is on, any retries.
holds(doc) := {name | some name in {"fault", "rateLimit", "retries"}; held(doc, name)}

held(doc, "fault") if {
	fault := change.spec_value(doc, "fault")
	enabled(fault)
	some part in {"abort", "delay"}
	part in object.keys(fault)
}

held(doc, "rateLimit") if enabled(change.spec_value(doc, "rateLimit"))

held(doc, "retries") if truthy(change.spec_value(doc, "retries"))

# `enabled` absent counts as on; only `true` itself does otherwise (as in Python).
enabled(section) if {
	is_object(section)
	object.get(section, "enabled", true) == true
}

# Python's truth of a JSON value.
truthy(value) if {
	not value in {null, false, "", [], {}}
	not zero(value)
}

zero(value) if {
	is_number(value)
	value == 0
}

# The namespace of the change under judgement, and what its document cannot carry.
here := config.mesh(change.env, change.namespace)

service_change if {
	startswith(change.path, "services/")
	is_object(change.after)
}

uncarried(doc) := {name | some name in holds(doc); cannot_carry(name, here)}

# here.mode == "ambient", read without the rest of the plane.
ambient_here if config.mesh_mode(change.env, change.namespace) == "ambient"

# Only taking such sections away (or lowering a fault): every field that changes is one
# the document held and the mode cannot carry, and it is off, gone or lowered after.
default lowers_uncarried := false

lowers_uncarried if {
	is_object(change.before)
	count(risk.changed) > 0
	every name in risk.changed {
		name in uncarried(change.before)
		lowered(name)
	}
}

lowered(name) if not held(change.after, name)

lowered("fault") if risk.lowered("fault")

deny contains msg if {
	service_change
	ambient_here # every mode but ambient carries every section
	some section in uncarried(change.after)
	not lowers_uncarried
	msg := sprintf("[mesh.unsupported] %s in %s/%s (ambient mode): %s",
		[change.target, change.env, change.namespace, refusal_text(section)])
}

# --- a change of govbot.yaml that takes a capability away from a namespace ----------
#
# input.mesh.switches: [{"env", "namespace", "from": plane, "to": plane,
#                        "services": {"<svc>": ["fault", "rateLimit", "retries"]}}]
# where `services` lists, per service of the namespace on main, the sections it holds
# (`holds` above); the planes are read from govbot.yaml before and after the change.
switches := [s | some s in object.get(input, ["mesh", "switches"], []); is_object(s)]

taken_away(switch, service) := sort([section |
	some section in object.get(switch, ["services", service], [])
	cannot_carry(section, switch.to)
	not cannot_carry(section, switch.from)
])

deny contains msg if {
	change.path == "govbot.yaml"
	some switch in switches
	lost := {service: sections |
		some service, _held in object.get(switch, "services", {})
		sections := taken_away(switch, service)
		count(sections) > 0
	}
	count(lost) > 0
	named := concat("; ", [sprintf("%s holds %s", [service, concat(", ", lost[service])]) |
		some service in sort(object.keys(lost))
	])
	why := concat(" ", [sprintf("%s: %s.", [section, refusals[section].reason]) |
		some section in sort({s | some sections in lost; some s in sections})
	])
	fixes := concat("; ", [fix(section, service) |
		some service in sort(object.keys(lost))
		some section in lost[service]
	])
	msg := sprintf("[mesh.unsupported] %s/%s: the change makes the namespace %s, which cannot carry what its services hold (%s). %s Take those sections off first (%s), then switch.",
		[switch.env, switch.namespace, describe(switch.to), named, why, fixes])
}

# The command that takes a section off a service: the hint names only what was found.
fix("fault", service) := sprintf("/fault %s off", [service])

fix("rateLimit", service) := sprintf("/ratelimit %s off", [service])

fix("retries", service) := sprintf("/timeout %s <d> without retries", [service])

describe(m) := sprintf("%s (Gateway API %s channel, fault injection %s)", [m.mode, m.channel, m.faultInjection])

# --- a VirtualService and an HTTPRoute on one host ------------------------------------
#
# With the alpha fault path an active fault renders a VirtualService on the waypoint;
# any routing renders an HTTPRoute; both selecting the service's host is undefined.
routing(doc) := {name |
	some name in {"release", "routes", "timeout", "retries", "exposed"}
	routes_with(doc, name)
}

routes_with(doc, "release") if change.section(doc, "release") != {}

routes_with(doc, "routes") if truthy(change.spec_value(doc, "routes"))

routes_with(doc, "timeout") if truthy(change.spec_value(doc, "timeout"))

routes_with(doc, "retries") if held(doc, "retries")

# An exposure with hosts routes at the ingress gateway; `exposed: true` keeps only the
# gateway's identity in the whitelist.
routes_with(doc, "exposed") if {
	exposed := change.spec_value(doc, "exposed")
	is_object(exposed)
	truthy(object.get(exposed, "hosts", []))
}

mixed(doc) if {
	here.mode == "ambient"
	here.faultInjection == "alpha"
	held(doc, "fault")
	count(routing(doc)) > 0
}

# Turning the fault off or taking routing away is never blocked.
default untangles := false

untangles if {
	is_object(change.before)
	mixed(change.before)
	count(risk.changed) > 0
	every name in risk.changed {
		name in ({"fault"} | routing(change.before))
		lowered_route(name)
	}
}

lowered_route(name) if {
	name != "fault"
	not routes_with(change.after, name)
}

lowered_route("fault") if risk.lowered("fault")

deny contains msg if {
	service_change
	ambient_here # as mixed needs, asked first since it costs least
	mixed(change.after)
	not untangles
	msg := sprintf("[mesh.mixed_routes] %s in %s/%s (ambient mode, alpha fault path): its fault needs the alpha VirtualService on the waypoint while its routing (%s) needs an HTTPRoute, and a VirtualService and an HTTPRoute selecting the same host is undefined behaviour in Istio; turn the fault off (/fault %s off), remove the routing first, or test the fault in a sidecar namespace",
		[change.target, change.env, change.namespace, concat(", ", sort(routing(change.after))), change.target])
}

warn := set()
