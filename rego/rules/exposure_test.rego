package govbot.rules.exposure_test

import rego.v1

import data.govbot.fixtures

domains := object.union(fixtures.config, {"ingressGateway": {"domains": ["example.com", ".shop.example.io"]}})

exposing(hosts) := fixtures.change("expose", "prod", fixtures.service({}), fixtures.service({"exposed": {"hosts": hosts, "gateway": "istio-system/public"}}))

ids(doc) := {fixtures.rule_id(msg) |
	some msg in data.govbot.rules.exposure.deny with input as doc with data.govbot.config as domains
}

test_a_host_under_a_listed_domain_is_allowed if {
	count(ids(exposing(["user.example.com", "a.b.shop.example.io", "example.com"]))) == 0
}

test_a_wildcard_under_a_listed_domain_is_allowed if {
	count(ids(exposing(["*.example.com"]))) == 0
}

test_a_host_elsewhere_is_denied if {
	"[exposure.domain]" in ids(exposing(["user.example.com", "user.evil.com"]))
}

test_a_name_that_only_ends_like_a_domain_is_denied if {
	"[exposure.domain]" in ids(exposing(["badexample.com"]))
}

test_the_message_names_the_host_and_the_domains if {
	some msg in data.govbot.rules.exposure.deny with input as exposing(["user.evil.com"])
		with data.govbot.config as domains
	contains(msg, "user.evil.com")
	contains(msg, "example.com, shop.example.io")
}

test_without_domains_any_host_passes if {
	count(fixtures.deny_ids("exposure", exposing(["user.evil.com"]))) == 0
}

test_an_unchanged_exposure_is_not_judged_again if {
	doc := fixtures.service({"exposed": {"hosts": ["user.evil.com"], "gateway": "istio-system/public"}})
	count(ids(fixtures.change("canary", "prod", doc, doc))) == 0
}
