# Exposure through the ingress gateway (`exposed: {hosts: [...], gateway: ...}`). Where
# govbot.yaml lists the domains the gateway serves (ingressGateway.domains), every host
# a change exposes must be one of them or lie under one, so a service cannot claim a
# name the gateway's certificates and DNS do not cover (or another team's domain).
# Without the setting any host passes. A wildcard host (*.shop.example.com) is judged
# by the name after `*.`. Only a change to `exposed` is judged.
package govbot.rules.exposure

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.config

# Judged only for a change of the exposure: the rule below needs one (`judged`).
# For any other change `deny` is empty without evaluating them; tests/guard/
# test_relevance.py holds `deny` to `denials` over a corpus of changes of every kind.
default relevant := false

relevant if change.touches({"exposed"})

default deny := set()

deny := denials if relevant

hosts := object.get(change.section(change.after, "exposed"), "hosts", [])

judged if {
	change.touches({"exposed"})
	is_array(hosts)
	count(config.ingress_domains) > 0
}

denials contains msg if {
	judged
	some host in hosts
	is_string(host)
	not allowed(trim_prefix(host, "*."))
	msg := sprintf("[exposure.domain] %s: %s is not under a domain the ingress gateway serves (%s); expose a host under one of them, like user.%s",
		[change.target, host, concat(", ", config.ingress_domains), config.ingress_domains[0]])
}

allowed(host) if {
	some domain in config.ingress_domains
	host == domain
}

allowed(host) if {
	some domain in config.ingress_domains
	endswith(host, concat("", [".", domain]))
}

warn := set()
