package govbot.lib.risk_test

import rego.v1

import data.govbot.fixtures
import data.govbot.lib.risk

moved(doc) := n if {
	n := risk.moved with input as doc
}

deescalation(doc) if {
	risk.deescalation with input as doc
}

canary(weight, versions) := json.patch(
	fixtures.service({"release": {"strategy": "canary", "canaryWeight": weight}}),
	[{"op": "replace", "path": "/spec/versions", "value": versions}],
)

blue_green(active) := fixtures.service({"release": {"strategy": "blueGreen", "active": active}})

v12 := {"stable": "v1", "canary": "v2"}

test_a_canary_step_moves_its_points if {
	moved(fixtures.change("canary", "prod", canary(10, v12), canary(35, v12))) == 25
}

test_a_promote_moves_the_rest_of_the_traffic if {
	doc := fixtures.change("canary", "prod", canary(20, v12), canary(0, {"stable": "v2"}))
	moved(doc) == 80
}

test_a_blue_green_switch_moves_everything if {
	moved(fixtures.change("bluegreen", "prod", blue_green("v1"), blue_green("v2"))) == 100
	moved(fixtures.change("bluegreen", "prod", canary(50, v12), blue_green("v2"))) == 50
}

test_back_to_stable_moves_nothing if {
	moved(fixtures.change("canary", "prod", canary(60, v12), canary(0, v12))) == 0
	moved(fixtures.change("bluegreen", "prod", blue_green("v2"), blue_green("v1"))) == 0
	moved(fixtures.change("bluegreen", "prod", canary(50, v12), blue_green("v1"))) == 0
}

test_a_new_document_starts_on_stable if {
	moved(fixtures.change("canary", "prod", null, canary(30, v12))) == 30
	moved(fixtures.change("onboard", "prod", null, fixtures.service({}))) == 0
}

test_abort_is_a_deescalation if {
	deescalation(fixtures.change("canary", "prod", canary(20, v12), canary(0, v12)))
	deescalation(fixtures.change("bluegreen", "prod", blue_green("v2"), blue_green("v1")))
}

test_dropping_the_release_is_no_deescalation if {
	not deescalation(fixtures.change("rollback", "prod", canary(20, v12), fixtures.service({})))
}

# /sync stamps the document's metadata and changes no setting.
synced(doc) := object.union(doc, {"metadata": {"annotations": {"govbot.dev/sync": "2026-11-27T10:00:00Z"}}})

test_a_sync_moves_nothing_and_is_no_deescalation if {
	doc := fixtures.change("sync", "prod", canary(20, v12), synced(canary(20, v12)))
	moved(doc) == 0
	not deescalation(doc)
}

test_moving_traffic_out_is_no_deescalation if {
	not deescalation(fixtures.change("canary", "prod", canary(20, v12), canary(30, v12)))
	not deescalation(fixtures.change("canary", "prod", canary(20, v12), canary(0, {"stable": "v2"})))
}

fault(spec) := fixtures.service({"fault": spec})

abort := {"httpStatus": 503, "percent": 10}

delay := {"fixed": "2s", "percent": 5}

test_turning_a_fault_off_is_a_deescalation if {
	on := fault({"enabled": true, "abort": abort, "expires": "2026-11-27T10:30:00Z"})
	deescalation(fixtures.change("fault", "prod", on, fault({"enabled": false, "abort": abort, "expires": "2026-11-27T10:30:00Z"})))
	deescalation(fixtures.change("fault", "prod", on, fixtures.service({})))
}

test_dropping_one_part_of_a_fault_is_a_deescalation if {
	both := fault({"enabled": true, "abort": abort, "delay": delay})
	deescalation(fixtures.change("fault", "prod", both, fault({"enabled": true, "delay": delay})))
	deescalation(fixtures.change("fault", "prod", both, fault({"enabled": true, "abort": abort})))
}

test_changing_a_fault_is_no_deescalation if {
	both := fault({"enabled": true, "abort": abort, "delay": delay})
	worse := fault({"enabled": true, "abort": {"httpStatus": 503, "percent": 50}})
	not deescalation(fixtures.change("fault", "prod", both, worse))
	later := fault({"enabled": true, "abort": abort, "delay": delay, "expires": "2026-11-28T10:30:00Z"})
	not deescalation(fixtures.change("fault", "prod", both, later))
	not deescalation(fixtures.change("fault", "prod", fault({"enabled": false, "abort": abort}), fault({"enabled": true, "abort": abort})))
}

test_anything_else_in_the_change_spoils_it if {
	before := canary(20, v12)
	after := object.union(canary(0, v12), {"spec": {"timeout": "3s"}})
	not deescalation(fixtures.change("canary", "prod", before, after))
	not deescalation(fixtures.change("canary", "prod", null, canary(0, v12)))
	not deescalation(fixtures.change("canary", "prod", before, before))
	renamed := object.union(canary(0, v12), {"metadata": {"name": "svc-other"}})
	not deescalation(fixtures.change("canary", "prod", before, renamed))
}
