package govbot.rules.schedule_test

import rego.v1

import data.govbot.fixtures

# prod declares a fixed window and a weekly one that wraps the week, both in Shanghai
# (UTC+8, no daylight saving); the fixtures' dev declares none.
freezes := [
	{"name": "year-end", "from": "2026-12-24 00:00", "to": "2027-01-02 08:00", "timeZone": "Asia/Shanghai"},
	{"name": "weekend", "every": "friday 18:00", "until": "monday 08:00", "timeZone": "Asia/Shanghai"},
]

config := object.union(fixtures.config, {"environments": {"prod": {"freezes": freezes}}})

# alice raises the canary of svc-user in `env` at `now`.
raise(env, now) := object.union(fixtures.canary(env, 10, 20), {"now": now})

deny_at(doc) := {msg |
	some msg in data.govbot.rules.schedule.deny with input as doc
		with data.govbot.config as config
		with data.govbot.access as fixtures.access
}

frozen(doc) if {
	some msg in deny_at(doc)
	startswith(msg, "[schedule.freeze]")
}

# 2026-12-23 16:00 UTC is 2026-12-24 00:00 in Shanghai, a Thursday.
test_a_change_inside_a_fixed_window_is_denied_naming_it_and_its_end if {
	msgs := deny_at(raise("prod", "2026-12-28T03:00:00Z"))
	some msg in msgs
	startswith(msg, "[schedule.freeze] prod is frozen until 2027-01-02 08:00 Asia/Shanghai (year-end)")
}

test_exactly_at_from_is_frozen if {
	frozen(raise("prod", "2026-12-23T16:00:00Z"))
}

test_a_second_before_from_is_not if {
	not frozen(raise("prod", "2026-12-23T15:59:59Z"))
}

test_exactly_at_to_is_free_again if {
	# 2027-01-02 08:00 in Shanghai is a Saturday: only the weekend window still holds.
	msgs := deny_at(raise("prod", "2027-01-02T00:00:00Z"))
	every msg in msgs {
		not contains(msg, "(year-end)")
	}
	some msg in msgs
	contains(msg, "(weekend)")
}

test_a_second_before_to_is_frozen if {
	some msg in deny_at(raise("prod", "2027-01-01T23:59:59Z"))
	contains(msg, "(year-end)")
}

test_outside_every_window_nothing_is_denied if {
	# Wednesday 2026-11-25 18:00 in Shanghai.
	count(deny_at(raise("prod", "2026-11-25T10:00:00Z"))) == 0
}

test_the_weekly_window_wraps_friday_to_monday if {
	# Friday 2026-11-27 18:00 Shanghai is 10:00 UTC; Monday 2026-11-30 08:00 is 00:00 UTC.
	not frozen(raise("prod", "2026-11-27T09:59:59Z"))
	frozen(raise("prod", "2026-11-27T10:00:00Z"))
	frozen(raise("prod", "2026-11-28T12:00:00Z"))
	frozen(raise("prod", "2026-11-29T23:59:59Z"))
	not frozen(raise("prod", "2026-11-30T00:00:00Z"))
}

test_the_weekly_window_names_the_monday_it_ends if {
	some msg in deny_at(raise("prod", "2026-11-28T12:00:00Z"))
	startswith(msg, "[schedule.freeze] prod is frozen until 2026-11-30 08:00 Asia/Shanghai (weekend)")
}

test_the_zone_decides_the_weekday if {
	# Friday 20:00 UTC is already Saturday 04:00 in Shanghai, inside; Friday 09:00 UTC is
	# Friday 17:00 there, outside.
	frozen(raise("prod", "2026-11-20T20:00:00Z"))
	not frozen(raise("prod", "2026-11-20T09:00:00Z"))
}

test_a_de_escalation_inside_passes if {
	abort := object.union(fixtures.canary("prod", 20, 0), {"now": "2026-12-28T03:00:00Z"})
	not frozen(abort)
	fault_off := object.union(
		fixtures.change("fault", "prod",
			fixtures.faulty(true, {"httpStatus": 503, "percent": 10}, "2026-12-28T03:30:00Z"),
			fixtures.faulty(false, {"httpStatus": 503, "percent": 10}, "2026-12-28T03:30:00Z")),
		{"now": "2026-12-28T03:00:00Z"},
	)
	not frozen(fault_off)
}

test_break_glass_inside_passes_only_with_its_reason if {
	abort := object.union(fixtures.canary("prod", 20, 0), {"now": "2026-12-28T03:00:00Z"})
	bob := fixtures.requested_by(abort, "bob")
	glass := object.union(bob, {"approvals": [{"by": "bob", "at": "2026-12-28T03:01:00Z", "break_glass": true, "reason": "INC-9: v2 answers 500"}]})
	decision := data.govbot.decision with input as glass
		with data.govbot.config as config
		with data.govbot.access as fixtures.access
	decision.allow
	decision.approvals_valid == 1
}

test_break_glass_does_not_carry_a_raise_through_a_freeze if {
	bob := fixtures.requested_by(raise("prod", "2026-12-28T03:00:00Z"), "bob")
	glass := object.union(bob, {"approvals": [{"by": "bob", "at": "2026-12-28T03:01:00Z", "break_glass": true, "reason": "INC-9"}]})
	frozen(glass)
}

test_another_environment_is_not_frozen if {
	count(deny_at(raise("dev", "2026-12-28T03:00:00Z"))) == 0
}

test_guardrail_files_are_not_frozen if {
	doc := fixtures.at_path(raise("prod", "2026-12-28T03:00:00Z"), "govbot.yaml")
	not frozen(doc)
	not frozen(fixtures.at_path(raise("prod", "2026-12-28T03:00:00Z"), "rego/rules/schedule.rego"))
}

test_malformed_windows_are_left_out if {
	broken := [
		{"name": "", "from": "2026-12-24 00:00", "to": "2027-01-02 08:00"},
		{"name": "typo", "from": "2026-12-24 00:00", "to": "2027-01-02 08:00", "timezone": "UTC"},
		{"name": "both", "from": "2026-12-24 00:00", "to": "2027-01-02 08:00", "every": "friday 18:00", "until": "monday 08:00"},
		{"name": "backwards", "from": "2027-01-02 08:00", "to": "2026-12-24 00:00"},
		{"name": "no-day", "from": "2026-02-30 00:00", "to": "2027-01-02 08:00"},
		{"name": "funday", "every": "funday 18:00", "until": "monday 08:00"},
		{"name": "empty", "every": "friday 18:00", "until": "friday 18:00"},
		"weekend",
	]
	odd := object.union(fixtures.config, {"environments": {"prod": {"freezes": broken}}})
	msgs := {msg |
		some msg in data.govbot.rules.schedule.deny with input as raise("prod", "2026-12-28T03:00:00Z")
			with data.govbot.config as odd
			with data.govbot.access as fixtures.access
	}
	count(msgs) == 0
}

test_a_window_without_a_zone_is_in_utc if {
	utc := object.union(fixtures.config, {"environments": {"prod": {"freezes": [{"name": "night", "every": "sunday 22:00", "until": "sunday 23:00"}]}}})
	some msg in data.govbot.rules.schedule.deny with input as raise("prod", "2026-11-29T22:30:00Z")
		with data.govbot.config as utc
		with data.govbot.access as fixtures.access
	startswith(msg, "[schedule.freeze] prod is frozen until 2026-11-29 23:00 UTC (night)")
}

test_the_freeze_denies_the_whole_decision if {
	decision := data.govbot.decision with input as raise("prod", "2026-12-28T03:00:00Z")
		with data.govbot.config as config
		with data.govbot.access as fixtures.access
	not decision.allow
	some msg in decision.deny
	startswith(msg, "[schedule.freeze]")
}

# govbot ends svc-user's rate limit whose time box ended at `ended`, at `now`.
expiry_revert(now, ended) := object.union(fixtures.requested_by(
	fixtures.change(
		"expire", "prod",
		fixtures.service({"rateLimit": {"enabled": true, "requests": 5, "per": "1s", "expires": ended}}),
		fixtures.service({}),
	),
	"govbot",
), {"now": now})

test_the_revert_of_an_ended_time_box_passes_a_freeze if {
	not frozen(expiry_revert("2026-12-28T03:00:00Z", "2026-12-28T02:00:00Z"))
}

test_a_revert_before_its_time_box_ends_is_frozen_like_any_change if {
	frozen(expiry_revert("2026-12-28T03:00:00Z", "2026-12-28T04:00:00Z"))
}
