# Data and inputs shared by the Rego tests, so that a test does not depend on the
# govbot.yaml and access.yaml of the repository it runs in.
package govbot.fixtures

import rego.v1

limits := {
	"canaryMaxStep": 100,
	"blueGreenSwitch": "allow",
	"rateLimitMinWindow": "50ms",
	"rateLimitMaxRequests": 1000000,
	"faultRequireTimebox": false,
	"faultMaxDuration": "1h",
	"faultMaxAbortPercent": 100,
	"timeoutMin": "1ms",
	"timeoutMax": "60s",
	"retriesMax": 5,
	"retryBudget": "warn",
	"maxEjectionPercent": 100,
}

prod_limits := object.union(limits, {
	"canaryMaxStep": 25,
	"blueGreenSwitch": "deny",
	"faultRequireTimebox": true,
	"faultMaxAbortPercent": 50,
	"retryBudget": "deny",
	"maxEjectionPercent": 50,
})

# Deliberately unlike the template, so tests show the limits come from the config.
strict_limits := {
	"rateLimitMinWindow": "1s",
	"rateLimitMaxRequests": 100,
	"faultRequireTimebox": true,
	"faultMaxDuration": "10m",
	"timeoutMin": "100ms",
	"timeoutMax": "10s",
	"retriesMax": 2,
	"retryBudget": "deny",
	"maxEjectionPercent": 20,
}

config := {
	"environments": {
		"dev": {"approvals": {"required": 1}, "limits": limits, "namespaces": {"demo": {"maxReplicas": 20}}},
		"prod": {
			"approvals": {"required": 2, "from": ["sre"], "deescalation": {"required": 1, "from": ["sre"]}},
			"limits": prod_limits,
			"namespaces": {"demo": {"maxReplicas": 20}},
		},
		"strict": {"limits": strict_limits, "namespaces": {"demo": {"maxReplicas": 4}}},
		"stage": {},
	},
	"trustDomain": "cluster.local",
	"ingressGateway": {"caller": "istio-system/istio-ingressgateway", "serviceAccount": "istio-ingressgateway-service-account"},
	"governance": {"approvals": {"required": 2, "from": ["sre"]}},
}

access := {
	"people": {
		"alice": {"name": "Alice Wang", "email": "alice@example.com"},
		"bob": {"name": "Bob Li", "email": "bob@example.com"},
		"carol": {"name": "Carol Zhang", "email": "carol@example.com"},
		"dave": {"name": "Dave Chen", "email": "dave@example.com"},
		"erin": {"name": "Erin Wu", "email": "erin@example.com"},
		"olga": {"name": "Olga Sun", "email": "olga@example.com"},
	},
	"groups": {"team": ["alice"], "sre": ["bob", "carol", "dave"], "ops": ["erin"]},
	"grants": [
		{"group": "team", "envs": ["dev", "prod"], "namespaces": ["demo"], "can": ["request"]},
		{"group": "sre", "envs": ["dev", "prod"], "namespaces": ["*"], "can": ["request", "approve"]},
		{"group": "ops", "envs": ["dev", "prod"], "namespaces": ["demo"], "can": ["approve"]},
		{"person": "olga", "envs": ["*"], "namespaces": ["shop"], "can": ["request"]},
	],
}

# A ServicePolicy with a canary weight (null: no release section).
policy(weight) := {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy", "spec": spec} if {
	weight != null
	spec := {"release": {"strategy": "canary", "canaryWeight": weight}}
} else := {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy", "spec": {}}

# A ServicePolicy with a local rate limit.
limited(enabled, requests, per) := {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy", "spec": {
	"rateLimit": {"enabled": enabled, "requests": requests, "per": per},
}}

# A ServicePolicy with an abort fault (null: none), a 2s delay on 5%, and an expiry
# (null: none).
faulty(enabled, abort, expires) := {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy", "spec": {"fault": fault}} if {
	base := {"enabled": enabled, "delay": {"fixed": "2s", "percent": 5}}
	with_abort := object.union(base, {"abort": abort | abort != null})
	fault := object.union(with_abort, {"expires": expires | expires != null})
}

# A ServicePolicy with `spec` (plus versions v1/v2 when it names none).
service(spec) := {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy", "spec": object.union(
	{"port": 8080, "selector": {"app": "svc-user"}, "versions": {"stable": "v1", "canary": "v2"}},
	spec,
)}

# alice changes svc-user in <env>/demo from `before` to `after` (documents or null).
change(action, env, before, after) := {
	"action": action,
	"actor": {"id": "alice", "groups": ["team"]},
	"env": env,
	"namespace": "demo",
	"target": "svc-user",
	"path": sprintf("services/%s/demo/svc-user.yaml", [env]),
	"before": before,
	"after": after,
	"approvals": [],
	"now": "2026-11-27T10:00:00Z",
}

canary(env, from, to) := change("canary", env, policy(from), policy(to))

# `doc` requested by `person` instead of alice.
requested_by(doc, person) := object.union(doc, {"actor": {"id": person, "groups": []}})

# `doc` with approvals by each of `people`.
approved_by(doc, people) := object.union(doc, {"approvals": [{"by": p, "at": "2026-11-27T10:05:00Z"} | some p in people]})

# `doc` in another namespace (the path follows).
in_namespace(doc, ns) := object.union(doc, {
	"namespace": ns,
	"path": sprintf("services/%s/%s/%s.yaml", [doc.env, ns, doc.target]),
})

# `doc` touching another file of the policy repository.
at_path(doc, path) := object.union(doc, {"path": path})

# The rule id a message starts with, e.g. "[release.max_step]"; a message without one
# stays whole, so that it shows up in (and fails) the test that meets it.
rule_id(msg) := id if {
	[id] := regex.find_n(`^\[[a-z_]+\.[a-z_]+\]`, msg, 1)
} else := msg

# The rule ids a concern's deny (warn) set holds for `doc`. Only `deny` and `warn` are
# looked up by a variable package name: any other rule of data.govbot.rules[_] would
# include the test rules that call these helpers, a recursion.
deny_ids(concern, doc) := {rule_id(msg) |
	some msg in data.govbot.rules[concern].deny with input as doc
		with data.govbot.config as config
		with data.govbot.access as access
}

warn_ids(concern, doc) := {rule_id(msg) |
	some msg in data.govbot.rules[concern].warn with input as doc
		with data.govbot.config as config
		with data.govbot.access as access
}

decision(doc) := d if {
	d := data.govbot.decision with input as doc
		with data.govbot.config as config
		with data.govbot.access as access
}
