"""DingTalk: the settings, the identity matcher and the factory of govbot's DingTalk adapter.

Light on purpose: `bot.settings` and the access rules import this module, so it does not
import the `dingtalk_stream` SDK; `build` imports the adapter (`app`) only when DingTalk
is configured. The adapter's parts:

    app.py       DingTalkChat: Stream messages, card clicks and the HTTP callback in
    surface.py   DingTalkSurface: replies and approval cards out (bot.chat.Surface)
    cards.py     the approval card as template params, StandardCard and markdown text
    stream.py    the Stream client on its own thread and event loop
    callback.py  the outgoing robot's signed HTTP callback at `/dingtalk/events`
    api.py       the JSON transport with retries and the OpenAPI calls
    robot.py     the custom robot webhook with its own rate budget
    sign.py      both signature schemes and mention stripping

Example:
    settings = DingTalkSettings(client_id="dingxxxx", client_secret="…")
    chat = build(settings, app.workflow, app.store)
    identity({"corp": "ding9f50…", "staff": "0457…"}, "0457…", "ding9f50…")   # True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.chat import ChatCore, ChatRefs, ServedChat

PLATFORM = "dingtalk"


@dataclass(frozen=True)
class DingTalkSettings:
    """DingTalk: Stream mode (client id/secret), the outgoing-robot HTTP callback (app
    secret, robot code, the organisation's corp id), the custom-robot webhook for posting
    (webhook + secret), the OpenAPI host, the session-webhook host and an optional
    interactive-card template.

    `api_url` and `session_url` are the only hosts a `sessionWebhook` taken from a
    message may point at. `callback_approvals` lets `/approve` and `/reject` arrive
    through the outgoing-robot callback, whose body DingTalk does not sign (off by
    default; Stream mode and card buttons are always accepted).
    """

    client_id: str = ""
    client_secret: str = ""
    app_secret: str = ""
    robot_code: str = ""
    robot_webhook: str = ""
    robot_secret: str = ""
    api_url: str = "https://api.dingtalk.com"
    card_template_id: str = ""
    corp_id: str = ""
    session_url: str = "https://oapi.dingtalk.com"
    callback_approvals: bool = False

    @property
    def stream_enabled(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def callback_enabled(self) -> bool:
        return bool(self.app_secret)


def identity(value: object, user: str, team: str) -> bool:
    """Whether access.yaml's `people.<p>.ids.dingtalk` value is this DingTalk user.

    The value is `{corp: ding…, staff: 0457…}` (the corp is checked when both sides name
    one) or a plain staff id.
    """
    if isinstance(value, Mapping):
        corp = str(value.get("corp", ""))
        return str(value.get("staff", "")) == user and (not team or not corp or corp == team)
    return value is not None and str(value) == user


def build(settings: DingTalkSettings, core: ChatCore, refs: ChatRefs) -> ServedChat:
    """The DingTalk adapter for `govbot serve`; imports the Stream SDK only now."""
    from bot.chat.dingtalk.app import DingTalkChat

    return DingTalkChat(settings, core, refs)
