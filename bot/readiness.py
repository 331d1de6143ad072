"""What `/readyz` asks: the store, the policy repository and the guard, each answering.

`serve` builds the checks once (`checks(...)`) and `bot.server.readiness` runs them on
each probe. Each check says in a few words what failed, never an address, a URL or a
credential, and waits at most `TIMEOUT_SECONDS`: a check still waiting for its last answer
is reported as such instead of starting another, so a hung database never piles up
threads. The policy repository is read where govbot reads it (the local bare repository,
or the hosted forge's mirror), so a forge that is briefly down does not take every
replica out of its Service at once; commands then wait for the forge as they would.

Example:
    routes["/readyz"] = readiness(checks(app.store.ping, app.repo.head, guard_check))
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.guard.embedded import opa
from bot.guard.server import OpaServerGuard

log = logging.getLogger("govbot.readiness")

TIMEOUT_SECONDS = 5.0
Check = Callable[[], str | None]


class _Bounded:
    """One check run in its own thread, waited for at most `timeout`; while an earlier
    run is still waiting, the probe is answered without starting another."""

    def __init__(self, name: str, probe: Callable[[], None], what: str,
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self._name, self._probe, self._what, self._timeout = name, probe, what, timeout
        self._lock = threading.Lock()
        self._running: threading.Thread | None = None
        self._problem: str | None = None

    def __call__(self) -> str | None:
        with self._lock:
            if self._running is not None and self._running.is_alive():
                return f"{self._what}: still waiting for the previous check"
            done = threading.Event()
            self._running = threading.Thread(target=self._run, args=(done,), daemon=True,
                                             name=f"govbot-ready-{self._name}")
            self._running.start()
        if not done.wait(self._timeout):
            return f"{self._what}: no answer within {self._timeout:g}s"
        return self._problem

    def _run(self, done: threading.Event) -> None:
        try:
            self._probe()
            self._problem = None
        except Exception as error:  # its text may name hosts or carry a URL's password
            log.warning("readiness: %s: %s", self._what, type(error).__name__)
            self._problem = f"{self._what}: {type(error).__name__}"
        finally:
            done.set()


def _guard_probe(kind: str, opa_url: str, opa_token: str) -> Callable[[], None]:
    """The embedded engine is loaded; an OPA server answers its health endpoint."""
    if kind != "opa":
        def loaded() -> None:
            opa()  # raises ConfigError, with the install hint, when the engine is missing

        return loaded
    server = OpaServerGuard(opa_url, opa_token, timeout=TIMEOUT_SECONDS)

    def probe() -> None:
        if not server.healthy():
            raise ConnectionError("the OPA server's /health did not answer 200")

    return probe


def _resolves(main_head: Callable[[], str]) -> None:
    if not main_head():
        raise LookupError("main resolves to nothing")


def checks(store_ping: Callable[[], None], main_head: Callable[[], str], guard: str,
           opa_url: str = "", opa_token: str = "") -> dict[str, Check]:
    """The checks by name: `store` (a trivial query), `repository` (main resolves),
    `guard` (GOVBOT_GUARD's engine answers)."""
    return {
        "store": _Bounded("store", store_ping, "the store did not answer a query"),
        "repository": _Bounded("repository", lambda: _resolves(main_head),
                               "main of the policy repository did not resolve"),
        "guard": _Bounded("guard", _guard_probe(guard, opa_url, opa_token),
                          f"the {guard} guard did not answer"),
    }
