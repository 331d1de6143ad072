"""The embedded guard: OPA's Rego engine in-process (the `opa_bindings` package).

One compiled engine per RuleSet key (a commit of main), kept in a small LRU cache; a
decision is one evaluation of `data.govbot.decision`. The engine serialises its own
evaluations, so one EmbeddedGuard serves every thread. `compile_engine` is shared with
the Rego test runner (bot.guard.regotest).

Example:
    guard = EmbeddedGuard()
    decision = guard.decide(rules, change_input)
    decision.deny   # ("[release.max_step] svc-user: canary moves 90 points …",)
"""

from __future__ import annotations

import importlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date
from types import ModuleType
from typing import Any, Protocol

from bot.core.errors import ConfigError
from bot.core.types import Decision, RuleSet

INSTALL_HINT = "pip install --ignore-requires-python --no-deps opa-golib-python-bindings==0.4.4"
DECISION = "govbot.decision"


class RegoEngine(Protocol):
    """The part of opa_bindings.OpaEngine govbot uses."""

    def add_policy(self, path: str, source: str) -> None: ...
    def add_data(self, value: Any, path: str = "") -> None: ...
    def eval_query(self, query: str, input: Any = None) -> list[dict[str, Any]]: ...
    def eval_document(self, path: str, input: Any = None) -> Any: ...


def opa() -> ModuleType:
    """The opa_bindings module, imported only when an engine is needed."""
    try:
        return importlib.import_module("opa_bindings")
    except ImportError as error:
        raise ConfigError(
            f"loading the embedded OPA engine: {error}; install it with `{INSTALL_HINT}`"
        ) from error


def is_test_module(path: str) -> bool:
    return path.endswith("_test.rego")


def policy_modules(modules: Mapping[str, str]) -> dict[str, str]:
    """The modules a decision needs: every `.rego` file that is not a test."""
    return {p: s for p, s in modules.items() if p.endswith(".rego") and not is_test_module(p)}


def rule_data(config: Mapping[str, Any], access: Mapping[str, Any]) -> dict[str, Any]:
    """The data document the rules read: `data.govbot.config` and `data.govbot.access`."""
    return {"govbot": {"config": plain(config), "access": plain(access)}}


def plain(value: Any) -> Any:
    """`value` as JSON-ready dicts and lists (mapping proxies and tuples included).

    YAML reads an unquoted `2026-12-24` as a date and `2026-12-24 00:00:00` as a
    datetime; they reach the rules as their ISO text, which no rule takes for a time it
    accepts, so a window written so is left out rather than stopping every decision.
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def compile_engine(modules: Mapping[str, str], data: Mapping[str, Any]) -> RegoEngine:
    """An engine holding `modules` and `data`, compiled now so a broken module fails here.

    Raises ConfigError naming the module and the compiler's reason.
    """
    bindings = opa()
    engine: RegoEngine = bindings.OpaEngine()
    try:
        engine.add_data(plain(data))
        for path in sorted(modules):
            engine.add_policy(path, modules[path])
        # Any query compiles every module; a trivial one surfaces type and recursion errors.
        engine.eval_query("true")
    except bindings.OpaError as error:
        raise ConfigError(f"compiling the guardrails: {error.message}") from error
    return engine


class EmbeddedGuard:
    """Decides with a per-RuleSet engine; thread-safe."""

    def __init__(self, cache_size: int = 4) -> None:
        if cache_size < 1:
            raise ConfigError(f"embedded guard cache size must be at least 1, got {cache_size}")
        self._cache_size = cache_size
        self._engines: OrderedDict[str, RegoEngine] = OrderedDict()
        self._lock = threading.Lock()

    def decide(self, rules: RuleSet, input: Mapping[str, Any]) -> Decision:
        engine = self._engine(rules)
        bindings = opa()
        try:
            value = engine.eval_document(DECISION, plain(input))
        except bindings.OpaUndefinedError as error:
            raise ConfigError(
                f"deciding with the guardrails of {rules.key}: data.{DECISION} is undefined; "
                "rego/govbot.rego must define it for every input"
            ) from error
        except bindings.OpaError as error:
            raise ConfigError(
                f"deciding with the guardrails of {rules.key}: {error.message}"
            ) from error
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"deciding with the guardrails of {rules.key}: data.{DECISION} is "
                f"{type(value).__name__}, not an object"
            )
        return Decision.from_json(value)

    def _engine(self, rules: RuleSet) -> RegoEngine:
        # Compiling under the lock keeps one engine per key; it takes milliseconds and
        # happens once per commit of main.
        with self._lock:
            engine = self._engines.get(rules.key)
            if engine is not None:
                self._engines.move_to_end(rules.key)
                return engine
            modules = policy_modules(rules.modules)
            if not modules:
                raise ConfigError(f"the guardrails of {rules.key} hold no Rego module")
            engine = compile_engine(modules, rule_data(rules.config, rules.access))
            self._engines[rules.key] = engine
            # Evicted engines are closed by the garbage collector once no decision uses them.
            while len(self._engines) > self._cache_size:
                self._engines.popitem(last=False)
            return engine
