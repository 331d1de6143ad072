# Who may do what, from access.yaml: people, groups and grants per env and namespace.
# Grants name a group (or a single person); "*" in envs or namespaces matches any.
package govbot.lib.access

import rego.v1

people := object.get(data.govbot.access, "people", {})

known(person) if person in object.keys(people)

member(person, group) if {
	some id in object.get(data.govbot.access, ["groups", group], [])
	id == person
}

# A grant applies to a person by one of their groups or by their own id.
holds(person, grant) if member(person, grant.group)

holds(person, grant) if grant.person == person

matches(values, value) if "*" in values

matches(values, value) if value in values

# `person` may `verb` (request, approve) in env/namespace.
can(person, verb, env, namespace) if {
	known(person)
	some grant in object.get(data.govbot.access, "grants", [])
	holds(person, grant)
	verb in object.get(grant, "can", [])
	matches(object.get(grant, "envs", []), env)
	matches(object.get(grant, "namespaces", []), namespace)
}

# `person` may `verb` somewhere: repository-wide changes (rego/, govbot.yaml,
# access.yaml) belong to no single env or namespace.
can_anywhere(person, verb) if {
	known(person)
	some grant in object.get(data.govbot.access, "grants", [])
	holds(person, grant)
	verb in object.get(grant, "can", [])
}
