# Separation of duties and approvals. An approval counts when it comes from someone
# other than the requester who holds an `approve` grant for the env and namespace (for
# rego/, govbot.yaml and access.yaml: anywhere) and, when `approvals.from` lists
# groups, belongs to one of them. Each person counts once. The number required is
# environments.<env>.approvals.required, or governance.approvals.required for changes
# to the guardrails themselves, or templates.approvals.required for saved policy
# templates (templates/); default 1.
#
# A de-escalation (govbot.lib.risk: /canary abort, /fault off, ...) takes the faster
# path of environments.<env>.approvals.deescalation ({required, from}) when it is set.
#
# Break-glass: an approval item of the input may carry a flag and a reason,
#
#   {"by": "bob", "at": "2026-11-27T10:05:00Z", "break_glass": true,
#    "reason": "INC-1234: v2 answers 500"}
#
# and then the requester's own approval counts, only for a de-escalation, only when
# approvals.deescalation.from names groups and the requester is a member holding an
# approve grant there, and only with a reason that is not blank. Any other own approval
# is [review.self_approval].
package govbot.rules.review

import rego.v1

import data.govbot.lib.access
import data.govbot.lib.change
import data.govbot.lib.config
import data.govbot.lib.risk

requester := change.requester

# An empty `approvals:` in YAML is null; the defaults apply.
approvals_section := section if {
	section := config.approvals(change.env, change.path)
	is_object(section)
} else := {}

deescalation_section := section if {
	not config.governance_path(change.path)
	risk.deescalation
	section := object.get(approvals_section, "deescalation", null)
	is_object(section)
}

default deescalation_path := false

deescalation_path if deescalation_section

settings := deescalation_section if {
	deescalation_path
} else := object.remove(approvals_section, ["deescalation"])

# A concern may raise the number for its changes (apps: a purge in prod takes two).
required := max({object.get(settings, "required", 1), data.govbot.rules.apps.approvals_at_least})

from_groups := object.get(settings, "from", [])

approved_by contains by if {
	some a in change.approvals
	by := object.get(a, "by", "")
}

valid_by contains by if {
	some by in approved_by
	by != requester
	eligible(by)
}

valid_by contains requester if break_glass

# The requester's own approval with break-glass, where it counts.
break_glass if {
	deescalation_path
	count(from_groups) > 0
	eligible(requester)
	some a in change.approvals
	object.get(a, "by", "") == requester
	object.get(a, "break_glass", false) == true
	reason := object.get(a, "reason", "")
	is_string(reason)
	trim_space(reason) != ""
}

valid := count(valid_by)

eligible(person) if {
	may_approve(person)
	in_from_groups(person)
}

may_approve(person) if {
	config.governance_path(change.path)
	access.can_anywhere(person, "approve")
}

may_approve(person) if {
	not config.governance_path(change.path)
	access.can(person, "approve", change.env, change.namespace)
}

in_from_groups(_) if count(from_groups) == 0

in_from_groups(person) if {
	some group in from_groups
	access.member(person, group)
}

# Who may still approve: the groups of `approvals.from` when it is set, else the
# people holding an approve grant here who are not the requester and have not
# approved yet.
approvers := sort(from_groups) if {
	count(from_groups) > 0
} else := sort([person |
	some person in object.keys(access.people)
	person != requester
	not person in valid_by
	eligible(person)
])

# Who may close the change without merging it: its requester, or anyone who may
# approve it. The reviewer is named by the input of a /reject.
default may_reject := false

may_reject if {
	change.reviewer != ""
	change.reviewer == requester
}

may_reject if {
	change.reviewer != ""
	change.reviewer != requester
	may_approve(change.reviewer)
}

deny contains msg if {
	requester in approved_by
	not break_glass
	msg := sprintf("[review.self_approval] %s requested this change and may not approve it%s", [requester, break_glass_hint])
}

break_glass_hint := sprintf(" (on a de-escalation, break-glass with a reason counts for a member of %s)", [concat(", ", from_groups)]) if {
	deescalation_path
	count(from_groups) > 0
} else := ""

deny contains msg if {
	some by in approved_by
	by != requester
	not eligible(by)
	msg := sprintf("[review.not_approver] %s may not approve changes in %s", [by, scope])
}

warn := set()

scope := "the policy templates" if {
	config.template_path(change.path)
} else := "the guardrails" if {
	config.governance_path(change.path)
} else := sprintf("%s/%s%s", [change.env, change.namespace, from_text])

from_text := sprintf(" (approvals come from %s)", [concat(", ", from_groups)]) if {
	count(from_groups) > 0
} else := ""
