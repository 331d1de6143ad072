# Settings of govbot.yaml as the rules read them, with the documented defaults.
#
# Limits live in environments.<env>.limits; an environment (or a govbot.yaml) without
# one gets the default below, so every rule has a bound even on a bare repository:
#
#   canaryMaxStep         100     points of traffic a non-stable version may gain in one
#                                 change (a canary step, a promote, a blue-green switch)
#   blueGreenSwitch       deny    allow: a blue-green switch may move more than
#                                 canaryMaxStep at once; deny: it may not
#   rateLimitMinWindow    50ms    shortest local rate limit window
#   rateLimitMaxRequests  1000000 requests per window
#   faultRequireTimebox   false   faults must carry `expires` (prod: true)
#   faultMaxDuration      1h      how far ahead `expires` may lie, where time-boxed
#   faultMaxAbortPercent  100     share of requests a fault may abort (prod: 50)
#   timeoutMin            1ms     shortest route timeout (Istio's own minimum)
#   timeoutMax            60s     longest route timeout
#   retriesMax            5       retry attempts per request
#   retryBudget           warn    attempts × perTryTimeout > timeout: warn | deny | off
#   maxEjectionPercent    100     share of hosts outlier detection may eject (prod: 50)
#
# environments.<env>.approvals: {required, from} for a change, and its `deescalation`
# ({required, from}) for a change that only lowers risk (govbot.lib.risk); without
# `deescalation` those need what any change needs.
# environments.<env>.namespaces.<ns>.maxReplicas bounds autoscaling (default 20).
# environments.<env>.namespaces.<ns>.mesh is the namespace's data plane, sidecar (the
# default) or ambient; at the top level gatewayApi.channel says which Gateway API channel
# the cluster installed (standard, the default, or experimental: HTTPRoute retries) and
# ambient.faultInjection (off, the default, or alpha) opts in to the alpha VirtualService
# path for faults in ambient namespaces — `mesh` reads all three (rules/mesh.rego).
# Top level: trustDomain (default cluster.local); ingressGateway.caller (default
# istio-system/istio-ingressgateway), the caller an exposed service's whitelist keeps;
# ingressGateway.domains (default none: any host), the DNS domains the gateway serves,
# under which every exposed host must lie ([exposure.domain]).
package govbot.lib.config

import rego.v1

import data.govbot.lib.clock

defaults := {
	"canaryMaxStep": 100,
	"blueGreenSwitch": "deny",
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

default_max_replicas := 20

default_ingress_caller := "istio-system/istio-ingressgateway"

# The environment's setting at `path` below environments.<env>, or `fallback`.
env_setting(env, path, fallback) := object.get(
	data.govbot.config,
	array.concat(["environments", env], path),
	fallback,
)

# A limit of environments.<env>.limits, or its documented default.
limit(env, name, fallback) := env_setting(env, ["limits", name], fallback)

# A limit of environments.<env>.limits, or its default from `defaults`.
setting(env, name) := limit(env, name, defaults[name])

# A numeric limit; a setting that is not a number falls back to the default, never to
# no limit.
number(env, name) := value if {
	value := setting(env, name)
	is_number(value)
} else := defaults[name]

# A duration limit in nanoseconds, with the same fallback.
duration_ns(env, name) := ns if {
	ns := clock.duration_ns(setting(env, name))
} else := clock.duration_ns(defaults[name])

# The autoscaling ceiling of a namespace.
max_replicas(env, namespace) := value if {
	value := env_setting(env, ["namespaces", namespace, "maxReplicas"], default_max_replicas)
	is_number(value)
} else := default_max_replicas

# The data plane of a namespace, as policies/mesh.py reads it: a value `govbot check`
# refuses counts as the default.
mesh(env, namespace) := {
	"mode": mesh_mode(env, namespace),
	"channel": gateway_api_channel,
	"faultInjection": fault_injection,
}

mesh_mode(env, namespace) := value if {
	value := env_setting(env, ["namespaces", namespace, "mesh"], "sidecar")
	value in {"sidecar", "ambient"}
} else := "sidecar"

gateway_api_channel := value if {
	value := object.get(data.govbot.config, ["gatewayApi", "channel"], "standard")
	value in {"standard", "experimental"}
} else := "standard"

fault_injection := "alpha" if {
	object.get(data.govbot.config, ["ambient", "faultInjection"], "off") == "alpha"
} else := "off"

# The caller ("<ns>/<svc>") that an exposed service's whitelist must keep.
ingress_caller := value if {
	value := object.get(data.govbot.config, ["ingressGateway", "caller"], default_ingress_caller)
	is_string(value)
	value != ""
} else := default_ingress_caller

# The domains an exposed host must lie under: the strings of ingressGateway.domains,
# lowercase, without a leading dot; [] when the setting is absent or not a list.
ingress_domains := [trim_prefix(lower(domain), ".") |
	some domain in object.get(data.govbot.config, ["ingressGateway", "domains"], [])
	is_string(domain)
	domain != ""
] if {
	is_array(object.get(data.govbot.config, ["ingressGateway", "domains"], []))
} else := []

# Changes to the guardrails themselves: govbot.yaml, access.yaml and rego/ — and any
# other file outside services/ and apps/ (a CI workflow can switch a check off as well);
# templates/ (template_path) is judged as one of them, with its own approvals.
governance_path(path) if path in {"govbot.yaml", "access.yaml"}

governance_path(path) if startswith(path, "rego/")

governance_path(path) if {
	not startswith(path, "services/")
	not startswith(path, "apps/")
}

# Saved policy templates (templates/<name>.yaml, /template save) are repository-wide
# like the guardrails — requested and approved by grants anywhere — but they are not
# guardrails: they have their own approvals, templates.approvals (default: one approval).
template_path(path) if {
	startswith(path, "templates/")
	endswith(path, ".yaml")
}

# The approvals section that applies to a change of `path` in `env`.
approvals(env, path) := object.get(data.govbot.config, ["templates", "approvals"], {}) if {
	template_path(path)
} else := object.get(data.govbot.config, ["governance", "approvals"], {}) if {
	governance_path(path)
} else := env_setting(env, ["approvals"], {})
