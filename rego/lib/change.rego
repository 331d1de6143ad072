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

# The change touches one of the spec fields `names`, so rules about them judge it.
# Rules judge only what changes: tightening a limit must not block unrelated commands.
touches(names) if {
	some name in names
	spec_value(before, name) != spec_value(after, name)
}
