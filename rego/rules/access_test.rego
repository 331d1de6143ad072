package govbot.rules.access_test

import rego.v1

import data.govbot.fixtures

gateway := "istio-system/istio-ingressgateway"

listed(exposed, enabled, callers) := fixtures.service({
	"exposed": exposed,
	"allowFrom": {"enabled": enabled, "callers": callers},
})

whitelist(before, after) := fixtures.change("whitelist", "prod", before, after)

test_a_whitelist_with_callers_is_allowed if {
	count(fixtures.deny_ids("access", whitelist(null, listed(false, true, ["svc-index"])))) == 0
}

test_an_empty_whitelist_that_is_on_is_denied if {
	"[access.whitelist_empty]" in fixtures.deny_ids("access", whitelist(listed(false, true, ["svc-index"]), listed(false, true, [])))
}

test_a_whitelist_without_callers_is_denied if {
	doc := whitelist(null, fixtures.service({"allowFrom": {"enabled": true}}))
	"[access.whitelist_empty]" in fixtures.deny_ids("access", doc)
	odd := whitelist(null, fixtures.service({"allowFrom": {"enabled": true, "callers": [""]}}))
	"[access.whitelist_empty]" in fixtures.deny_ids("access", odd)
	text := whitelist(null, fixtures.service({"allowFrom": {"enabled": true, "callers": "svc-index"}}))
	"[access.whitelist_empty]" in fixtures.deny_ids("access", text)
}

test_an_empty_whitelist_that_is_off_is_allowed if {
	count(fixtures.deny_ids("access", whitelist(listed(false, true, ["a"]), listed(false, false, [])))) == 0
}

test_turning_an_empty_whitelist_on_is_denied if {
	"[access.whitelist_empty]" in fixtures.deny_ids("access", whitelist(listed(false, false, []), listed(false, true, [])))
}

test_removing_the_gateway_of_an_exposed_service_is_denied if {
	before := listed(true, true, ["svc-index", gateway])
	"[access.ingress_removed]" in fixtures.deny_ids("access", whitelist(before, listed(true, true, ["svc-index"])))
}

test_an_exposed_service_that_keeps_the_gateway_is_allowed if {
	before := listed(true, true, [gateway])
	count(fixtures.deny_ids("access", whitelist(before, listed(true, true, [gateway, "svc-index"])))) == 0
}

test_an_internal_service_may_drop_the_gateway if {
	before := listed(false, true, ["svc-index", gateway])
	count(fixtures.deny_ids("access", whitelist(before, listed(false, true, ["svc-index"])))) == 0
}

test_exposing_a_service_behind_a_whitelist_without_the_gateway_is_denied if {
	before := listed(false, true, ["svc-index"])
	"[access.ingress_removed]" in fixtures.deny_ids("access", fixtures.change("edit", "prod", before, listed(true, true, ["svc-index"])))
}

test_a_short_caller_in_the_gateway_namespace_counts if {
	doc := object.union(whitelist(null, listed(true, true, ["istio-ingressgateway"])), {"namespace": "istio-system"})
	count(fixtures.deny_ids("access", doc)) == 0
	elsewhere := whitelist(null, listed(true, true, ["istio-ingressgateway"]))
	"[access.ingress_removed]" in fixtures.deny_ids("access", elsewhere)
}

test_the_gateway_caller_comes_from_config if {
	cfg := object.union(fixtures.config, {"ingressGateway": {"caller": "gateway/edge"}})
	doc := whitelist(null, listed(true, true, ["gateway/edge"]))
	count(data.govbot.rules.access.deny) == 0 with input as doc with data.govbot.config as cfg
	kept := whitelist(null, listed(true, true, [gateway]))
	count(data.govbot.rules.access.deny) == 1 with input as kept with data.govbot.config as cfg
}

test_the_gateway_caller_has_a_default if {
	doc := whitelist(null, listed(true, true, ["svc-index"]))
	some msg in data.govbot.rules.access.deny with input as doc with data.govbot.config as {}
	startswith(msg, "[access.ingress_removed]")
	contains(msg, gateway)
}

test_turning_the_whitelist_off_is_allowed if {
	count(fixtures.deny_ids("access", whitelist(listed(true, true, [gateway]), listed(true, false, [])))) == 0
}

test_an_unchanged_whitelist_is_not_judged_again if {
	old := listed(true, true, ["svc-index"])
	doc := fixtures.change("canary", "prod", old, object.union(old, {"spec": {"release": {"canaryWeight": 5}}}))
	count(fixtures.deny_ids("access", doc)) == 0
}

test_rollback_that_empties_the_whitelist_is_denied if {
	doc := fixtures.change("rollback", "prod", listed(false, false, []), listed(false, true, []))
	"[access.whitelist_empty]" in fixtures.deny_ids("access", doc)
}

test_rollback_that_drops_the_gateway_is_denied if {
	doc := fixtures.change("rollback", "prod", listed(true, true, [gateway]), listed(true, true, ["svc-index"]))
	"[access.ingress_removed]" in fixtures.deny_ids("access", doc)
}

reserved_access := object.union(fixtures.access, {"people": {"govbot": {"name": "Someone"}}})

as_govbot := fixtures.requested_by(fixtures.canary("dev", 0, 10), "govbot")

test_a_person_named_govbot_is_denied if {
	ids := {fixtures.rule_id(msg) |
		some msg in data.govbot.rules.access.deny with input as as_govbot
			with data.govbot.config as fixtures.config
			with data.govbot.access as reserved_access
	}
	"[access.reserved_person]" in ids
}

test_govbot_without_such_a_person_is_not_denied_here if {
	not "[access.reserved_person]" in fixtures.deny_ids("access", as_govbot)
}

routed := {"hosts": ["user.example.com"], "gateway": "istio-system/public"}

test_exposing_hosts_behind_a_whitelist_without_the_gateway_is_denied if {
	before := listed(false, true, ["svc-index"])
	"[access.ingress_removed]" in fixtures.deny_ids("access", fixtures.change("expose", "prod", before, listed(routed, true, ["svc-index"])))
}

test_exposing_hosts_behind_a_whitelist_with_the_gateway_is_allowed if {
	before := listed(false, true, ["svc-index", gateway])
	count(fixtures.deny_ids("access", fixtures.change("expose", "prod", before, listed(routed, true, ["svc-index", gateway])))) == 0
}

test_removing_the_gateway_of_a_service_exposed_by_hosts_is_denied if {
	before := listed(routed, true, ["svc-index", gateway])
	"[access.ingress_removed]" in fixtures.deny_ids("access", whitelist(before, listed(routed, true, ["svc-index"])))
}

test_a_mapping_without_hosts_is_not_exposed if {
	doc := whitelist(null, listed({"hosts": [], "gateway": "istio-system/public"}, true, ["svc-index"]))
	count(fixtures.deny_ids("access", doc)) == 0
}

test_unexposing_keeps_a_whitelist_of_only_the_gateway if {
	before := listed(routed, true, [gateway])
	after := fixtures.service({"allowFrom": {"enabled": true, "callers": [gateway]}})
	count(fixtures.deny_ids("access", fixtures.change("unexpose", "prod", before, after))) == 0
}

test_the_whitelist_may_drop_the_gateway_once_unexposed if {
	before := fixtures.service({"allowFrom": {"enabled": true, "callers": ["svc-index", gateway]}})
	after := fixtures.service({"allowFrom": {"enabled": true, "callers": ["svc-index"]}})
	count(fixtures.deny_ids("access", whitelist(before, after))) == 0
}

ingress_hint(doc) := msg if {
	some msg in data.govbot.rules.access.deny with input as doc with data.govbot.config as fixtures.config
	startswith(msg, "[access.ingress_removed]")
}

test_exposing_behind_a_whitelist_that_never_had_the_gateway_says_add_it_first if {
	msg := ingress_hint(fixtures.change("expose", "prod", listed(false, true, ["svc-index"]), listed(routed, true, ["svc-index"])))
	contains(msg, "add it first with `/whitelist")
	not contains(msg, "back")
}

test_taking_the_gateway_off_says_add_it_back if {
	msg := ingress_hint(whitelist(listed(routed, true, ["svc-index", gateway]), listed(routed, true, ["svc-index"])))
	contains(msg, "add it back with `/whitelist")
}

test_turning_on_a_whitelist_without_the_gateway_says_add_it if {
	msg := ingress_hint(whitelist(listed(true, false, ["svc-index"]), listed(true, true, ["svc-index"])))
	contains(msg, "add it with `/whitelist")
}
