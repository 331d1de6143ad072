# What a change does to risk: how much traffic it moves to versions other than the one
# that was stable, and whether it only turns risk off (a de-escalation).
#
# Traffic shares per version come from the release: a canary sends canaryWeight percent
# to versions.canary and the rest to versions.stable; blue-green sends everything to
# `active`; a document without a release sends everything to its stable version. A
# version a document does not name reads as "<stable>" or "<canary>", so a hand-written
# document without versions is still judged.
#
# `moved` is the largest share any version gains, except the version that was stable
# before the change: a promote gains the canary the rest of the traffic, a blue-green
# switch gains the new version everything, a new canary version starts from 0%. Moving
# traffic back to the stable version gains nothing and is never limited.
#
# `deescalation` holds when the document exists before and after, and every field that
# changes only lowers risk:
#   release  traffic moves only back to the stable version (/canary abort, a lower weight,
#            /bluegreen back to stable); the versions do not change and a release stays
#   fault    it stops (off or removed), or only loses its abort or its delay
package govbot.lib.risk

import rego.v1

import data.govbot.lib.change

# The version a document names for `role` (stable, canary), or "<role>".
version(doc, role) := value if {
	is_object(doc)
	value := object.get(doc, ["spec", "versions", role], null)
	is_string(value)
} else := sprintf("<%s>", [role])

release(doc) := change.section(doc, "release")

strategy(doc) := object.get(release(doc), "strategy", "canary")

blue_green(doc) if strategy(doc) == "blueGreen"

# The traffic share of each version, in percent; undefined when the weight is no number
# (release.weight_range says so).
shares(doc) := {version(doc, "stable"): 100} if {
	release(doc) == {}
} else := {v: share |
	some v in {version(doc, "stable"), version(doc, "canary"), active(doc)}
	share := 100 * to_number(v == active(doc))
} if {
	blue_green(doc)
} else := {version(doc, "stable"): 100 - w, version(doc, "canary"): w} if {
	w := object.get(release(doc), "canaryWeight", 0)
	is_number(w)
}

active(doc) := value if {
	value := object.get(release(doc), "active", null)
	is_string(value)
} else := version(doc, "stable")

# Before a document exists, everything goes to the stable version it is created with.
before_shares := shares(change.before) if {
	is_object(change.before)
} else := {version(change.after, "stable"): 100}

stable_before := version(change.before, "stable") if {
	is_object(change.before)
} else := version(change.after, "stable")

after_shares := shares(change.after)

gains contains gain if {
	some v, share in after_shares
	v != stable_before
	gain := share - object.get(before_shares, v, 0)
}

# Points of traffic the change moves towards versions other than the stable one.
moved := max(gains | {0})

# The spec fields whose value changes.
changed := change.changed

default deescalation := false

deescalation if {
	is_object(change.before)
	is_object(change.after)
	object.remove(change.before, ["spec"]) == object.remove(change.after, ["spec"])
	count(changed) > 0
	every name in changed {
		lowered(name)
	}
}

# A document without a release leaves the split to Kubernetes (every pod of either
# version), so dropping the release is no de-escalation.
lowered("release") if {
	not "versions" in changed
	release(change.after) != {}
	moved == 0
}

lowered("fault") if not change.on(change.section(change.after, "fault"))

# Only a part stops: what stays is as it was.
lowered("fault") if {
	before := change.section(change.before, "fault")
	after := change.section(change.after, "fault")
	change.on(before)
	object.remove(before, ["abort", "delay"]) == object.remove(after, ["abort", "delay"])
	every part in {"abort", "delay"} & object.keys(after) {
		after[part] == object.get(before, part, null)
	}
}
