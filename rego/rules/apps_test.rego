package govbot.rules.apps_test

import rego.v1

import data.govbot.fixtures

config := object.union(fixtures.config, {"environments": {"prod": {"apps": {
	"allowed": ["redis", "mysql", "postgresql"],
	"versions": {"mysql": ["8.4.3"]},
}}}})

app_doc(app, version) := {
	"apiVersion": "govbot.dev/v1", "kind": "AppDeployment",
	"metadata": {"name": "cache", "namespace": "demo", "env": "prod"},
	"spec": {"app": app, "version": version, "parameters": {"storage": "8Gi"}, "secret": {"generate": true}},
}

tombstone := {
	"apiVersion": "govbot.dev/v1", "kind": "AppDeployment",
	"metadata": {"name": "cache", "namespace": "demo", "env": "prod"},
	"spec": {"app": "redis", "purge": true},
}

facts(app) := {
	"app": app, "versions": ["7.4.2", "7.2.7"], "parameters": {},
	"taken": {"service": false, "app": null}, "quota": {}, "purge": false,
}

# alice deploys `after` as cache in <env>/demo, with govbot's facts.
deploy(env, before, after, app_facts) := {
	"action": "deploy",
	"actor": {"id": "alice", "groups": ["team"]},
	"env": env,
	"namespace": "demo",
	"target": "cache",
	"path": sprintf("apps/%s/demo/cache.yaml", [env]),
	"before": before,
	"after": after,
	"approvals": [],
	"now": "2026-11-27T10:00:00Z",
	"app": app_facts,
}

ids(doc) := {fixtures.rule_id(msg) |
	some msg in data.govbot.rules.apps.deny with input as doc
		with data.govbot.config as config
		with data.govbot.access as fixtures.access
}

messages(doc) := {msg |
	some msg in data.govbot.rules.apps.deny with input as doc
		with data.govbot.config as config
		with data.govbot.access as fixtures.access
}

required(doc) := d.approvals_required if {
	d := data.govbot.decision with input as doc
		with data.govbot.config as config
		with data.govbot.access as fixtures.access
}

test_a_pinned_allowed_app_passes if {
	count(ids(deploy("prod", null, app_doc("redis", "7.4.2"), facts("redis")))) == 0
}

test_an_app_the_environment_does_not_allow_is_denied if {
	"[apps.not_allowed]" in ids(deploy("prod", null, app_doc("mongodb", "8.0.4"), facts("mongodb")))
	# near miss: dev sets no list, so any app of the catalog may run there
	count(ids(deploy("dev", null, app_doc("mongodb", "8.0.4"), facts("mongodb")))) == 0
}

test_a_version_the_environment_does_not_pin_is_denied if {
	"[apps.not_allowed]" in ids(deploy("prod", null, app_doc("mysql", "8.0.40"), facts("mysql")))
	count(ids(deploy("prod", null, app_doc("mysql", "8.4.3"), facts("mysql")))) == 0
}

test_floating_tags_are_denied_in_prod_only if {
	"[apps.floating_tag]" in ids(deploy("prod", null, app_doc("redis", "latest"), facts("redis")))
	"[apps.floating_tag]" in ids(deploy("prod", null, app_doc("redis", "Latest"), facts("redis")))
	not "[apps.floating_tag]" in ids(deploy("dev", null, app_doc("redis", "latest"), facts("redis")))
	not "[apps.floating_tag]" in ids(deploy("prod", null, app_doc("redis", "7.4.2"), facts("redis")))
}

bounded(value) := object.union(facts("redis"), {"parameters": {"storage": {
	"value": value, "text": "x",
	"min": 1073741824, "min_text": "1Gi", "max": 1099511627776, "max_text": "1Ti",
}}})

test_parameters_beyond_the_catalog_bounds_are_denied if {
	"[apps.out_of_bounds]" in ids(deploy("dev", null, app_doc("redis", "7.4.2"), bounded(1099511627777)))
	"[apps.out_of_bounds]" in ids(deploy("dev", null, app_doc("redis", "7.4.2"), bounded(1073741823)))
	# near misses: exactly at either bound
	count(ids(deploy("dev", null, app_doc("redis", "7.4.2"), bounded(1099511627776)))) == 0
	count(ids(deploy("dev", null, app_doc("redis", "7.4.2"), bounded(1073741824)))) == 0
}

quota(requested) := object.union(facts("redis"), {"quota": {"cpu": {
	"requested": requested, "requested_text": sprintf("%dm", [requested]),
	"limit": 8000, "limit_text": "8",
}}})

test_the_namespace_quota_is_denied_with_the_numbers if {
	doc := deploy("dev", null, app_doc("redis", "7.4.2"), quota(9500))
	"[apps.quota]" in ids(doc)
	some msg in messages(doc)
	contains(msg, "9500m")
	contains(msg, "of its 8")
	count(ids(deploy("dev", null, app_doc("redis", "7.4.2"), quota(8000)))) == 0
}

test_a_name_taken_by_a_service_or_another_app_is_denied if {
	by_service := object.union(facts("redis"), {"taken": {"service": true, "app": null}})
	"[apps.name_taken]" in ids(deploy("dev", null, app_doc("redis", "7.4.2"), by_service))
	by_app := object.union(facts("redis"), {"taken": {"service": false, "app": "mysql"}})
	"[apps.name_taken]" in ids(deploy("dev", app_doc("mysql", "8.4.3"), app_doc("redis", "7.4.2"), by_app))
	# near miss: the same app under its own name is an update
	same := object.union(facts("redis"), {"taken": {"service": false, "app": "redis"}})
	count(ids(deploy("dev", app_doc("redis", "7.2.7"), app_doc("redis", "7.4.2"), same))) == 0
}

test_purge_in_prod_needs_two_approvals if {
	purge := object.union(deploy("prod", app_doc("redis", "7.4.2"), tombstone, facts("redis")), {"action": "undeploy"})
	required(purge) == 2
	count(ids(purge)) == 0
}

test_purge_in_dev_and_removal_in_prod_keep_the_environment_number if {
	dev_purge := object.union(deploy("dev", app_doc("redis", "7.4.2"), tombstone, facts("redis")), {"action": "undeploy"})
	required(dev_purge) == 1
	removal := object.union(deploy("prod", app_doc("redis", "7.4.2"), null, facts("redis")), {"action": "undeploy"})
	required(removal) == 2
	# a prod environment that asks one approval still gets two for a purge
	lax := object.union(config, {"environments": {"prod": {"approvals": {"required": 1}}}})
	one := data.govbot.decision with input as object.union(deploy("prod", app_doc("redis", "7.4.2"), tombstone, facts("redis")), {"action": "undeploy"})
		with data.govbot.config as lax
		with data.govbot.access as fixtures.access
	one.approvals_required == 2
	kept := data.govbot.decision with input as removal
		with data.govbot.config as lax
		with data.govbot.access as fixtures.access
	kept.approvals_required == 1
}
