# Change freezes (封网): environments.<env>.freezes of govbot.yaml declares windows in
# which the environment takes no change that raises risk:
#
#   freezes:
#     - {name: year-end, from: "2026-12-24 00:00", to: "2027-01-02 08:00", timeZone: Asia/Shanghai}
#     - {name: weekend, every: friday 18:00, until: monday 08:00, timeZone: Asia/Shanghai}
#
# A window is half-open — frozen from its start, free again at its end — and compared in
# the wall-clock time of its zone (default UTC): input.now is read as the zone's date and
# clock, so daylight saving needs no arithmetic. A weekly window whose `until` comes
# before its `every` wraps the week. policies/freeze.py (the /freeze listing) reads the
# windows the same way, and a test holds both to the same answer on many instants.
# A window `govbot check` refuses (no name, a bad date, an unknown weekday, an unknown
# key, both forms or neither) is left out here. The engine knows no list of time zones:
# an unknown zone in the change's environment stops the decision with OPA's error naming
# it, which is why `govbot check` refuses one before it reaches main. `exempt` is decided
# before any window is read on the clock, so a de-escalation or a fix of govbot.yaml never
# meets that error; an environment without windows skips it.
#
# What passes during a freeze:
# - De-escalations (govbot.lib.risk: /canary abort, /fault off, a switch back to stable):
#   a freeze stops risk from rising; it must never keep a bad version serving or a fault
#   injecting.
# - Break-glass, only with its reason: the requester's own approval of a de-escalation,
#   flagged and with a reason that is not blank (govbot.rules.review). Break-glass does
#   not carry a change that raises risk through a freeze: it exists so that one person
#   can lower risk when no second approver is at hand, and letting one person's flag
#   raise risk during a freeze would undo both safeguards at once. A team that must ship
#   something else during a window changes govbot.yaml (shortens or ends the window),
#   reviewed under governance.approvals and kept in the history.
# - Changes of the guardrails themselves (govbot.yaml, access.yaml, rego/): never frozen,
#   so that a window can be corrected or lifted while it holds.
# - govbot's revert of a time box that ended (govbot.rules.expiry): the time-boxed policy
#   was approved only until then; a freeze must not stretch it past its end.
#
# An approved change that waits to merge when a window starts is denied at its merge
# like any other; it stays open with its approvals and merges once the window has ended,
# when govbot's sweep decides again.
package govbot.rules.schedule

import rego.v1

import data.govbot.lib.change
import data.govbot.lib.clock
import data.govbot.lib.config
import data.govbot.lib.risk
import data.govbot.rules.expiry
import data.govbot.rules.review

keys := {"name", "from", "to", "every", "until", "timeZone"}

weekdays := ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

week_s := 604800

deny contains msg if {
	count(windows) > 0 # reads no clock
	not exempt
	some window in windows
	end := ends(window)
	msg := sprintf(
		"[schedule.freeze] %s is frozen until %s %s (%s); only de-escalations and break-glass changes pass",
		[change.env, end, zone(window), window.name],
	)
}

warn := set()

default exempt := false

exempt if risk.deescalation

exempt if review.break_glass

exempt if guardrail_path(change.path)

exempt if count(expiry.automatic) > 0

guardrail_path(path) if path in {"govbot.yaml", "access.yaml"}

guardrail_path(path) if startswith(path, "rego/")

# The windows of the change's environment that govbot check accepts.
windows contains window if {
	change.env != ""
	declared := config.env_setting(change.env, ["freezes"], [])
	is_array(declared)
	some window in declared
	well_formed(window)
}

well_formed(window) if {
	is_object(window)
	every key in object.keys(window) {
		key in keys
	}
	is_string(window.name)
	trim_space(window.name) != ""
	zone(window)
	fixed(window) != weekly(window)
	valid_span(window)
}

fixed(window) := count({"from", "to"} & object.keys(window)) > 0

weekly(window) := count({"every", "until"} & object.keys(window)) > 0

valid_span(window) if {
	fixed(window)
	date_text(window.from)
	date_text(window.to)
	window.from < window.to
}

valid_span(window) if {
	weekly(window)
	start := week_seconds(window.every)
	end := week_seconds(window.until)
	start != end
}

zone(window) := name if {
	name := object.get(window, "timeZone", "UTC")
	is_string(name)
	regex.match(`^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$`, name)
}

# "YYYY-MM-DD HH:MM" naming a real day; such texts order as their times do.
date_text(text) if {
	is_string(text)
	regex.match(`^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]$`, text)
	to_number(substring(text, 8, 2)) <= clock.month_days(to_number(substring(text, 0, 4)), to_number(substring(text, 5, 2)))
}

# "<weekday> HH:MM" as seconds after Monday 00:00.
week_seconds(text) := seconds if {
	is_string(text)
	parts := regex.find_all_string_submatch_n(`^([a-z]+)\s+([01][0-9]|2[0-3]):([0-5][0-9])$`, lower(trim_space(text)), 1)
	count(parts) == 1
	some day, name in weekdays
	name == parts[0][1]
	seconds := ((day * 86400) + (to_number(parts[0][2]) * 3600)) + (to_number(parts[0][3]) * 60)
}

now_ns := clock.instant_ns(change.now)

# input.now on the wall clock of `tz`: "YYYY-MM-DD HH:MM:SS".
local_now(tz) := sprintf("%04d-%02d-%02d %02d:%02d:%02d", array.concat(time.date([now_ns, tz]), time.clock([now_ns, tz])))

# Where input.now falls in the week of `tz`, in seconds after Monday 00:00.
local_week_seconds(tz) := seconds if {
	some day, name in weekdays
	name == lower(time.weekday([now_ns, tz]))
	[hour, minute, second] := time.clock([now_ns, tz])
	seconds := (((day * 86400) + (hour * 3600)) + (minute * 60)) + second
}

# When the window ends, on its zone's wall clock ("YYYY-MM-DD HH:MM"), if it holds now.
ends(window) := window.to if {
	fixed(window)
	now := local_now(zone(window))
	window.from <= now
	now < window.to
}

ends(window) := end if {
	weekly(window)
	tz := zone(window)
	start := week_seconds(window.every)
	into := modulo(local_week_seconds(tz) - start, week_s)
	length := modulo(week_seconds(window.until) - start, week_s)
	into < length
	wall_ns := time.parse_ns("2006-01-02 15:04:05", local_now(tz))
	end := time.format([wall_ns + ((length - into) * 1000000000), "UTC", "2006-01-02 15:04"])
}

modulo(a, b) := ((a % b) + b) % b
