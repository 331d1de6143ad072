# Only people of access.yaml, holding a `request` grant for the env and namespace,
# may ask for a change; govbot itself only for a change a rule names as its own. Repository-wide changes (rego/, govbot.yaml, access.yaml)
# need a `request` grant somewhere.
package govbot.rules.authorization

import rego.v1

import data.govbot.lib.access
import data.govbot.lib.change
import data.govbot.lib.config

requester := change.requester

deny contains msg if {
	not access.known(requester)
	not automaton
	msg := sprintf("[authorization.unknown_person] %q is not a person of access.yaml", [requester])
}

# govbot itself, making a change a rule lets through as its own (data.govbot.automatic:
# the revert of a time box that ended, the next step or the abort of an approved
# progressive canary). access.yaml may not name a person govbot
# (access.reserved_person), so no one else can be it.
automaton if {
	requester == "govbot"
	not access.known("govbot")
	count(data.govbot.automatic) > 0
}

deny contains msg if {
	access.known(requester)
	not may_request
	not automaton
	msg := sprintf("[authorization.no_grant] %s has no grant to request changes in %s/%s",
		[requester, change.env, change.namespace])
}

warn := set()

may_request if {
	config.governance_path(change.path)
	access.can_anywhere(requester, "request")
}

may_request if {
	not config.governance_path(change.path)
	access.can(requester, "request", change.env, change.namespace)
}
