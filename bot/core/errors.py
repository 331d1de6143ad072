"""The error tree.

`UserError` and its children carry text meant for the person who typed the command: the
chat adapters post `str(error)` as it is. `TransientError` is worth retrying. Anything else
is a bug: the workflow logs its traceback and answers with a short incident id.

Example:
    raise UsageError("weight must be 0-100, got 120", usage="/canary <svc> <0-100>%",
                     example="/canary svc-user 20%")
"""

from __future__ import annotations


class GovbotError(Exception):
    """Base of every error govbot raises on purpose."""


class UserError(GovbotError):
    """Something the person can fix; its text is safe to show in chat."""


class UsageError(UserError):
    """The command text did not parse: what was wrong, the usage line and an example."""

    def __init__(self, problem: str, usage: str = "", example: str = "") -> None:
        self.problem = problem
        self.usage = usage
        self.example = example
        super().__init__(problem)

    def __str__(self) -> str:
        lines = [self.problem]
        if self.usage:
            lines.append(f"usage: {self.usage}")
        if self.example:
            lines.append(f"example: {self.example}")
        return "\n".join(lines)


class NotFound(UserError):
    """The change, service or person named does not exist."""


class NotAllowed(UserError):
    """The person is unknown or has no grant for this action."""


class Denied(UserError):
    """The guardrails denied the change; `reasons` start with a rule id."""

    def __init__(self, reasons: list[str] | tuple[str, ...], header: str = "denied") -> None:
        self.reasons = tuple(reasons)
        self.header = header
        super().__init__(header)

    def __str__(self) -> str:
        return "\n".join([f"{self.header}:", *(f"• {r}" for r in self.reasons)])


class Locked(UserError):
    """Another change to the same service is open."""

    def __init__(self, change_id: int, requester: str, service: str) -> None:
        self.change_id = change_id
        self.requester = requester
        self.service = service
        if requester == "govbot":  # its own changes merge at once when the guard allows
            text = (f"{service} has govbot's change #{change_id} under way (a progressive "
                    f"step or an expiry's revert); try again in a moment, or see "
                    f"/show {change_id} if it waits for approval")
        else:
            text = (f"{service} already has open change #{change_id} by {requester}; "
                    f"approve or reject #{change_id} first")
        super().__init__(text)


class InvalidDocument(UserError):
    """A policy document does not validate; `problems` name each field."""

    def __init__(self, path: str, problems: list[str] | tuple[str, ...]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__(f"{path}: " + "; ".join(self.problems))


class ConfigError(GovbotError):
    """Settings or the policy repository's configuration are wrong; fails at start-up."""


class TransientError(GovbotError):
    """A dependency is briefly unavailable; the operation may be retried."""


class Conflict(GovbotError):
    """A reference moved while we were updating it (compare-and-swap lost)."""


class Refused(UserError):
    """A forge or another system refused the request for good; its text says why."""
