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

# null: the change creates (before) or deletes (after) the document.
before := object.get(input, "before", null)

after := object.get(input, "after", null)

approvals := [a | some a in list(object.get(input, "approvals", [])); is_object(a)]

text(value) := value if is_string(value)

else := ""

list(value) := value if is_array(value)

else := []
