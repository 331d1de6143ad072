"""The Kubernetes leader: a `coordination.k8s.io/v1` Lease, as client-go's leader election
keeps one.

The Lease names its holder (`holderIdentity`), how long a claim lasts
(`leaseDurationSeconds`) and when the holder last renewed it (`renewTime`). A replica
takes a Lease that is absent, free or past `renewTime + leaseDurationSeconds`, and renews
its own; every write carries the `resourceVersion` it read, so of two replicas writing
at once the API server accepts one and answers the other 409 Conflict (which then
follows). A leader that cannot renew for two thirds of the lease stops leading before a
follower may take over. `resign` frees the Lease (empty holder, 1-second duration) so a
follower need not wait for it to expire.

`bot.scheduler.Elected` calls `try_lead` every lease/3 while following and
`still_leading` every lease/3 while leading.

Example:
    lease = KubeLease(kube_client(""), "govbot", "govbot-leader", "pod-a", 15)
    lease.try_lead()        # True: pod-a holds govbot/govbot-leader
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as kube_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from bot.core.errors import ConfigError

GROUP, VERSION, PLURAL = "coordination.k8s.io", "v1", "leases"
TIMEOUT = 5.0
NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")

log = logging.getLogger("govbot.leader")


def kube_client(kubeconfig: str) -> k8s.ApiClient:
    """The API client of the cluster govbot runs in (its service account), else of the
    kubeconfig's current context (GOVBOT_KUBECONFIG, $KUBECONFIG or ~/.kube/config)."""
    configuration = k8s.Configuration()
    try:
        kube_config.load_incluster_config(client_configuration=configuration)
    except ConfigException:
        try:
            kube_config.load_kube_config(config_file=kubeconfig or None,
                                         client_configuration=configuration)
        except (ConfigException, OSError) as error:
            raise ConfigError("GOVBOT_LEADER=kubernetes: govbot is not running in a pod and "
                              f"no kubeconfig could be read ({error}); set GOVBOT_KUBECONFIG "
                              "or use GOVBOT_LEADER=database") from error
    configuration.retries = False
    return k8s.ApiClient(configuration)


class KubeLease:
    """Leadership held as a Lease in `namespace`/`name`."""

    def __init__(self, api: k8s.ApiClient, namespace: str, name: str, holder: str,
                 lease_seconds: float,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.holder = holder
        self._api = k8s.CustomObjectsApi(api)
        self._namespace, self._name = namespace, name
        self._seconds = max(1, round(lease_seconds))
        self._clock = clock
        self._renewed = 0.0          # time.monotonic() of the last successful write
        self._leading = False
        self._guard = threading.Lock()

    def try_lead(self) -> bool:
        """Take the Lease when it is absent, free or expired; renew it when it is ours."""
        with self._guard:
            self._leading = self._write()
            return self._leading

    def still_leading(self) -> bool:
        """Renew the Lease; False once another replica holds it, or when renewing failed
        for two thirds of the lease (a follower may take it after the whole lease)."""
        with self._guard:
            if not self._leading:
                return False
            try:
                self._leading = self._write(raising=True)
            except (ApiException, OSError, ValueError) as error:
                log.warning("renewing Lease %s/%s: %s", self._namespace, self._name, error)
                self._leading = time.monotonic() - self._renewed < self._seconds * 2 / 3
            return self._leading

    def resign(self) -> None:
        """Free the Lease when this replica holds it."""
        with self._guard:
            if not self._leading:
                return
            self._leading = False
            try:
                lease = self._read()
                if lease is not None and _spec(lease).get("holderIdentity") == self.holder:
                    lease["spec"] = {**_spec(lease), "holderIdentity": "",
                                     "leaseDurationSeconds": 1,
                                     "renewTime": _stamp(self._clock())}
                    self._replace(lease)
            except (ApiException, OSError, ValueError) as error:
                log.warning("freeing Lease %s/%s: %s", self._namespace, self._name, error)

    def _write(self, raising: bool = False) -> bool:
        try:
            won = self._take(self._read())
        except ApiException as error:
            if error.status == 409:  # another replica wrote first
                return False
            if raising:
                raise
            log.warning("taking Lease %s/%s: %s", self._namespace, self._name, error)
            return False
        except (OSError, ValueError) as error:
            if raising:
                raise
            log.warning("taking Lease %s/%s: %s", self._namespace, self._name, error)
            return False
        if won:
            self._renewed = time.monotonic()
        return won

    def _take(self, lease: dict[str, Any] | None) -> bool:
        now = _stamp(self._clock())
        if lease is None:
            self._api.create_namespaced_custom_object(
                GROUP, VERSION, self._namespace, PLURAL, _request_timeout=TIMEOUT, body={
                    "apiVersion": f"{GROUP}/{VERSION}", "kind": "Lease",
                    "metadata": {"name": self._name, "namespace": self._namespace},
                    "spec": {"holderIdentity": self.holder,
                             "leaseDurationSeconds": self._seconds, "acquireTime": now,
                             "renewTime": now, "leaseTransitions": 0}})
            return True
        spec = _spec(lease)
        holder = spec.get("holderIdentity") or ""
        if holder and holder != self.holder and not self._expired(spec):
            return False
        renewed = {**spec, "holderIdentity": self.holder,
                   "leaseDurationSeconds": self._seconds, "renewTime": now}
        if holder != self.holder:
            renewed["acquireTime"] = now
            renewed["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        lease["spec"] = renewed
        self._replace(lease)  # carries the resourceVersion read: a stale one is a 409
        return True

    def _expired(self, spec: Mapping[str, Any]) -> bool:
        renewed = _parse(spec.get("renewTime") or spec.get("acquireTime"))
        if renewed is None:
            return True
        duration = float(spec.get("leaseDurationSeconds") or self._seconds)
        return renewed + timedelta(seconds=duration) <= self._clock()

    def _read(self) -> dict[str, Any] | None:
        try:
            found = self._api.get_namespaced_custom_object(
                GROUP, VERSION, self._namespace, PLURAL, self._name, _request_timeout=TIMEOUT)
        except ApiException as error:
            if error.status == 404:
                return None
            raise
        return dict(found) if isinstance(found, Mapping) else None

    def _replace(self, lease: dict[str, Any]) -> None:
        self._api.replace_namespaced_custom_object(
            GROUP, VERSION, self._namespace, PLURAL, self._name, lease,
            _request_timeout=TIMEOUT)


def _spec(lease: Mapping[str, Any]) -> dict[str, Any]:
    spec = lease.get("spec")
    return dict(spec) if isinstance(spec, Mapping) else {}


def _stamp(moment: datetime) -> str:
    """A MicroTime, as Leases carry their times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
