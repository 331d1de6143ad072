"""Telling a namespace's channels something no command asked for: an expiry's revert, a
canary step or abort, a reminder, the daily digest.

Each message goes to every channel bound to the env/namespace (govbot.yaml `channels`),
else to `events.defaultChannel`, as an `EventsReported` keyed by `key`: a chat posts the
first message under a key and updates it after, so a job that runs again never posts the
same news twice.

Example:
    tell(config, "prod", "demo", "expiry:12", "fault on svc-user ended; #13 reverted it")
"""

from __future__ import annotations

from bot.config import RepoConfig
from bot.core.events import EventsReported


def channels(config: RepoConfig, env: str, namespace: str) -> list[tuple[str, str]]:
    """The (platform, channel) pairs news about env/namespace goes to."""
    owners = config.owners(env, namespace)
    if owners:
        return owners
    default = config.event_rules().default_channel
    return [default] if default else []


def tell(config: RepoConfig, env: str, namespace: str, key: str, text: str,
         severity: str = "info") -> list[EventsReported]:
    """`text` for every channel of env/namespace, under `key`."""
    return [EventsReported(platform, channel, key, text, 1, severity)
            for platform, channel in channels(config, env, namespace)]
