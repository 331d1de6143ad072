"""`SlackChat`: govbot in Slack, over HTTP (`/slack/events`) or Socket Mode.

Slash commands (`/canary svc-user 20%`), mentions (`@govbot canary svc-user 20%`) and the
approval card's buttons all become a `Command` for the core. Every request is acked at
once (a slash command with "working on it"); the work then runs on govbot's own worker
threads, so a slow git push never delays an ack. Over HTTP, slash commands and button
clicks are answered at the WSGI edge (`take`, handler.py) as soon as the signature is
checked; Bolt handles mentions, and everything in Socket Mode.
The events the core returns go through `bot.chat.deliver` to a `SlackSurface`
(surface.py), which says where each lands.

People are `team_id` + `user_id`; display names are never read. Retried deliveries carry
the same event id (`command:<trigger_id>`, the Events API `event_id`,
`action:<action_ts>:<user>`), which the workflow claims once.

Example:
    chat = SlackChat(settings.slack, app.workflow, app.store)   # or slack.build(...)
    server = make_server("0.0.0.0", 8080, chat.routes())
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.chat import ChatCore, ChatRefs, WsgiApp, about_cards, deliver, notices
from bot.chat.slack import PLATFORM, SlackSettings
from bot.chat.slack.blocks import APPROVE, REJECT, cut, escape, mention, unescape
from bot.chat.slack.handler import SlackEdge
from bot.chat.slack.manifest import EVENTS_PATH, UMBRELLA
from bot.chat.slack.post import Backlog, ChannelQueues, CountingExecutor, sdk_log, web_client
from bot.chat.slack.socket import SocketLink
from bot.chat.slack.surface import Origin, SlackSurface, change_key
from bot.chat.slack.verify import signed, verifier
from bot.core.events import Event
from bot.core.types import Command

log = logging.getLogger("govbot.slack")

_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*")
# a card button's value: a change number in ASCII digits, no sign, no leading zero, no
# more than nine digits (str.isdigit would take `١٢`, `²` and twenty-digit numbers)
_CHANGE_NUMBER = re.compile(r"[1-9][0-9]{0,8}")
# commands run at once. More do not open changes faster (the work holds the interpreter
# most of its time) and take it from the request threads, so a burst's acks wait longer;
# a burst queues here, after its acks, instead of in the HTTP server.
WORKERS = 4


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def token_authorize(bot_token: str) -> Callable[..., AuthorizeResult]:
    """Bolt's `authorize` from the configured bot token: no `auth.test` call to Slack, so
    a Slack outage never delays an ack."""

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id,
                               bot_token=bot_token)

    return authorize


class SlackChat:
    """The Slack adapter behind `ServedChat`; it translates, the core decides."""

    def __init__(self, settings: SlackSettings, core: ChatCore, refs: ChatRefs, *,
                 client: WebClient | None = None, clock: Callable[[], float] = time.time,
                 post_interval: float = 1.0, workers: int = WORKERS) -> None:
        self._settings = settings
        self._core = core
        self._refs = refs
        self._client = client or web_client(settings.bot_token, settings.api_url)
        self._clock = clock
        self._queues = ChannelQueues(post_interval)
        self.surface = SlackSurface(self._client, refs, self._queues)
        self._work = ThreadPoolExecutor(workers, thread_name_prefix="govbot-slack-work")
        self._backlog = Backlog()
        self._socket: SocketLink | None = None
        self.bolt = self._bolt_app()

    def _bolt_app(self) -> App:
        # Signatures are checked at the WSGI edge (verify.py), before Bolt parses. Bolt
        # injects listener arguments by parameter name, so it gets plain functions.
        # Bolt's own client carries no token: each request gets the one `authorize` gives.
        app = App(client=WebClient(base_url=self._client.base_url, logger=sdk_log),
                  authorize=token_authorize(self._settings.bot_token),
                  request_verification_enabled=False, process_before_response=False,
                  listener_executor=CountingExecutor(self._backlog))

        def on_command(ack: Ack, body: dict[str, Any]) -> None:
            ack(self._on_command(body))

        def on_mention(body: dict[str, Any], event: dict[str, Any]) -> None:
            self._on_mention(body, event)

        def on_click(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            self._on_click(body, action)

        app.command(re.compile(r"^/"))(on_command)
        app.event("app_mention")(on_mention)
        app.action(APPROVE)(on_click)
        app.action(REJECT)(on_click)
        return app

    # -- ServedChat ---------------------------------------------------------------------

    def routes(self) -> Mapping[str, WsgiApp]:
        """`/slack/events` behind the signature check; none in Socket-Mode-only setups."""
        if not self._settings.signing_secret:
            return {}
        check = verifier(self._settings.signing_secret, self._clock)
        return {EVENTS_PATH: signed(SlackEdge(self.bolt, self.take), check)}

    def start(self) -> None:
        """Socket Mode when an app-level token is set, connecting in the background."""
        if self._settings.app_token and self._socket is None:
            self._socket = SocketLink(self.bolt, self._settings.app_token,
                                      self._client.base_url)
            self._socket.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Close Socket Mode, then wait up to `timeout` for every accepted command and
        its messages; True when they all finished."""
        deadline = time.monotonic() + timeout
        if self._socket is not None:
            self._socket.stop(timeout)
        drained = self.drain(max(0.0, deadline - time.monotonic()))
        self._work.shutdown(wait=False)
        self._queues.close()
        return drained

    def drain(self, timeout: float) -> bool:
        """Wait until every accepted command ran and its messages went out."""
        return self._backlog.wait(timeout) and self._queues.backlog.wait(timeout)

    # -- inbound ------------------------------------------------------------------------

    def take(self, body: dict[str, Any]) -> str | None:
        """A signed request's body, at the WSGI edge: a slash command or an Approve /
        Reject click is queued here and its ack returned ("working on it: …", or "" for a
        click); None leaves the request to Bolt (mentions, URL verification, any other
        interaction). Parsed the way Bolt would: the first action of a `block_actions`."""
        if "command" in body:
            return self._on_command(body)
        actions = body.get("actions")
        if body.get("type") == "block_actions" and isinstance(actions, list) and actions:
            action = _mapping(actions[0])
            if action.get("action_id") in (APPROVE, REJECT):
                self._on_click(body, action)
                return ""
        return None

    def _on_command(self, body: dict[str, Any]) -> str:
        """Queue a slash command; the ack to answer it with."""
        command, text = str(body.get("command", "")), unescape(str(body.get("text", "")))
        # `/govbot <command …>` reaches every command, also those Slack reserves (/status)
        typed = text.strip() if command == UMBRELLA else f"{command} {text}".strip()
        user, channel = str(body.get("user_id", "")), str(body.get("channel_id", ""))
        trigger = body.get("trigger_id")
        self._submit(
            Command(PLATFORM, user, channel, typed, team=str(body.get("team_id", "")),
                    event_id=f"command:{trigger}" if trigger else None),
            Origin("command", channel, user, response_url=str(body.get("response_url", "")),
                   asked=f"{mention(user)} asked: {escape(cut(typed, 500))}"))
        return f"working on it: {escape(cut(typed, 200))}"

    def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        text = unescape(_LEADING_MENTION.sub("", str(event.get("text", ""))))
        user, channel = str(event.get("user", "")), str(event.get("channel", ""))
        team = str(event.get("user_team") or event.get("team") or body.get("team_id") or "")
        thread = str(event.get("thread_ts") or event.get("ts") or "") or None
        self._submit(
            Command(PLATFORM, user, channel, text, team=team, event_id=body.get("event_id")),
            Origin("mention", channel, user, thread_ts=thread,
                   asked=f"{mention(user)} asked: {escape(cut(text, 500))}"))

    def _on_click(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        value = str(action.get("value", ""))
        if not _CHANGE_NUMBER.fullmatch(value):
            log.warning("ignoring a button with value %r: not a change number", value[:40])
            return
        clicker = _mapping(body.get("user"))
        user = str(clicker.get("id", ""))
        team = str(clicker.get("team_id") or _mapping(body.get("team")).get("id") or "")
        container = _mapping(body.get("container"))
        channel = str(_mapping(body.get("channel")).get("id")
                      or container.get("channel_id", ""))
        message_ts = str(container.get("message_ts", ""))
        thread = str(_mapping(body.get("message")).get("thread_ts") or message_ts) or None
        card = ({"channel": channel, "ts": message_ts, "thread_ts": thread, "asked": ""}
                if message_ts else None)
        verb = "approve" if action.get("action_id") == APPROVE else "reject"
        self._submit(
            Command(PLATFORM, user, channel, f"/{verb} {value}", team=team,
                    event_id=f"action:{action.get('action_ts', '')}:{user}"),
            Origin("click", channel, user, thread_ts=thread), card=(int(value), card))

    def announce(self, events: Sequence[Event]) -> None:
        for change_id, event in about_cards(events):
            ref = self._refs.chat_ref(change_key(change_id))
            if ref is not None:
                deliver(self.surface, Origin("mention", str(ref["channel"]), "",
                                             thread_ts=str(ref["thread_ts"])), [event])
        for notice in notices(events, PLATFORM):
            self.surface.post_notice(notice)

    def _submit(self, command: Command, origin: Origin,
                card: tuple[int, dict[str, Any] | None] = (0, None)) -> None:
        """Queue a command on the work pool (counted first, so `drain` cannot miss it);
        `card` is the clicked card's message, remembered for its change when the store
        knows none (a card posted before the store kept it), before the command runs."""
        self._backlog.add()
        self._work.submit(self._run, command, origin, card)

    def _run(self, command: Command, origin: Origin,
             card: tuple[int, dict[str, Any] | None]) -> None:
        try:
            change_id, message = card
            if message is not None and self._refs.chat_ref(change_key(change_id)) is None:
                self._refs.set_chat_ref(change_key(change_id), message)
            deliver(self.surface, origin, self._core.handle(command))
        except Exception:
            log.exception("slack command %r from %s", command.text[:200], command.user)
        finally:
            self._backlog.done()
