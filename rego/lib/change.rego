# The change under judgement, read from the input with a value for every absent or
# mistyped field, so that a missing field can never make a deny rule undefined (and
# so allow) nor stop the evaluation with a type error.
package govbot.lib.change

import rego.v1

env := text(object.get(input, "env", ""))

namespace := text(object.get(input, "namespace", ""))

target := text(object.get(input, "target", ""))

path := text(object.get(input, "path", ""))

action := text(object.get(input, "action", ""))

requester := text(object.get(input, ["actor", "id"], ""))

# Who is closing the change without merging it (a /reject), when someone is.
reviewer := text(object.get(input, ["reviewer", "id"], ""))

# null: the change creates (before) or deletes (after) the document.
before := object.get(input, "before", null)

after := object.get(input, "after", null)

approvals := [a | some a in list(object.get(input, "approvals", [])); is_object(a)]

text(value) := value if is_string(value)

else := ""

list(value) := value if is_array(value)

else := []

# The time of the decision, RFC 3339 UTC.
now := text(object.get(input, "now", ""))

# spec.<name> of a document, or null when the document or the field is absent.
spec_value(doc, name) := object.get(doc, ["spec", name], null) if is_object(doc)

else := null

# spec.<name> of a document as an object; {} when absent, null (an empty YAML key) or
# of another type.
section(doc, name) := value if {
	value := spec_value(doc, name)
	is_object(value)
} else := {}

# A section that is on: present and not `enabled: false`. A section without `enabled`
# counts as on, so that a hand-written document cannot slip past a rule by leaving it out.
on(value) if {
	value != {}
	object.get(value, "enabled", true) != false
}

# The spec of a document as an object; {} when the document or its spec is absent or of
# another type.
spec(doc) := value if {
	is_object(doc)
	value := object.get(doc, "spec", {})
	is_object(value)
} else := {}

# The spec fields whose value the change alters. A rule that asks whether the change
# touches a field reads this set, computed once per decision, instead of comparing the
# documents again.
changed contains name if {
	some name in object.keys(before_spec) | object.keys(after_spec)
	object.get(before_spec, name, null) != object.get(after_spec, name, null)
}

before_spec := spec(before)

after_spec := spec(after)

# The change touches one of the spec fields `names`, so rules about them judge it.
# Rules judge only what changes: tightening a limit must not block unrelated commands.
# A field in neither spec is null before and after, so only the fields of `changed` can
# differ.
touches(names) if count(names & changed) > 0
