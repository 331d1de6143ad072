"""`SocketLink`: Slack Socket Mode for `SlackChat`, one WebSocket on its own event loop.

Slack hands out the WebSocket URL through `apps.connections.open`, called with the
app-level token (`xapp-…`) against the configured Web API URL; it then delivers slash
commands, Events API callbacks and button clicks as envelopes over that socket, and each
is acked with its `envelope_id` (a slash command's ack carries the "working on it" text).
No public URL is needed.

The client is slack_sdk's `websockets` one, run on a private asyncio loop thread: it uses
TLS exactly when the URL says `wss://`, closes with a WebSocket close frame, reconnects
through a fresh `apps.connections.open` when the socket drops, and takes proxies from the
environment. (The built-in client chooses TLS by port and drops the TCP connection
without a close frame.) Bolt's sync `App` dispatches each envelope on the loop thread up
to its ack and runs the listeners on its own threads; govbot's listeners ack at once.

Example:
    link = SocketLink(chat.bolt, "xapp-1-…", "https://slack.com/api/")
    link.start()             # returns at once; connects, retrying with backoff
    link.stop(timeout=10)    # close frame, then the loop thread ends
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode.websockets import SocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.slack.post import sdk_log

log = logging.getLogger("govbot.slack")

FIRST_RETRY = 1.0
LAST_RETRY = 60.0


class SocketLink:
    """One Socket Mode connection for a Bolt app; `stop` may be called from any thread."""

    def __init__(self, app: App, app_token: str, api_url: str, *,
                 ping_interval: float = 10.0) -> None:
        self._app = app
        self._app_token = app_token
        self._api_url = api_url
        self._ping_interval = ping_interval
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name="govbot-slack-socket")
        self._stopping = threading.Event()
        self._closing = asyncio.Event()  # the loop's view of _stopping
        self._main: asyncio.Task[None] | None = None

    def start(self) -> None:
        if not self._thread.is_alive() and not self._stopping.is_set():
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Close the socket with a close frame and end the loop thread.

        A connection attempt under way is finished first, so that a socket Slack already
        opened is closed properly; past `timeout` the attempt is cut off instead.
        """
        self._stopping.set()
        if self._thread.ident is None:  # never started: only the loop to let go
            self._loop.close()
            return
        if self._thread.is_alive() and self._call(self._closing.set):
            self._thread.join(timeout)
        if self._thread.is_alive() and self._call(self._cancel_main):
            log.warning("closing the slack socket mode connection took over %.0f s; "
                        "cutting it off", timeout)
            self._thread.join(timeout)

    def _call(self, callback: Callable[[], object]) -> bool:
        """Run `callback` on the loop; False when the loop is already closed."""
        try:
            self._loop.call_soon_threadsafe(callback)
        except RuntimeError:
            return False
        return True

    def _cancel_main(self) -> None:
        if self._main is not None:
            self._main.cancel()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._main = self._loop.create_task(self._serve())
        try:
            self._loop.run_until_complete(self._main)
        except asyncio.CancelledError:
            pass  # stop() cut off a connection attempt that outlived its timeout
        finally:
            self._loop.run_until_complete(_cancel_leftovers())
            self._loop.close()

    async def _serve(self) -> None:
        if self._stopping.is_set():
            return
        # the client schedules its message loop when built, so it is built on this loop
        handler = SocketModeHandler(self._app, self._app_token,
                                    web_client=AsyncWebClient(base_url=self._api_url,
                                                              logger=sdk_log),
                                    ping_interval=self._ping_interval)
        try:
            await self._connect(handler)
            await self._closing.wait()
        finally:
            await _close(handler)

    async def _connect(self, handler: SocketModeHandler) -> None:
        delay = FIRST_RETRY
        while not self._closing.is_set():
            try:
                await handler.connect_async()  # type: ignore[no-untyped-call]  # untyped in bolt
                return
            except Exception as error:
                log.warning("connecting to slack socket mode: %s; retrying in %.0f s",
                            error, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), delay)
                delay = min(delay * 2, LAST_RETRY)


async def _close(handler: SocketModeHandler) -> None:
    # the receive loop would log the closing handshake as a failed receive
    if handler.client.message_receiver is not None:
        handler.client.message_receiver.cancel()
    try:
        await handler.close_async()  # type: ignore[no-untyped-call]  # untyped in bolt
    except Exception as error:
        log.warning("closing the slack socket mode connection: %s", error)


async def _cancel_leftovers() -> None:
    """The client's receive, monitor and listener tasks, so the loop closes quietly."""
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
