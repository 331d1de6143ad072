"""What the API server's answers mean: temporary or permanent, and the text for people.

Temporary (retried, then "apply pending"): no connection, a timeout, 408, 429 (after its
`Retry-After`), 401 (credentials that may be renewed) and every 5xx. Permanent (reported
once): every other 4xx — 400 a malformed object, 403 RBAC, 404 a kind or namespace the
cluster does not have, 409 a field another manager owns, 422 a schema or an admission
webhook (istiod's validation among them).

The text quotes the API server's `Status.message`: it names the object's problem exactly
(an admission webhook's reason, the conflicting manager and fields) and holds no secret.

Example:
    problem(error, "VirtualService/svc-user", "dev-ctx", "svc-user")
    # 'VirtualService/svc-user in dev-ctx: admission webhook "validation.istio.io" denied …'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

TEMPORARY = frozenset({401, 408, 429})
LONGEST = 600  # characters of the server's message kept in chat
_MANAGER = re.compile(r'conflicts? with "([^"]+)"')


def temporary(status: int | None) -> bool:
    return status is None or status in TEMPORARY or status >= 500


def retry_after(error: ApiException) -> float | None:
    """The seconds a 429 or 503 asks to wait, when it says."""
    value = (error.headers or {}).get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def status_of(error: ApiException) -> Mapping[str, Any]:
    """The `Status` object of an error answer ({} when the body is not one)."""
    try:
        body = json.loads(error.body or "")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, Mapping) else {}


def message(error: ApiException) -> str:
    """The server's message, or its status line."""
    text = str(status_of(error).get("message") or "").strip()
    if not text:
        text = f"the API server answered {error.status} {error.reason or ''}".strip()
    return text if len(text) <= LONGEST else text[:LONGEST - 1] + "…"


def conflicts(error: ApiException) -> dict[str, list[str]]:
    """The fields of an apply conflict per manager that owns them."""
    details = status_of(error).get("details")
    causes = details.get("causes") if isinstance(details, Mapping) else None
    found: dict[str, list[str]] = {}
    for cause in causes or ():
        if not isinstance(cause, Mapping):
            continue
        who = _MANAGER.search(str(cause.get("message") or ""))
        if who:
            found.setdefault(who.group(1), []).append(str(cause.get("field") or "?"))
    if not found and (who := _MANAGER.search(message(error))):
        found[who.group(1)] = []
    return found


def problem(error: ApiException, what: str, where: str, service: str) -> str:
    """One line for chat: the object, the cluster, the server's reason and, for a
    conflict or a missing kind, what to do."""
    line = f"{what} in {where}: {message(error)}"
    if error.status == 409:
        owners = conflicts(error)
        named = ", ".join(f'"{m}"' for m in owners) or "another field manager"
        fields = sorted({f for fs in owners.values() for f in fs})
        held = f" holds {', '.join(fields)}" if fields else " holds fields govbot applies"
        return (f"{what} in {where}: {named}{held} ({message(error)}); govbot does not "
                f"force them: /sync {service} takes them back once approved, or have "
                f"{named} give them up")
    if error.status == 403:
        return f"{line} (grant govbot's service account this verb; see docs/kubernetes.md)"
    if error.status == 404:
        return f"{line} (is the kind's CRD installed and the namespace there?)"
    return line


def unreachable(error: Exception) -> str:
    """A short reason for a failed connection (urllib3 wraps the cause twice)."""
    reason = getattr(error, "reason", None) or error
    text = str(reason)
    cause = re.search(r"\[Errno -?\d+\] ([^')\"]+)", text)
    if cause:
        return cause.group(1).strip().lower()
    if "timed out" in text.lower():
        return "timed out"
    return type(reason).__name__
