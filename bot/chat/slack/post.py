"""Posting to Slack: the Web API client with retries, and one send queue per channel.

Slack allows about one message per second per channel and answers 429 with
`Retry-After`; the Web API client retries 429s (sleeping `Retry-After`), connection errors
and 5xx with backoff. Each channel has its own worker that runs its jobs in order and
paces them, so a throttled channel delays only itself and a card is always posted before
the thread replies that need its `ts`. A job that still fails is logged and dropped: the
change never depends on a message being delivered. Every call is counted
(`govbot_chat_calls_total{platform="slack"}`, `govbot_chat_errors_total`).

Example:
    queues = ChannelQueues(interval=1.0)
    queues.put("C0123", lambda: client.chat_postMessage(channel="C0123", text="hi"))
    queues.backlog.wait(timeout=10)
"""

from __future__ import annotations

import contextvars
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot import metrics
from bot.chat import scrub

log = logging.getLogger("govbot.slack")
# The Slack SDK's clients log every request and answer at DEBUG: URLs (a response_url is
# a credential for 30 minutes) and bodies (an error may echo a token). They log to this
# logger, which never passes DEBUG, whatever the root logger's level.
sdk_log = logging.getLogger("govbot.slack.sdk")
sdk_log.setLevel(logging.INFO)

RETRIES = 3
Job = Callable[[], None]


def retry_handlers() -> list[RetryHandler]:
    """429 with Retry-After, dropped connections and 5xx, each retried with backoff."""
    return [ConnectionErrorRetryHandler(max_retry_count=RETRIES),
            RateLimitErrorRetryHandler(max_retry_count=RETRIES),
            ServerErrorRetryHandler(max_retry_count=RETRIES)]


class CountedWebClient(WebClient):
    """The Web API client, each call counted in `govbot_chat_calls_total{platform="slack"}`
    and, when it fails after its retries, in `govbot_chat_errors_total`."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        try:
            response = super().api_call(api_method, **kwargs)
        except Exception:
            metrics.chat_call("slack", ok=False)
            raise
        metrics.chat_call("slack", ok=True)
        return response


class CountedWebhookClient(WebhookClient):
    """A `response_url` client, counted like `CountedWebClient`; an answer other than
    200 counts as an error."""

    def send_dict(self, body: dict[str, Any],
                  headers: dict[str, str] | None = None) -> WebhookResponse:
        try:
            response = super().send_dict(body, headers)
        except Exception:
            metrics.chat_call("slack", ok=False)
            raise
        metrics.chat_call("slack", ok=response.status_code == 200)
        return response


def web_client(token: str, api_url: str) -> WebClient:
    base = api_url if api_url.endswith("/") else api_url + "/"
    return CountedWebClient(token=token, base_url=base, retry_handlers=retry_handlers(),
                            logger=sdk_log)


def webhook(url: str) -> WebhookClient:
    """A client for a slash command's `response_url`."""
    return CountedWebhookClient(url, retry_handlers=retry_handlers(), logger=sdk_log)


def failure(error: Exception) -> str:
    """A Slack call's failure for a log line: the status and Slack's error code, never
    the answer's body or the URL called (either may hold a credential)."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", "?")
        code = error.response.get("error") if isinstance(error.response.data, dict) else ""
        return f"slack answered {status} {scrub(code or '', 60)}".strip()
    return f"{type(error).__name__}: {scrub(error, 120)}"


class Backlog:
    """Counts work in flight, so `stop()` and tests can wait for it to settle."""

    def __init__(self) -> None:
        self._pending = 0
        self._settled = threading.Condition()

    def add(self) -> None:
        with self._settled:
            self._pending += 1

    def done(self) -> None:
        with self._settled:
            self._pending -= 1
            if self._pending == 0:
                self._settled.notify_all()

    def wait(self, timeout: float) -> bool:
        """True when nothing is in flight; False when `timeout` passed first."""
        with self._settled:
            return self._settled.wait_for(lambda: self._pending == 0, timeout)


class CountingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, counted in a Backlog from the moment Bolt hands it a listener
    (before Slack gets its answer), so `drain` cannot miss work still to start."""

    def __init__(self, backlog: Backlog, workers: int = 5) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="govbot-slack-listener")
        self._backlog = backlog

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self._backlog.add()
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(lambda _done: self._backlog.done())
        return future


class ChannelQueues:
    """One ordered, paced worker per channel; jobs never raise into the caller."""

    def __init__(self, interval: float = 1.0) -> None:
        self._interval = interval
        self._queues: dict[str, queue.Queue[Job | None]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.backlog = Backlog()

    def put(self, channel: str, job: Job) -> None:
        self.backlog.add()
        with self._lock:
            jobs = self._queues.get(channel)
            if jobs is None:
                jobs = self._queues[channel] = queue.Queue()
                threading.Thread(target=self._work, args=(channel, jobs), daemon=True,
                                 name=f"govbot-slack-{channel}").start()
        # the job runs in a copy of the poster's context: its lines carry the change
        # the poster was working on (bot.logs), though another thread writes them
        jobs.put(functools.partial(contextvars.copy_context().run, job))

    def _work(self, channel: str, jobs: queue.Queue[Job | None]) -> None:
        last = float("-inf")
        while (job := jobs.get()) is not None:
            pause = last + self._interval - time.monotonic()
            if pause > 0:
                self._closing.wait(pause)
            try:
                job()
            except (SlackClientError, OSError) as error:
                log.error("posting to slack channel %s: %s; the message is dropped", channel,
                          failure(error))
            except Exception:
                log.exception("posting to slack channel %s; the message is dropped", channel)
            finally:
                self.backlog.done()
                last = time.monotonic()

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            for jobs in self._queues.values():
                jobs.put(None)
