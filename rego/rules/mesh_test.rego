package govbot.rules.mesh_test

import rego.v1

import data.govbot.fixtures

# dev/mesh runs ambient; dev/demo keeps sidecars.
ambient := object.union(fixtures.config, {"environments": {"dev": {"namespaces": {"mesh": {"mesh": "ambient"}}}}})

experimental := object.union(ambient, {"gatewayApi": {"channel": "experimental"}})

alpha := object.union(ambient, {"ambient": {"faultInjection": "alpha"}})

ids(doc, config) := {fixtures.rule_id(msg) |
	some msg in data.govbot.rules.mesh.deny with input as doc
		with data.govbot.config as config
		with data.govbot.access as fixtures.access
}

messages(doc, config) := {msg |
	some msg in data.govbot.rules.mesh.deny with input as doc
		with data.govbot.config as config
		with data.govbot.access as fixtures.access
}

in_mesh(action, before, after) := fixtures.in_namespace(fixtures.change(action, "dev", before, after), "mesh")

abort := fixtures.service({"fault": {"enabled": true, "abort": {"httpStatus": 503, "percent": 10}}})

limited := fixtures.service({"rateLimit": {"enabled": true, "requests": 100, "per": "1s"}})

retrying := fixtures.service({"timeout": "2s", "retries": {"attempts": 3}})

plain := fixtures.service({})

test_a_fault_in_an_ambient_namespace_is_denied if {
	"[mesh.unsupported]" in ids(in_mesh("fault", plain, abort), ambient)
}

test_the_message_says_why_and_what_to_do if {
	some msg in messages(in_mesh("fault", plain, abort), ambient)
	startswith(msg, "[mesh.unsupported] svc-user in dev/mesh (ambient mode): spec.fault: ")
	contains(msg, "no ambient-supported API")
	contains(msg, "faultInjection: alpha")
}

test_a_fault_in_a_sidecar_namespace_is_allowed if {
	count(ids(fixtures.change("fault", "dev", plain, abort), ambient)) == 0
}

test_the_alpha_path_carries_a_fault if {
	count(ids(in_mesh("fault", plain, abort), alpha)) == 0
}

test_a_rate_limit_is_denied_in_every_ambient_namespace if {
	"[mesh.unsupported]" in ids(in_mesh("ratelimit", plain, limited), ambient)
	"[mesh.unsupported]" in ids(in_mesh("ratelimit", plain, limited), experimental)
	"[mesh.unsupported]" in ids(in_mesh("ratelimit", plain, limited), alpha)
}

test_retries_need_the_experimental_channel if {
	"[mesh.unsupported]" in ids(in_mesh("timeout", plain, retrying), ambient)
	count(ids(in_mesh("timeout", plain, retrying), experimental)) == 0
}

test_a_timeout_without_retries_is_carried if {
	count(ids(in_mesh("timeout", plain, fixtures.service({"timeout": "2s"})), ambient)) == 0
}

test_a_new_document_is_judged_too if {
	"[mesh.unsupported]" in ids(in_mesh("fault", null, abort), ambient)
}

test_a_section_turned_off_is_no_longer_held if {
	off := fixtures.service({"rateLimit": {"enabled": false, "requests": 100, "per": "1s"}})
	count(ids(in_mesh("ratelimit", limited, off), ambient)) == 0
}

test_taking_one_section_off_is_never_blocked if {
	both := object.union(abort, {"spec": {"rateLimit": {"requests": 100, "per": "1s"}}})
	count(ids(in_mesh("ratelimit", both, abort), ambient)) == 0
}

test_lowering_a_fault_is_never_blocked if {
	both := object.union(abort, {"spec": {"fault": {"delay": {"fixed": "2s", "percent": 5}}}})
	count(ids(in_mesh("fault", both, abort), ambient)) == 0
}

test_another_change_on_a_document_that_holds_one_is_denied if {
	canary := fixtures.service({"rateLimit": {"requests": 100, "per": "1s"}, "release": {"strategy": "canary", "canaryWeight": 20}})
	"[mesh.unsupported]" in ids(in_mesh("canary", limited, canary), ambient)
}

test_deleting_a_document_is_allowed if {
	count(ids(in_mesh("fault", abort, null), ambient)) == 0
}

test_an_odd_mode_reads_as_sidecar if {
	odd := object.union(fixtures.config, {"environments": {"dev": {"namespaces": {"mesh": {"mesh": "istio"}}}}})
	count(ids(in_mesh("fault", plain, abort), odd)) == 0
}

# --- govbot.yaml switches -----------------------------------------------------------

sidecar_plane := {"mode": "sidecar", "channel": "standard", "faultInjection": "off"}

ambient_plane := {"mode": "ambient", "channel": "standard", "faultInjection": "off"}

switch(from, to, services) := object.union(fixtures.at_path(fixtures.change("edit", "", null, null), "govbot.yaml"), {"mesh": {"switches": [{
	"env": "dev", "namespace": "demo", "from": from, "to": to, "services": services,
}]}})

test_a_switch_to_ambient_names_the_services_and_sections if {
	doc := switch(sidecar_plane, ambient_plane, {"svc-user": ["fault", "rateLimit"], "svc-order": ["retries"], "svc-index": []})
	some msg in messages(doc, fixtures.config)
	startswith(msg, "[mesh.unsupported] dev/demo:")
	contains(msg, "svc-order holds retries; svc-user holds fault, rateLimit")
	not contains(msg, "svc-index")
}

test_a_switch_names_the_commands_for_the_sections_it_found if {
	doc := switch(sidecar_plane, ambient_plane, {"svc-user": ["fault", "rateLimit"], "svc-order": ["retries"]})
	some msg in messages(doc, fixtures.config)
	contains(msg, "(/timeout svc-order <d> without retries; /fault svc-user off; /ratelimit svc-user off)")
}

test_a_switch_under_retries_alone_names_only_the_timeout_command if {
	some msg in messages(switch(sidecar_plane, ambient_plane, {"svc-order": ["retries"]}), fixtures.config)
	contains(msg, "/timeout svc-order <d> without retries")
	not contains(msg, "/ratelimit")
	not contains(msg, "/fault")
}

test_a_switch_of_a_namespace_without_such_sections_is_allowed if {
	count(ids(switch(sidecar_plane, ambient_plane, {"svc-index": []}), fixtures.config)) == 0
	count(ids(switch(sidecar_plane, ambient_plane, {}), fixtures.config)) == 0
}

test_a_switch_back_to_sidecar_is_allowed if {
	count(ids(switch(ambient_plane, sidecar_plane, {"svc-user": ["fault"]}), fixtures.config)) == 0
}

test_dropping_the_experimental_channel_under_retries_is_denied if {
	from := object.union(ambient_plane, {"channel": "experimental"})
	"[mesh.unsupported]" in ids(switch(from, ambient_plane, {"svc-user": ["retries"]}), fixtures.config)
	count(ids(switch(from, ambient_plane, {"svc-user": ["fault"]}), fixtures.config)) == 0
}

test_switching_the_alpha_path_off_under_a_fault_is_denied if {
	from := object.union(ambient_plane, {"faultInjection": "alpha"})
	"[mesh.unsupported]" in ids(switch(from, ambient_plane, {"svc-user": ["fault"]}), fixtures.config)
}

test_switch_facts_on_a_service_document_are_ignored if {
	doc := object.union(fixtures.change("canary", "dev", plain, plain), {"mesh": {"switches": [{
		"env": "dev", "namespace": "demo", "from": sidecar_plane, "to": ambient_plane,
		"services": {"svc-user": ["fault"]},
	}]}})
	count(ids(doc, fixtures.config)) == 0
}

# --- mixed routes ---------------------------------------------------------------------

faulty_canary := fixtures.service({
	"fault": {"abort": {"httpStatus": 503, "percent": 10}},
	"release": {"strategy": "canary", "canaryWeight": 20},
})

test_a_fault_beside_routing_on_the_alpha_path_is_denied if {
	"[mesh.mixed_routes]" in ids(in_mesh("fault", fixtures.service({"release": {"strategy": "canary", "canaryWeight": 20}}), faulty_canary), alpha)
}

test_the_mixed_message_names_the_routing_and_says_why if {
	timed := fixtures.service({"fault": {"abort": {"httpStatus": 503, "percent": 10}}, "timeout": "2s", "routes": [{"to": "v2"}]})
	some msg in messages(in_mesh("fault", plain, timed), alpha)
	contains(msg, "its routing (routes, timeout) needs an HTTPRoute")
	contains(msg, "undefined behaviour in Istio")
}

test_an_exposure_with_hosts_is_routing if {
	exposed := fixtures.service({"fault": {"abort": {"httpStatus": 503, "percent": 10}}, "exposed": {"hosts": ["user.example.com"]}})
	"[mesh.mixed_routes]" in ids(in_mesh("fault", plain, exposed), alpha)
	flag := fixtures.service({"fault": {"abort": {"httpStatus": 503, "percent": 10}}, "exposed": true})
	count(ids(in_mesh("fault", plain, flag), alpha)) == 0
}

test_a_fault_alone_on_the_alpha_path_is_allowed if {
	count(ids(in_mesh("fault", plain, abort), alpha)) == 0
}

test_mixed_routes_only_on_the_alpha_path if {
	not "[mesh.mixed_routes]" in ids(in_mesh("fault", plain, faulty_canary), ambient)
	count(ids(fixtures.change("fault", "dev", plain, faulty_canary), alpha)) == 0
}

test_turning_the_fault_off_untangles if {
	off := fixtures.service({
		"fault": {"enabled": false, "abort": {"httpStatus": 503, "percent": 10}},
		"release": {"strategy": "canary", "canaryWeight": 20},
	})
	count(ids(in_mesh("fault", faulty_canary, off), alpha)) == 0
}

test_taking_routing_away_untangles if {
	count(ids(in_mesh("canary", faulty_canary, abort), alpha)) == 0
}

test_moving_the_canary_of_a_mixed_document_is_denied if {
	more := fixtures.service({
		"fault": {"abort": {"httpStatus": 503, "percent": 10}},
		"release": {"strategy": "canary", "canaryWeight": 30},
	})
	"[mesh.mixed_routes]" in ids(in_mesh("canary", faulty_canary, more), alpha)
}
