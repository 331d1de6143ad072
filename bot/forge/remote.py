"""`RemoteForge`: a hosted forge as the mirror (git) plus the forge's API adapter.

Every call to the forge goes through `_call`, which retries what the forge answers with a
temporary failure (5xx, timeouts, rate limits — waiting `Retry-After` when the forge
says how long) with exponential backoff and jitter, and then gives up with a
`TransientError` the person is told once. A permanent refusal (401, 404, 405, 409, 422)
is `Refused` with the forge's own message. Opening is idempotent: a retried open finds
the branch already pushed and the pull request already created, so a forge that
answered 502 after doing the work never gets a second pull request.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from bot.change import Change
from bot.core.errors import ConfigError, Conflict, Refused, TransientError
from bot.core.types import Author
from bot.forge.api import Comment, ForgeApi, ForgeError, Hook, Pull, Review, StatusState
from bot.forge.mirror import Mirror

log = logging.getLogger("govbot.forge")

T = TypeVar("T")
ATTEMPTS = 5
MAX_WAIT = 60.0
MERGE_TRIES = 3  # a rate limit that lasts longer is reported, not slept through
NAMES = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea"}


class RemoteForge:
    def __init__(self, mirror: Mirror, api: ForgeApi, secret: str = "", *,
                 backoff: float = 0.5, attempts: int = ATTEMPTS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.kind = api.kind
        self.name = NAMES.get(api.kind, api.kind)
        self.mirror = mirror
        self.api = api
        self.webhooks = bool(secret)
        self._secret = secret
        self._backoff = backoff
        self._attempts = attempts
        self._sleep = sleep
        self._numbers: dict[str, int] = {}

    # -- the loop's own changes -------------------------------------------------------

    def main(self) -> str:
        return self._call("fetching main", self.mirror.main)

    def verify(self) -> None:
        try:
            self.api.open_pulls()
        except ForgeError as error:
            status = error.status or "no answer"
            raise ConfigError(
                f"{self.name} at GOVBOT_FORGE_URL answered {error.message} ({status}) when "
                "asked for the pull requests of GOVBOT_FORGE_REPO; check GOVBOT_FORGE_URL, "
                "GOVBOT_FORGE_REPO and GOVBOT_FORGE_TOKEN") from error

    def open(self, change: Change, body: str) -> str:
        self._call(f"pushing {change.branch}", lambda: self._publish(change))
        pull = self._call(f"opening the pull request of #{change.id}",
                          lambda: self._find_or_create(change, body))
        self._numbers[change.branch] = pull.number
        return pull.url

    def _publish(self, change: Change) -> None:
        """Push the change's branch. A branch of that name that no open pull request
        uses is what an earlier, failed attempt with the same change id left behind
        (ids of changes that could not be opened are used again): replaced."""
        stale = self.mirror.remote_head(change.branch)
        if stale and stale != change.head_sha and self.api.find_pull(change.branch):
            raise Conflict(f"{change.branch} already has an open pull request on "
                           f"{self.name} with other content")
        self.mirror.push(change.branch, change.head_sha, old=stale or "")

    def _find_or_create(self, change: Change, body: str) -> Pull:
        return (self.api.find_pull(change.branch)
                or self.api.create_pull(change.branch, change.summary, body))

    def update(self, change: Change, old_head: str) -> None:
        self._call(f"pushing {change.branch}",
                   lambda: self.mirror.push(change.branch, change.head_sha, old=old_head))

    def pull_of(self, change: Change) -> Pull | None:
        number = self._numbers.get(change.branch)
        pull = self._call(f"reading the pull request of #{change.id}",
                          lambda: self.api.get_pull(number) if number else
                          self.api.find_pull(change.branch))
        if pull is None and number is not None:  # closed and opened again, or renumbered
            pull = self._call(f"reading the pull request of #{change.id}",
                              lambda: self.api.find_pull(change.branch))
        if pull is not None:
            self._numbers[change.branch] = pull.number
        return pull

    def merge(self, change: Change, message: str, committer: Author) -> str:
        pull = self.pull_of(change)
        if pull is None:
            raise Refused(f"the pull request of #{change.id} is no longer open on "
                          f"{self.name}; /reject {change.id} and ask again")
        if pull.head_sha != change.head_sha:
            raise Refused(f"someone pushed to {change.branch} on {self.name}, and govbot "
                          f"merges only what was approved: push {change.head_sha[:12]} "
                          f"back to the branch, or /reject {change.id} and ask again")
        merged = self.merge_pull(pull, message, change.head_sha)
        self._call(f"deleting {change.branch}", lambda: self.mirror.delete(change.branch))
        return merged

    def close(self, change: Change) -> None:
        """Close the pull request, and delete the branch whatever happens to the first."""
        try:
            pull = self.pull_of(change)
            if pull is not None:
                self.close_pull(pull.number)
        finally:
            self._call(f"deleting {change.branch}",
                       lambda: self.mirror.delete(change.branch))

    def close_pull(self, number: int) -> None:
        self._call(f"closing pull request {number}", lambda: self.api.close_pull(number))

    # -- any pull request -------------------------------------------------------------

    def pulls(self) -> list[Pull]:
        return self._call("listing pull requests", self.api.open_pulls)

    def pull(self, number: int) -> Pull | None:
        return self._call(f"reading pull request {number}", lambda: self.api.get_pull(number))

    def fetch(self, pull: Pull) -> None:
        self._call(f"fetching {pull.branch}", lambda: self.mirror.fetch(pull.branch))

    def merge_pull(self, pull: Pull, message: str, head: str = "") -> str:
        title, _blank, rest = message.partition("\n")
        head = head or pull.head_sha
        for attempt in range(MERGE_TRIES):
            try:
                self._call(f"merging pull request {pull.number}",
                           lambda: self.api.merge_pull(pull.number, head, title,
                                                       rest.strip("\n")))
                break
            except Refused as refused:
                # right after a push, forges answer 405/406/422 while they still work out
                # whether the branch can merge; a real refusal says so every time
                cause = refused.__cause__
                if attempt + 1 >= MERGE_TRIES or not isinstance(cause, ForgeError) or \
                        cause.status not in (405, 406, 422):
                    raise
                self._sleep(self._backoff * 2 ** (attempt + 1))
        self.mirror.main(fresh=True)
        return self.mirror.merge_of(head) or self.mirror.main()

    def describe(self, number: int, body: str) -> None:
        self._call(f"updating pull request {number}", lambda: self.api.edit_pull(number, body))

    def set_status(self, sha: str, state: StatusState, description: str) -> None:
        self._call(f"setting the status of {sha[:12]}",
                   lambda: self.api.set_status(sha, state, description))

    def reviews(self, number: int) -> list[Review]:
        return self._call(f"reading the reviews of pull request {number}",
                          lambda: self.api.reviews(number))

    def comment(self, number: int, text: str) -> None:
        self._call(f"commenting on pull request {number}",
                   lambda: self.api.comment(number, text))

    def comments(self, number: int) -> list[Comment]:
        return self._call(f"reading the comments of pull request {number}",
                          lambda: self.api.comments(number))

    def hook(self, headers: Mapping[str, str], body: bytes) -> Hook:
        return self.api.hook(headers, body, self._secret)

    # -- retries ----------------------------------------------------------------------

    def _call(self, what: str, work: Callable[[], T]) -> T:
        """`work()`, retried on temporary failures; Refused or TransientError after."""
        for attempt in range(self._attempts):
            try:
                return work()
            except ForgeError as error:
                if not error.transient:
                    raise Refused(f"{self.name} refused {what}: {error.message} "
                                  f"({error.status})") from error
                wait = (error.retry_after if error.retry_after is not None
                        else self._backoff * 2 ** attempt * random.uniform(0.5, 1.0))
                if attempt + 1 >= self._attempts or wait > MAX_WAIT:
                    raise TransientError(f"{self.name} is not answering ({what}: "
                                         f"{error.message}); nothing was left half-done"
                                         ) from error
                log.warning("%s: %s; retrying in %.1fs", what, error, wait)
                self._sleep(wait)
        raise AssertionError("unreachable")
