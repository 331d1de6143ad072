# The one decision govbot asks for. Every concern under govbot.rules exports `deny` and
# `warn`; a change may be opened when nothing denies it and merged when, in addition,
# enough valid approvals exist.
package govbot

import rego.v1

import data.govbot.rules.review

# By name, under rules: aggregating data.govbot[_] from here would recurse.
deny contains msg if {
	some msg in data.govbot.rules[_].deny
}

warn contains msg if {
	some msg in data.govbot.rules[_].warn
}

# A change govbot makes on its own under a rule that names it (the revert of a time-boxed
# policy that ended, the next step of an approved progressive canary): each concern may
# export `automatic` reasons; with one, no approval is required.
automatic contains reason if {
	some reason in data.govbot.rules[_].automatic
}

required := 0 if {
	count(automatic) > 0
} else := review.required

decision := {
	"allow": count(deny) == 0,
	"deny": sort(deny),
	"warn": sort(warn),
	"approvals_required": required,
	"approvals_valid": review.valid,
	"approvers": review.approvers,
	"may_reject": review.may_reject,
	"automatic": sort(automatic),
}
