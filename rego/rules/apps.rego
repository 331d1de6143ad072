# The app store: what may run in a namespace (`apps/<env>/<namespace>/<name>.yaml`).
#
# govbot computes what needs the repository and passes it as input.app
# (bot/runners/appchanges.py): the catalog entry's versions and the document's numeric
# parameters with their bounds, whether the name is taken, and per quoted resource the
# namespace's total after the change against its quota. Rego compares; it never sums.
#
# govbot.yaml, per environment:
#   apps: {allowed: [redis, mysql], versions: {redis: ["7.4.2"]}}   # absent: any app
#   namespaces: {demo: {quota: {cpu: 8, memory: 32Gi, storage: 500Gi}}}
package govbot.rules.apps

import rego.v1

import data.govbot.lib.change

# Judged only for a change of an app: every rule below needs one (`app_change`).
# For any other change `deny` is empty without evaluating them; tests/guard/
# test_relevance.py holds `deny` to `denials` over a corpus of changes of every kind.
default relevant := false

relevant if app_change

default deny := set()

deny := denials if relevant

# Tags that name whatever was pushed last, never one release.
floating := {"latest", "stable", "main", "master", "edge", "nightly", "dev", "current"}

app_change if startswith(change.path, "apps/")

facts := object.get(input, "app", {})

document := change.after if is_object(change.after) else := {}

spec := object.get(document, "spec", {})

app := object.get(facts, "app", object.get(spec, "app", ""))

version := object.get(spec, "version", "")

purge if object.get(spec, "purge", false) == true

settings := object.get(data.govbot.config, ["environments", change.env, "apps"], {})

denials contains msg if {
	app_change
	change.after != null
	not purge
	allowed := object.get(settings, "allowed", null)
	is_array(allowed)
	not app in allowed
	msg := sprintf("[apps.not_allowed] %s is not allowed in %s; allowed: %s", [app, change.env, concat(", ", allowed)])
}

denials contains msg if {
	app_change
	change.after != null
	not purge
	pinned := object.get(settings, ["versions", app], null)
	is_array(pinned)
	not version in pinned
	msg := sprintf("[apps.not_allowed] %s %v is not allowed in %s; versions: %s", [app, version, change.env, concat(", ", pinned)])
}

denials contains msg if {
	app_change
	change.env == "prod"
	change.after != null
	not purge
	lower(sprintf("%v", [version])) in floating
	msg := sprintf("[apps.floating_tag] %s %v floats in prod: pin a release of the catalog, like %s", [app, version, concat(", ", object.get(facts, "versions", []))])
}

denials contains msg if {
	app_change
	change.after != null
	some name, p in object.get(facts, "parameters", {})
	is_number(p.max)
	p.value > p.max
	msg := sprintf("[apps.out_of_bounds] %s=%s is above the catalog's maximum %s for %s", [name, p.text, p.max_text, app])
}

denials contains msg if {
	app_change
	change.after != null
	some name, p in object.get(facts, "parameters", {})
	is_number(p.min)
	p.value < p.min
	msg := sprintf("[apps.out_of_bounds] %s=%s is below the catalog's minimum %s for %s", [name, p.text, p.min_text, app])
}

denials contains msg if {
	app_change
	change.after != null
	over := [sprintf("%s %s of its %s", [r, q.requested_text, q.limit_text]) |
		some r, q in object.get(facts, "quota", {})
		q.requested > q.limit
	]
	count(over) > 0
	msg := sprintf("[apps.quota] %s would request %s (the namespace's quota in govbot.yaml, over all its apps)", [change.namespace, concat(", ", over)])
}

denials contains msg if {
	app_change
	change.after != null
	object.get(facts, ["taken", "service"], false) == true
	msg := sprintf("[apps.name_taken] %s is a governed service in %s/%s; deploy the app under another name (as <name>)", [change.target, change.env, change.namespace])
}

denials contains msg if {
	app_change
	change.after != null
	not purge
	taken := object.get(facts, ["taken", "app"], null)
	is_string(taken)
	taken != app
	msg := sprintf("[apps.name_taken] %s already runs %s in %s/%s; /undeploy it first or deploy as another name", [change.target, taken, change.env, change.namespace])
}

# Deleting an app's data in prod takes two approvals, whatever the environment asks.
default approvals_at_least := 0

approvals_at_least := 2 if {
	app_change
	change.env == "prod"
	purge
}
