package govbot.lib.access_test

import rego.v1

import data.govbot.fixtures
import data.govbot.lib.access

test_group_grant_applies_to_members if {
	access.can("alice", "request", "dev", "demo") with data.govbot.access as fixtures.access
}

test_grant_is_limited_to_its_verbs if {
	not access.can("alice", "approve", "dev", "demo") with data.govbot.access as fixtures.access
}

test_wildcards_match_any_env_and_namespace if {
	access.can("bob", "approve", "prod", "anything") with data.govbot.access as fixtures.access
	access.can("olga", "request", "qa", "shop") with data.govbot.access as fixtures.access
}

test_unknown_person_holds_no_grant if {
	acc := object.union(fixtures.access, {"groups": {"sre": ["ghost"]}})
	not access.can("ghost", "request", "dev", "demo") with data.govbot.access as acc
}

test_missing_access_data_grants_nothing if {
	not access.can("alice", "request", "dev", "demo") with data.govbot.access as {}
}
