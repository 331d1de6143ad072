"""`OpaServerGuard`: the guard on a running OPA server (production), through its REST API.

The rules and data of main are uploaded when they change (the RuleSet key) — policies
under ids `govbot/<path>`, data at `data.govbot.config` and `data.govbot.access` — and
stale govbot policies are deleted; then every decision is one `POST /v1/data/govbot/decision`
(`opa-python-client`'s `query_rule`). The same Rego files run here and in the embedded
engine and must give the same decisions.

Example:
    guard = OpaServerGuard("http://opa.governance:8181", token="…")
    decision = guard.decide(rules, input)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from bot.core.errors import ConfigError, TransientError
from bot.core.types import Decision, RuleSet
from bot.guard.embedded import plain, policy_modules

POLICY_PREFIX = "govbot/"
log = logging.getLogger("govbot.guard")


def _client(url: str, token: str, timeout: float) -> Any:
    try:
        from opa_client import OpaClient
    except ImportError as error:
        raise ConfigError(f"GOVBOT_GUARD=opa needs opa-python-client: {error}") from error
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"GOVBOT_OPA_URL={url!r} is not an http(s) URL like http://opa:8181")
    port = parts.port or (443 if parts.scheme == "https" else 8181)
    return OpaClient(host=parts.hostname, port=port, ssl=parts.scheme == "https",
                     token=token or None, timeout=timeout)


class OpaServerGuard:
    """Decides on an OPA server; uploads main's rules whenever their key changes."""

    def __init__(self, url: str, token: str = "", timeout: float = 5.0) -> None:
        self._url = url
        self._opa = _client(url, token, timeout)
        self._key: str | None = None
        self._lock = threading.Lock()

    def decide(self, rules: RuleSet, input: Mapping[str, Any]) -> Decision:
        with self._lock:
            if self._key != rules.key:
                self._upload(rules)
                self._key = rules.key
        try:
            answer = self._opa.query_rule(plain(input), "govbot", "decision")
        except Exception as error:
            # the client's text may carry addresses and credentials: the log only
            log.warning("asking the OPA server for a decision: %s", error)
            raise TransientError("the OPA server did not answer") from error
        if not isinstance(answer, Mapping) or "result" not in answer:
            raise ConfigError("the OPA server has no data.govbot.decision; "
                              "are the policy repository's rego/ files loaded?")
        return Decision.from_json(answer["result"])

    def healthy(self) -> bool:
        """Whether the server answers its `/health` endpoint with 200 (`/readyz`)."""
        return bool(self._opa.check_health())

    def _upload(self, rules: RuleSet) -> None:
        modules = policy_modules(rules.modules)
        try:
            self._opa.update_or_create_data(plain(rules.config), "govbot/config")
            self._opa.update_or_create_data(plain(rules.access), "govbot/access")
            for path in sorted(modules):
                self._opa.update_policy_from_string(modules[path], POLICY_PREFIX + path,
                                                    rego_compat=False)
            wanted = {POLICY_PREFIX + path for path in modules}
            for policy in self._opa.get_policies_list():
                if str(policy).startswith(POLICY_PREFIX) and policy not in wanted:
                    self._opa.delete_policy(policy)
        except ConfigError:
            raise
        except Exception as error:
            log.error("loading main's guardrails into the OPA server: %s", error)
            raise ConfigError("the OPA server did not take main's guardrails; its log and "
                              "govbot's say why") from error
