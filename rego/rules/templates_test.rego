# Saved policy templates (templates/<name>.yaml): their own class of file, with their own
# approvals (templates.approvals, default one), requested and approved by grants held
# anywhere — not the guardrails' governance.approvals.
package govbot.rules.templates_test

import rego.v1

import data.govbot.fixtures
import data.govbot.rules.review

template_save := object.union(fixtures.at_path(fixtures.canary("dev", 0, 20), "templates/resilient.yaml"), {
	"action": "template-save",
	"target": "templates/resilient",
	"before": null,
	"after": null,
})

strict_templates := object.union(fixtures.config, {"templates": {"approvals": {"required": 2, "from": ["sre"]}}})

required(doc, cfg) := n if {
	n := review.required with input as doc
		with data.govbot.config as cfg
		with data.govbot.access as fixtures.access
}

valid(doc) := n if {
	n := review.valid with input as doc
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
}

test_a_template_needs_one_approval_by_default if {
	required(template_save, fixtures.config) == 1
}

test_a_template_is_not_judged_by_the_guardrails_approvals if {
	# fixtures.config asks 2 from sre for governance changes
	required(fixtures.at_path(template_save, "rego/rules/release.rego"), fixtures.config) == 2
	required(template_save, fixtures.config) != 2
}

test_templates_approvals_set_the_number_and_the_groups if {
	required(template_save, strict_templates) == 2
	names := review.approvers with input as template_save
		with data.govbot.config as strict_templates
		with data.govbot.access as fixtures.access
	names == ["sre"]
}

test_anyone_who_may_approve_somewhere_counts if {
	# erin (ops) may approve in dev and prod demo only
	valid(fixtures.approved_by(template_save, ["erin"])) == 1
}

test_the_requester_never_approves_their_own_template if {
	doc := fixtures.approved_by(template_save, ["alice"])
	"[review.self_approval]" in fixtures.deny_ids("review", doc)
	valid(doc) == 0
}

test_a_request_grant_anywhere_may_save_a_template if {
	# olga may request only in the namespace shop
	doc := fixtures.requested_by(template_save, "olga")
	count(fixtures.deny_ids("authorization", doc)) == 0
}

test_without_a_request_grant_a_template_is_refused if {
	# erin holds approve grants only
	doc := fixtures.requested_by(template_save, "erin")
	"[authorization.no_grant]" in fixtures.deny_ids("authorization", doc)
}

test_other_files_under_templates_are_governance_changes if {
	required(fixtures.at_path(template_save, "templates/README.md"), fixtures.config) == 2
}
