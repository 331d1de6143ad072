# Settings of govbot.yaml as the rules read them, with the documented defaults.
package govbot.lib.config

import rego.v1

# The environment's setting at `path` below environments.<env>, or `fallback`.
env_setting(env, path, fallback) := object.get(
	data.govbot.config,
	array.concat(["environments", env], path),
	fallback,
)

# A limit of environments.<env>.limits, or its documented default.
limit(env, name, fallback) := env_setting(env, ["limits", name], fallback)

# Changes to the guardrails themselves: govbot.yaml, access.yaml and rego/.
governance_path(path) if path in {"govbot.yaml", "access.yaml"}

governance_path(path) if startswith(path, "rego/")

# The approvals section that applies to a change of `path` in `env`.
approvals(env, path) := object.get(data.govbot.config, ["governance", "approvals"], {}) if {
	governance_path(path)
} else := env_setting(env, ["approvals"], {})
