"""The Slack app manifest, generated from the command registry.

`govbot slack-manifest` prints it; paste it into api.slack.com/apps ("Create New App" →
"From a manifest"). Every registered command becomes a slash command, except those Slack
reserves for itself (`/status`), which `/govbot status …` reaches; the bot reads
mentions, posts and updates messages, and gets button clicks. In HTTP mode slash
commands, events and interactivity all point at `/slack/events`; in Socket Mode none needs
a URL.

Example:
    manifest(REGISTRY, base_url="https://govbot.example.com")["features"]["slash_commands"][0]
    # {"command": "/canary", "url": "https://govbot.example.com/slack/events", ...}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from commands.spec import CommandSpec

EVENTS_PATH = "/slack/events"
UMBRELLA = "/govbot"
# Slack's built-in commands: an app may not register them, and a manifest naming one is
# refused whole. Those of ours stay reachable as `/govbot <command …>` and by mention.
RESERVED = frozenset({
    "active", "apps", "archive", "away", "call", "collapse", "dm", "dnd", "expand",
    "feed", "feedback", "invite", "join", "kick", "leave", "me", "msg", "mute", "open",
    "prefs", "remind", "remove", "rename", "search", "shortcuts", "shrug", "star",
    "status", "topic", "who",
})
BOT_SCOPES = ("app_mentions:read", "chat:write", "commands")
DESCRIPTION_LIMIT = 2000
USAGE_HINT_LIMIT = 1000


def slash_command(spec: CommandSpec, url: str | None) -> dict[str, Any]:
    hint = spec.usage.removeprefix(f"/{spec.name}").strip()
    entry: dict[str, Any] = {
        "command": f"/{spec.name}",
        "description": spec.summary[:DESCRIPTION_LIMIT] or spec.usage,
        "usage_hint": hint[:USAGE_HINT_LIMIT],
        "should_escape": False,
    }
    if url:
        entry["url"] = url
    return entry


def slash_commands(registry: Iterable[CommandSpec], url: str | None) -> list[dict[str, Any]]:
    """Every registered command Slack lets an app own, then the `/govbot` umbrella."""
    entries = [slash_command(spec, url) for spec in registry if spec.name not in RESERVED]
    umbrella: dict[str, Any] = {
        "command": UMBRELLA,
        "description": "any govbot command, e.g. /govbot status svc-user",
        "usage_hint": "<command> [arguments], e.g. status svc-user",
        "should_escape": False,
    }
    if url:
        umbrella["url"] = url
    return [*entries, umbrella]


def manifest(registry: Iterable[CommandSpec], base_url: str = "", socket_mode: bool = False,
             name: str = "govbot") -> dict[str, Any]:
    """The manifest for a govbot at `base_url` (HTTP mode) or over Socket Mode."""
    url = None if socket_mode else base_url.rstrip("/") + EVENTS_PATH
    events: dict[str, Any] = {"bot_events": ["app_mention"]}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if url:
        events = {"request_url": url, **events}
        interactivity["request_url"] = url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Service governance for Kubernetes and Istio through reviewed "
                           "pull requests against a policy repository",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": slash_commands(registry, url),
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
