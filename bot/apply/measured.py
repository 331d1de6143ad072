"""An apply target whose applies are timed and whose failures are counted.

`bot.apply.build` wraps every target in `MeasuredTarget`, so the rollout needs no
metrics of its own: each `apply` call (one policy document's objects) is observed in
`govbot_apply_seconds{target}`, and each one that raises — `Rejected` or a failure for
now — counts in `govbot_apply_failures_total{target}` before it is raised on unchanged.

Example:
    target = MeasuredTarget(DirectoryTarget(Path("rendered")))
    target.apply("dev", "demo", "services/dev/demo/svc-user.yaml", objects)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bot import metrics

if TYPE_CHECKING:
    from bot.apply import Applied, ApplyTarget


class MeasuredTarget:
    """`ApplyTarget` around `inner`, with the same name."""

    def __init__(self, inner: ApplyTarget) -> None:
        self.inner = inner
        self.name = inner.name

    def apply(self, env: str, namespace: str, source: str,
              objects: Sequence[dict[str, Any]], force: bool = False) -> Applied:
        with metrics.timed(metrics.APPLY_SECONDS, self.name):
            try:
                return self.inner.apply(env, namespace, source, objects, force=force)
            except Exception:
                metrics.APPLY_FAILURES.labels(target=self.name).inc()
                raise

    def prepare(self, environments: Mapping[str, Any]) -> None:
        self.inner.prepare(environments)

    def purge(self, env: str, namespace: str, selector: Mapping[str, str],
              source: str) -> tuple[str, ...]:
        return self.inner.purge(env, namespace, selector, source)

    def intact(self) -> bool:
        return self.inner.intact()

    def generate_secret(self, env: str, namespace: str, name: str, keys: Sequence[str],
                        source: str) -> bool:
        return self.inner.generate_secret(env, namespace, name, keys, source)

    def sources(self) -> list[str]:
        return self.inner.sources()
