"""Slack: the settings, the identity matcher and the factory of govbot's Slack adapter.

Light on purpose: `bot.settings` and the access rules import this module, so it imports
neither slack_bolt nor slack_sdk; `build` imports the Bolt adapter (`app`) only when
Slack is configured. The adapter's parts:

    app.py       SlackChat: Bolt over `/slack/events` or Socket Mode, commands in
    surface.py   SlackSurface: cards, thread replies and answers out (bot.chat.Surface)
    blocks.py    mrkdwn escaping and the approval card in Block Kit
    post.py      the Web API client with retries, one paced queue per channel
    verify.py    the v0 request signature at the WSGI edge
    socket.py    the Socket Mode connection
    manifest.py  the Slack app manifest from the command registry

Example:
    settings = SlackSettings(signing_secret="8f74…", bot_token="xoxb-…")
    chat = build(settings, app.workflow, app.store)
    identity({"team": "T0123", "user": "U0ALICE"}, "U0ALICE", "T0123")   # True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.chat import ChatCore, ChatRefs, ServedChat

PLATFORM = "slack"


@dataclass(frozen=True)
class SlackSettings:
    """Slack: HTTP mode needs the signing secret, Socket Mode the app-level token."""

    signing_secret: str = ""
    bot_token: str = ""
    app_token: str = ""
    api_url: str = "https://slack.com/api/"

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token and (self.signing_secret or self.app_token))


def identity(value: object, user: str, team: str) -> bool:
    """Whether access.yaml's `people.<p>.ids.slack` value is this Slack user.

    The value is `{team: T…, user: U…}` (the team is checked when both sides name one)
    or a plain user id `U…`.
    """
    if isinstance(value, Mapping):
        org = str(value.get("team", ""))
        return str(value.get("user", "")) == user and (not team or not org or org == team)
    return value is not None and str(value) == user


def build(settings: SlackSettings, core: ChatCore, refs: ChatRefs) -> ServedChat:
    """The Slack adapter for `govbot serve`; imports Bolt and the Slack SDK only now."""
    from bot.chat.slack.app import SlackChat

    return SlackChat(settings, core, refs)
