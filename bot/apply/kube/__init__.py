"""Kubernetes clusters: one API client per cluster, chosen per environment.

govbot.yaml maps each environment to a cluster:

    environments:
      prod:
        cluster: {context: prod-east, kubeconfig: /etc/govbot/kubeconfig}   # kubeconfig optional

An environment without `cluster` uses the in-cluster configuration (the pod's service
account). Several environments may share a cluster; they then share one client. This
package is the only one that imports the `kubernetes` client library.

Example:
    clusters = Clusters(default_kubeconfig="~/.kube/config")
    clusters.configure(config.environments())      # main's govbot.yaml; cheap when unchanged
    api = clusters.client("prod")                   # kubernetes.client.ApiClient
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as kube_config
from kubernetes.config.config_exception import ConfigException

from bot.core.errors import ConfigError


@dataclass(frozen=True)
class Cluster:
    """Where an environment's objects live: a kubeconfig context, or in-cluster."""

    context: str = ""      # "" = in-cluster
    kubeconfig: str = ""   # "" = GOVBOT_KUBECONFIG, $KUBECONFIG or ~/.kube/config

    def __str__(self) -> str:
        return f"context {self.context}" if self.context else "the in-cluster configuration"


def cluster_of(env: str, settings: Any) -> Cluster:
    """The `cluster` mapping of one environment of govbot.yaml (ConfigError naming the
    field when it is malformed)."""
    if settings is None:
        return Cluster()
    if not isinstance(settings, Mapping):
        raise ConfigError(f"govbot.yaml environments.{env}.cluster must be a mapping such as "
                          "{context: prod-east}")
    context, kubeconfig = settings.get("context", ""), settings.get("kubeconfig", "")
    if not isinstance(context, str) or not context:
        raise ConfigError(f"govbot.yaml environments.{env}.cluster.context must name a "
                          "kubeconfig context, for example prod-east")
    if not isinstance(kubeconfig, str):
        raise ConfigError(f"govbot.yaml environments.{env}.cluster.kubeconfig must be a path")
    return Cluster(context, kubeconfig)


class Clusters:
    """API clients per cluster, built on first use and kept while the mapping holds."""

    def __init__(self, default_kubeconfig: str = "") -> None:
        self._default = default_kubeconfig
        self._lock = threading.Lock()
        self._by_env: dict[str, Cluster] = {}
        self._clients: dict[Cluster, k8s.ApiClient] = {}

    def configure(self, environments: Mapping[str, Any]) -> None:
        """Read each environment's cluster from govbot.yaml's `environments`."""
        mapping = {env: cluster_of(env, (settings or {}).get("cluster")
                                   if isinstance(settings, Mapping) else None)
                   for env, settings in environments.items()}
        with self._lock:
            self._by_env = mapping

    def cluster(self, env: str) -> Cluster:
        with self._lock:
            return self._by_env.get(env, Cluster())

    def environments(self) -> dict[str, Cluster]:
        with self._lock:
            return dict(self._by_env)

    def client(self, env: str) -> k8s.ApiClient:
        """The API client of `env`'s cluster; ConfigError when it cannot be configured."""
        cluster = self.cluster(env)
        with self._lock:
            found = self._clients.get(cluster)
            if found is None:
                found = self._clients[cluster] = self._build(env, cluster)
            return found

    def check(self) -> None:
        """ConfigError, at start-up, for an environment whose context does not exist."""
        for env, cluster in self.environments().items():
            self.client(env) if cluster.context else None

    def _kubeconfig(self, cluster: Cluster) -> str:
        path = cluster.kubeconfig or self._default or os.environ.get("KUBECONFIG", "") or \
            "~/.kube/config"
        return str(Path(path.split(os.pathsep)[0]).expanduser())

    def _build(self, env: str, cluster: Cluster) -> k8s.ApiClient:
        if not cluster.context:
            configuration = k8s.Configuration()
            try:
                kube_config.load_incluster_config(client_configuration=configuration)
            except ConfigException as error:
                raise ConfigError(
                    f"environment {env} has no cluster in govbot.yaml and govbot is not "
                    f"running in a pod ({error}); set environments.{env}.cluster.context"
                ) from error
            configuration.retries = False  # govbot's retries are the only ones
            return k8s.ApiClient(configuration)
        path = self._kubeconfig(cluster)
        if not Path(path).is_file():
            raise ConfigError(f"environment {env}: the kubeconfig {path} does not exist (set "
                              f"GOVBOT_KUBECONFIG or environments.{env}.cluster.kubeconfig)")
        try:
            contexts, _active = kube_config.list_kube_config_contexts(config_file=path)
        except (ConfigException, OSError) as error:
            raise ConfigError(f"environment {env}: reading kubeconfig {path}: {error}") from error
        names = sorted(str(c.get("name")) for c in contexts or [])
        if cluster.context not in names:
            raise ConfigError(f"environment {env}: context {cluster.context!r} is not in "
                              f"{path} (it has {', '.join(names) or 'none'})")
        try:
            built: k8s.ApiClient = kube_config.new_client_from_config(
                config_file=path, context=cluster.context)
            built.configuration.retries = False  # govbot's retries are the only ones
            return built
        except (ConfigException, OSError) as error:
            raise ConfigError(f"environment {env}: {cluster}: {error}") from error
