"""`GiteaApi`: the API half of a Gitea (or Forgejo) forge, over Gitea's REST API with requests.

`bot.forge.remote.RemoteForge` calls it for one repository; it speaks `/api/v1` with a
token (`Authorization: token …`), one request per call and no retries of its own: every
failure becomes a `ForgeError` that says whether retrying may help, and RemoteForge decides.

    503, 502, 500, a timeout, a refused connection  → transient
    429, or 403 with Retry-After (a proxy's limit)   → transient, retry_after from the header
    401, 403, 404, 405, 409, 412, 422 …              → permanent, with Gitea's own `message`

Merges send both the old field names (`Do`, `MergeTitleField`, `MergeMessageField`) that
every Gitea and Forgejo release reads; newer Gitea reads them too, next to snake_case ones.

Example:
    api = GiteaApi("https://gitea.example.com", token, "platform/policies")
    pull = api.create_pull("change/1-svc-user", "canary svc-user 0% → 20%", body)
    api.merge_pull(pull.number, pull.head_sha, "Merge change #1", "Govbot-Change: 1")
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from bot.core.errors import ConfigError
from bot.core.redact import redact
from bot.forge.api import (
    STATUS_CONTEXT,
    Comment,
    ForgeError,
    Hook,
    Pull,
    Review,
    ReviewState,
    StatusState,
)
from bot.forge.gitea_hook import read_hook
from bot.repo.git import MAIN

API = "/api/v1"
PAGE = 50          # Gitea's default MAX_RESPONSE_ITEMS; a smaller cap still pages right
MESSAGE_LIMIT = 300
REVIEW_STATES: dict[str, ReviewState] = {
    "APPROVED": "approved", "REQUEST_CHANGES": "changes_requested", "COMMENT": "commented"}

Json = Any


class GiteaApi:
    """Pull requests, reviews, statuses and comments of one Gitea repository."""

    kind = "gitea"

    def __init__(self, url: str, token: str, repo: str, timeout: float = 10.0) -> None:
        base = url.rstrip("/")
        if urlsplit(base).scheme not in ("http", "https"):
            raise ConfigError(f"GOVBOT_FORGE_URL={url!r} is not an http(s) URL")
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise ConfigError(f"GOVBOT_FORGE_REPO={repo!r} is not owner/name")
        self._base = base if base.endswith(API) else base + API
        self._repo = f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
        self._token = token
        self._timeout = timeout
        self._session = requests.Session()
        self._session.headers.update({"Authorization": f"token {token}",
                                      "Accept": "application/json", "User-Agent": "govbot"})
        adapter = HTTPAdapter(max_retries=0)   # RemoteForge retries, knowing what is safe
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    # -- pull requests -------------------------------------------------------------------

    def open_pulls(self) -> list[Pull]:
        doing = "listing open pull requests"
        found = [_pull(p, doing) for p in self._pages(
            "/pulls", doing, {"state": "open", "base_branch": MAIN}) if _ours(p)]
        return sorted(found, key=lambda p: p.number)

    def find_pull(self, branch: str) -> Pull | None:
        matching = [p for p in self.open_pulls() if p.branch == branch]
        return matching[-1] if matching else None

    def get_pull(self, number: int) -> Pull | None:
        doing = f"reading pull request {number}"
        try:
            data = _json(self._call("GET", f"/pulls/{number}", doing), doing)
        except ForgeError as error:
            if error.status == 404:
                return None
            raise
        if not isinstance(data, dict) or data.get("state") != "open" or data.get("merged"):
            return None
        return _pull(data, doing) if _ours(data) else None

    def create_pull(self, branch: str, title: str, body: str) -> Pull:
        doing = f"opening a pull request from {branch}"
        response = self._call("POST", "/pulls", doing,
                              body={"head": branch, "base": MAIN, "title": title, "body": body})
        return _pull(_json(response, doing), doing)

    def edit_pull(self, number: int, body: str) -> None:
        self._call("PATCH", f"/pulls/{number}", f"editing pull request {number}",
                   body={"body": body})

    def close_pull(self, number: int) -> None:
        doing = f"closing pull request {number}"
        try:
            self._call("PATCH", f"/pulls/{number}", doing, body={"state": "closed"})
        except ForgeError as error:
            if error.status != 412:   # "cannot change state …, it was already merged"
                raise

    def merge_pull(self, number: int, head_sha: str, title: str, message: str) -> None:
        self._call("POST", f"/pulls/{number}/merge", f"merging pull request {number}", body={
            "Do": "merge", "MergeTitleField": title, "MergeMessageField": message,
            "head_commit_id": head_sha,
            # the repository's default may delete the branch; RemoteForge owns branches
            "delete_branch_after_merge": False})

    # -- statuses, reviews, comments -----------------------------------------------------

    def set_status(self, sha: str, state: StatusState, description: str,
                   url: str = "") -> None:
        self._call("POST", f"/statuses/{sha}", f"setting status {state} on {sha[:12]}", body={
            "state": state, "context": STATUS_CONTEXT, "description": description,
            "target_url": url})

    def reviews(self, number: int) -> list[Review]:
        doing = f"reading reviews of pull request {number}"
        found = [r for r in (_review(data, doing) for data in self._pages(
            f"/pulls/{number}/reviews", doing, {})) if r is not None]
        return [review for _, review in sorted(found, key=lambda pair: pair[0])]

    def comment(self, number: int, text: str) -> None:
        self._call("POST", f"/issues/{number}/comments", f"commenting on pull request {number}",
                   body={"body": text})

    def comments(self, number: int) -> list[Comment]:
        doing = f"reading comments of pull request {number}"
        response = self._call("GET", f"/issues/{number}/comments", doing)  # not paginated
        data = _json(response, doing)
        if not isinstance(data, list):
            raise _unexpected(doing, TypeError("not a list"))
        try:
            return [Comment(str(c["id"]), str(c["user"]["login"]), str(c.get("body") or ""),
                            _time(c["created_at"])) for c in data]
        except (KeyError, TypeError, ValueError) as error:
            raise _unexpected(doing, error) from error

    def hook(self, headers: Mapping[str, str], body: bytes, secret: str) -> Hook:
        return read_hook(headers, body, secret)

    # -- HTTP ----------------------------------------------------------------------------

    def _pages(self, path: str, doing: str, params: dict[str, str]) -> Iterator[Json]:
        """Every item of a list, page by page, until a short page or X-Total-Count."""
        page, seen = 1, 0
        while True:
            response = self._call("GET", path, doing,
                                  params={**params, "page": str(page), "limit": str(PAGE)})
            items = _json(response, doing)
            if not isinstance(items, list):
                raise _unexpected(doing, TypeError("not a list"))
            yield from items
            seen += len(items)
            total = _number(response.headers.get("X-Total-Count"))
            if not items or (seen >= total if total is not None else len(items) < PAGE):
                return
            page += 1

    def _call(self, method: str, path: str, doing: str, *, body: Json = None,
              params: dict[str, str] | None = None) -> requests.Response:
        try:
            response = self._session.request(method, self._base + self._repo + path,
                                             json=body, params=params, timeout=self._timeout)
        except requests.Timeout as error:
            raise ForgeError(0, f"{doing}: gitea did not answer within {self._timeout:g}s",
                             transient=True) from error
        except requests.RequestException as error:
            raise ForgeError(0, f"{doing}: cannot reach gitea at {urlsplit(self._base).netloc}"
                             f" ({type(error).__name__})", transient=True) from error
        if response.status_code >= 400:
            raise _refusal(response, doing, self._token)
        return response


def _refusal(response: requests.Response, doing: str, token: str) -> ForgeError:
    """The ForgeError for an error answer: transient when waiting may help."""
    status = response.status_code
    retry_after = _retry_after(response.headers.get("Retry-After"))
    transient = status >= 500 or status == 429 or (status == 403 and retry_after is not None)
    return ForgeError(status, redact(f"{doing}: {_message(response)}", [token]),
                      transient=transient, retry_after=retry_after if transient else None)


def _message(response: requests.Response) -> str:
    """Gitea's `message`; a proxy's error page or an empty message gives the reason phrase."""
    try:
        data = response.json()
    except ValueError:
        data = None
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, str) or not message.strip():
        message = f"gitea answered {response.status_code} {response.reason or ''}".rstrip()
    message = " ".join(message.split())
    return message if len(message) <= MESSAGE_LIMIT else message[:MESSAGE_LIMIT] + "…"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _json(response: requests.Response, doing: str) -> Json:
    try:
        return response.json()
    except ValueError as error:
        raise ForgeError(response.status_code, f"{doing}: the answer is not JSON; is "
                         "GOVBOT_FORGE_URL the Gitea server?") from error


def _unexpected(doing: str, error: Exception) -> ForgeError:
    return ForgeError(200, f"{doing}: unexpected answer from gitea ({type(error).__name__}: "
                      f"{error})")


def _number(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _time(value: str) -> datetime:
    """Gitea's RFC 3339 times (`2026-11-27T10:00:00+08:00`, `…Z`), always aware."""
    at = datetime.fromisoformat(value)
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _ours(data: Json) -> bool:
    """A pull into main from a branch of this repository (not from a fork)."""
    try:
        head, base = data["head"], data["base"]
        same = head.get("repo_id") in (None, base.get("repo_id"))
        return bool(base["ref"] == MAIN and same)
    except (KeyError, TypeError, AttributeError):
        return False


def _review(data: Json, doing: str) -> tuple[int, Review] | None:
    """(id, review) of a submitted review; None for a pending one, a requested one or a
    team's request. Gitea keeps a dismissed review's state and marks it `dismissed`."""
    try:
        state = REVIEW_STATES.get(str(data.get("state")))
        login = (data.get("user") or {}).get("login")
        if state is None or not login:
            return None
        return int(data.get("id") or 0), Review(
            str(login), "dismissed" if data.get("dismissed") else state,
            str(data.get("commit_id") or ""), _time(data["submitted_at"]))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _unexpected(doing, error) from error


def _pull(data: Json, doing: str) -> Pull:
    try:
        return Pull(number=int(data["number"]), branch=str(data["head"]["ref"]),
                    head_sha=str(data["head"]["sha"]), title=str(data.get("title") or ""),
                    author=str((data.get("user") or {}).get("login") or ""),
                    url=str(data.get("html_url") or ""), body=str(data.get("body") or ""))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _unexpected(doing, error) from error
