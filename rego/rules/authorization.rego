# Only people of access.yaml, holding a `request` grant for the env and namespace,
# may ask for a change. Repository-wide changes (rego/, govbot.yaml, access.yaml)
# need a `request` grant somewhere.
package govbot.rules.authorization

import rego.v1

import data.govbot.lib.access
import data.govbot.lib.change
import data.govbot.lib.config

requester := change.requester

deny contains msg if {
	not access.known(requester)
	not automatic_by_govbot
	msg := sprintf("[authorization.unknown_person] %q is not a person of access.yaml", [requester])
}

deny contains msg if {
	access.known(requester)
	not may_request
	not automatic_by_govbot
	msg := sprintf("[authorization.no_grant] %s has no grant to request changes in %s/%s",
		[requester, change.env, change.namespace])
}

warn := set()

# govbot is no person of access.yaml: it may make only what a rule lets through as
# automatic (the next step of an approved progressive canary, an expiry's revert).
automatic_by_govbot if {
	requester == "govbot"
	count(data.govbot.automatic) > 0
}

may_request if {
	config.governance_path(change.path)
	access.can_anywhere(requester, "request")
}

may_request if {
	not config.governance_path(change.path)
	access.can(requester, "request", change.env, change.namespace)
}
