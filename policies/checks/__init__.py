"""The fields of a ServicePolicy's spec and their checks, in one place.

`policies.document.validate` runs `spec`; a new setting adds one entry to SPEC_FIELDS and
its check to the module of its concern (service, traffic, resilience). Every problem
starts with the dotted field it is about.

Example:
    >>> spec({"port": 8080, "selector": {"app": "a"}, "versions": {"stable": "v1"},
    ...       "timeout": "3 s"})
    ["spec.timeout: '3 s' is not a duration like 5s, 1m or 250ms"]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from policies.checks import fields, resilience, service, traffic

Check = Callable[[Any, str], list[str]]

# In the order a document shows them (docs/policy-document.md).
SPEC_FIELDS: dict[str, Check] = {
    "port": service.port,
    "selector": service.selector,
    "serviceAccount": service.service_account,
    "exposed": service.exposed,
    "managedBy": service.managed_by,
    "versions": service.versions,
    "release": service.release,
    "routes": traffic.routes,
    "rateLimit": traffic.rate_limit,
    "circuitBreaker": resilience.circuit_breaker,
    "allowFrom": resilience.allow_from,
    "fault": traffic.fault,
    "timeout": traffic.timeout,
    "retries": traffic.retries,
    "autoscale": resilience.autoscale,
}
REQUIRED_SPEC_FIELDS = ("port", "selector", "versions")


def spec(data: Mapping[str, Any]) -> list[str]:
    """Every problem of a spec mapping, field by field, then across fields."""
    problems = fields.unknown(data, tuple(SPEC_FIELDS), "spec.")
    for name, check in SPEC_FIELDS.items():
        if name in data:
            problems += check(data[name], f"spec.{name}")
        elif name in REQUIRED_SPEC_FIELDS:
            problems.append(f"spec.{name}: required")
    return problems + service.release_versions(data)
