# Durations ("1h30m", "500ms") and instants (RFC 3339) as nanoseconds, for any input.
# OPA's time.parse_duration_ns and time.parse_rfc3339_ns stop the whole evaluation on
# text they cannot read (bad shape, overflow, a date outside 1678..2262), which would
# turn a typo in a policy document into an error instead of a deny. So durations are
# summed here from their parts, and instants are parsed only after their shape, year
# range and day of month have been checked.
package govbot.lib.clock

import rego.v1

unit_ns := {
	"ns": 1,
	"us": 1000,
	"µs": 1000,
	"ms": 1000000,
	"s": 1000000000,
	"m": 60000000000,
	"h": 3600000000000,
}

# The nanoseconds of a Go duration such as "2s" or "1h30m"; undefined for anything else.
duration_ns(text) := total if {
	is_string(text)
	regex.match(`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, text)
	parts := regex.find_all_string_submatch_n(`([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)`, text, -1)
	total := sum([ns |
		some part in parts
		ns := to_number(part[1]) * unit_ns[part[2]]
	])
}

# The Unix nanoseconds of an RFC 3339 time such as "2026-11-27T12:00:00Z"; undefined
# for anything else.
instant_ns(text) := time.parse_rfc3339_ns(text) if valid_instant(text)

valid_instant(text) if {
	is_string(text)
	regex.match(
		`^(19[0-9]{2}|2[01][0-9]{2}|22[0-5][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`,
		text,
	)
	year := to_number(substring(text, 0, 4))
	month := to_number(substring(text, 5, 2))
	to_number(substring(text, 8, 2)) <= month_days(year, month)
}

month_days(year, month) := 29 if {
	month == 2
	leap(year)
} else := [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]

leap(year) if {
	year % 4 == 0
	year % 100 != 0
}

leap(year) if year % 400 == 0
