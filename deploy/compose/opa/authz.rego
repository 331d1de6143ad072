# Who may use the compose stack's OPA server (`opa run --authorization=basic`): only a
# caller bearing GOVBOT_OPA_TOKEN, which govbot sends as its bearer token. govbot uploads
# main's guardrails and data through the same API, so without this anyone who reaches the
# server could replace the rules that judge every change. /health stays open for probes.
package system.authz

import rego.v1

default allow := false

allow if input.path == ["health"]

allow if {
	token := opa.runtime().env.GOVBOT_OPA_TOKEN
	token != ""
	input.identity == token
}
