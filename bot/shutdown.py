"""Stopping `govbot serve` within its grace period (GOVBOT_SHUTDOWN_GRACE).

On SIGTERM or SIGINT, `serve` runs its steps in order, each given what is left of the
grace period: stop taking requests and answer those taken, finish the work handed off
after an answer (webhooks), stop the scheduled jobs and give leadership back, close Slack
Socket Mode and DingTalk Stream and finish the commands they and the HTTP routes
accepted. A step returns what it left running (nothing when it finished). A watchdog
ends the process when the grace period passes while a step is still blocked, naming the
step; `run` returns everything left, and `serve` exits 0 only when that is nothing.

`wait_for_signal()` blocks `serve`'s main thread until the first signal.

Example:
    wait_for_signal()
    stopping = Shutdown(settings.serve.grace_seconds)
    left = stopping.run([Step("http requests", lambda s: server.idle(s)), ...])
    sys.exit(0 if not left else 1)
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

log = logging.getLogger("govbot.shutdown")

# the watchdog fires this long after the grace period, so that a step that returns
# right at the deadline is reported by `run`, not cut off
SLACK_SECONDS = 1.0


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[float], Sequence[str]]   # seconds left → what is still running


class Shutdown:
    """The grace period's clock, and the watchdog that enforces it."""

    def __init__(self, grace_seconds: float,
                 exit: Callable[[int], object] = os._exit) -> None:
        self.grace = grace_seconds
        self._deadline = time.monotonic() + grace_seconds
        self._exit = exit
        self._step = "starting to stop"
        self._lock = threading.Lock()
        self._finished = threading.Event()

    def left(self) -> float:
        return max(0.0, self._deadline - time.monotonic())

    def run(self, steps: Sequence[Step]) -> list[str]:
        """Run the steps in order; what is still running (empty when all finished)."""
        watchdog = threading.Thread(target=self._watch, name="govbot-shutdown-watchdog",
                                    daemon=True)
        watchdog.start()
        still: list[str] = []
        try:
            for step in steps:
                with self._lock:
                    self._step = step.name
                try:
                    still += [f"{step.name}: {what}" for what in step.run(self.left())]
                except Exception:
                    log.exception("stopping %s", step.name)
                    still.append(f"{step.name}: stopped with an error (see above)")
        finally:
            self._finished.set()
        return still

    def _watch(self) -> None:
        if self._finished.wait(self.left() + SLACK_SECONDS):
            return
        with self._lock:
            step = self._step
        log.error("shutdown grace of %gs passed while stopping %s; exiting with work "
                  "unfinished", self.grace, step)
        logging.shutdown()
        self._exit(1)


def wait_for_signal() -> None:
    """Block until SIGTERM (a pod stopping) or SIGINT (Ctrl-C); a second one ends the
    process at once."""
    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stopping.is_set():
            log.error("%s again: stopping now, without waiting", signal.Signals(signum).name)
            logging.shutdown()
            os._exit(1)
        log.info("%s: stopping; no new connections, finishing what was taken",
                 signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    while not stopping.wait(1.0):
        pass
