package govbot.rules.review_test

import rego.v1

import data.govbot.fixtures
import data.govbot.rules.review

required(doc) := n if {
	n := review.required with input as doc
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
}

valid(doc) := n if {
	n := review.valid with input as doc
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
}

approvers(doc) := names if {
	names := review.approvers with input as doc
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
}

dev := fixtures.canary("dev", 0, 20)

prod := fixtures.canary("prod", 0, 20)

test_dev_requires_one_approval if {
	required(dev) == 1
}

test_prod_requires_two_approvals if {
	required(prod) == 2
}

test_env_without_settings_requires_one if {
	required(fixtures.canary("stage", 0, 20)) == 1
}

test_guardrail_changes_use_governance_settings if {
	every path in ["rego/rules/release.rego", "govbot.yaml", "access.yaml"] {
		required(fixtures.at_path(dev, path)) == 2
	}
}

test_files_outside_services_are_governance_changes if {
	every path in ["README.md", ".github/workflows/check.yml"] {
		required(fixtures.at_path(dev, path)) == 2
	}
}

test_self_approval_is_refused_and_not_counted if {
	doc := fixtures.approved_by(dev, ["alice"])
	"[review.self_approval]" in fixtures.deny_ids("review", doc)
	valid(doc) == 0
}

test_approval_by_approver_counts if {
	doc := fixtures.approved_by(dev, ["bob"])
	count(fixtures.deny_ids("review", doc)) == 0
	valid(doc) == 1
}

test_each_person_counts_once if {
	valid(fixtures.approved_by(prod, ["bob", "bob"])) == 1
}

test_two_sre_approvals_reach_prod_requirement if {
	valid(fixtures.approved_by(prod, ["bob", "carol"])) == 2
}

test_requester_without_approve_grant_is_not_an_approver if {
	doc := fixtures.approved_by(fixtures.requested_by(dev, "bob"), ["alice"])
	fixtures.deny_ids("review", doc) == {"[review.not_approver]"}
	valid(doc) == 0
}

test_unknown_approver_is_refused if {
	"[review.not_approver]" in fixtures.deny_ids("review", fixtures.approved_by(dev, ["mallory"]))
}

test_approve_grant_counts_without_from if {
	valid(fixtures.approved_by(dev, ["erin"])) == 1
}

test_approver_outside_from_groups_is_refused if {
	doc := fixtures.approved_by(prod, ["erin"])
	"[review.not_approver]" in fixtures.deny_ids("review", doc)
	valid(doc) == 0
}

test_approve_grant_is_scoped_to_namespace if {
	doc := fixtures.approved_by(fixtures.in_namespace(dev, "shop"), ["erin"])
	"[review.not_approver]" in fixtures.deny_ids("review", doc)
}

test_approvers_are_the_from_groups if {
	approvers(prod) == ["sre"]
}

test_approvers_are_people_who_may_still_approve if {
	doc := fixtures.approved_by(dev, ["bob"])
	approvers(doc) == ["carol", "dave", "erin"]
}

test_governance_approvers_come_from_governance_settings if {
	approvers(fixtures.at_path(dev, "access.yaml")) == ["sre"]
}

test_empty_approvals_section_requires_one if {
	cfg := {"environments": {"dev": {"approvals": null}}}
	n := data.govbot.rules.review.required with input as dev
		with data.govbot.config as cfg
		with data.govbot.access as fixtures.access
	n == 1
}

test_approver_never_counts_their_own_change if {
	doc := fixtures.approved_by(fixtures.requested_by(dev, "bob"), ["bob"])
	fixtures.deny_ids("review", doc) == {"[review.self_approval]"}
	valid(doc) == 0
}

may_reject(doc, who) if {
	review.may_reject with input as object.union(doc, {"reviewer": {"id": who}})
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
}

test_requester_may_reject_own_change if {
	may_reject(prod, "alice")
}

test_approver_may_reject if {
	may_reject(prod, "bob")
}

test_someone_without_approve_grant_may_not_reject if {
	not may_reject(prod, "olga")
}

test_no_reviewer_rejects_nothing if {
	not review.may_reject with input as prod
		with data.govbot.config as fixtures.config
		with data.govbot.access as fixtures.access
}

v12 := {"stable": "v1", "canary": "v2"}

canary_of(weight) := fixtures.service({"versions": v12, "release": {"strategy": "canary", "canaryWeight": weight}})

abort_prod := fixtures.change("canary", "prod", canary_of(20), canary_of(0))

raise_prod := fixtures.change("canary", "prod", canary_of(0), canary_of(20))

fault_off_prod := fixtures.change("fault", "prod",
	fixtures.service({"fault": {"enabled": true, "abort": {"httpStatus": 503, "percent": 10}}}),
	fixtures.service({"fault": {"enabled": false, "abort": {"httpStatus": 503, "percent": 10}}}))

# `doc` approved by `person` with break-glass and `reason`.
break_glass(doc, person, reason) := object.union(doc, {"approvals": [{"by": person, "at": "2026-11-27T10:05:00Z", "break_glass": true, "reason": reason}]})

test_a_deescalation_in_prod_needs_one_sre if {
	required(abort_prod) == 1
	required(fault_off_prod) == 1
	valid(fixtures.approved_by(abort_prod, ["bob"])) == 1
	approvers(abort_prod) == ["sre"]
}

test_the_deescalation_path_keeps_its_groups if {
	doc := fixtures.approved_by(abort_prod, ["erin"])
	"[review.not_approver]" in fixtures.deny_ids("review", doc)
	valid(doc) == 0
}

test_anything_else_in_prod_still_needs_two if {
	required(raise_prod) == 2
	synced := object.union(canary_of(20), {"metadata": {"annotations": {"govbot.dev/sync": "2026-11-27T10:00:00Z"}}})
	required(fixtures.change("sync", "prod", canary_of(20), synced)) == 2
}

test_without_a_deescalation_setting_a_deescalation_needs_the_usual if {
	required(fixtures.change("canary", "dev", canary_of(20), canary_of(0))) == 1
	cfg := json.patch(fixtures.config, [{"op": "remove", "path": "/environments/prod/approvals/deescalation"}])
	n := review.required with input as abort_prod
		with data.govbot.config as cfg
		with data.govbot.access as fixtures.access
	n == 2
}

test_break_glass_counts_an_sre_own_deescalation if {
	doc := break_glass(fixtures.requested_by(abort_prod, "bob"), "bob", "INC-7: v2 answers 500")
	count(fixtures.deny_ids("review", doc)) == 0
	valid(doc) == 1
	off := break_glass(fixtures.requested_by(fault_off_prod, "carol"), "carol", "stop the test")
	valid(off) == 1
}

test_break_glass_needs_a_reason if {
	every reason in ["", "   ", null, 7] {
		doc := break_glass(fixtures.requested_by(abort_prod, "bob"), "bob", reason)
		"[review.self_approval]" in fixtures.deny_ids("review", doc)
		valid(doc) == 0
	}
	no_reason := object.union(fixtures.requested_by(abort_prod, "bob"), {"approvals": [{"by": "bob", "break_glass": true}]})
	"[review.self_approval]" in fixtures.deny_ids("review", no_reason)
}

test_break_glass_is_only_for_deescalations if {
	doc := break_glass(fixtures.requested_by(raise_prod, "bob"), "bob", "INC-7")
	"[review.self_approval]" in fixtures.deny_ids("review", doc)
	valid(doc) == 0
}

test_break_glass_is_only_for_the_deescalation_groups if {
	# erin may approve in prod/demo, but is not of sre
	doc := break_glass(fixtures.requested_by(abort_prod, "erin"), "erin", "INC-7")
	"[review.self_approval]" in fixtures.deny_ids("review", doc)
	valid(doc) == 0
	alice := break_glass(abort_prod, "alice", "INC-7")
	"[review.self_approval]" in fixtures.deny_ids("review", alice)
}

test_break_glass_needs_named_groups if {
	# dev has no deescalation setting: an own approval never counts there
	doc := break_glass(fixtures.requested_by(fixtures.change("canary", "dev", canary_of(20), canary_of(0)), "bob"), "bob", "INC-7")
	"[review.self_approval]" in fixtures.deny_ids("review", doc)
	cfg := json.patch(fixtures.config, [{"op": "replace", "path": "/environments/prod/approvals/deescalation", "value": {"required": 1}}])
	open := break_glass(fixtures.requested_by(abort_prod, "bob"), "bob", "INC-7")
	ids := {fixtures.rule_id(msg) | some msg in review.deny with input as open with data.govbot.config as cfg with data.govbot.access as fixtures.access}
	"[review.self_approval]" in ids
}

test_break_glass_is_not_for_the_guardrails if {
	doc := break_glass(fixtures.at_path(fixtures.requested_by(abort_prod, "bob"), "govbot.yaml"), "bob", "INC-7")
	"[review.self_approval]" in fixtures.deny_ids("review", doc)
}
