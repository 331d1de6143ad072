"""The forge port: where main is, and where pull requests are opened, reviewed, merged.

The forge owns where main is: runners ask `main()` (fetched from the remote when there is
one) and never read the local repository's ref themselves. Approvals given in chat live
in the store; reviews given on the forge come from `reviews()`, and `bot.runners.reviews`
counts them against access.yaml.

Adapters: `LocalForge` (pull requests are branches of the local bare policy repository;
their metadata lives in the store; no reviews, no comments) and `RemoteForge` (a bare
mirror of the remote plus GitHub's, GitLab's or Gitea's API: `bot.forge.github`,
`bot.forge.gitlab`, `bot.forge.gitea`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.change import Change
from bot.core.errors import ConfigError
from bot.core.types import Author
from bot.forge.api import Comment, ForgeApi, Hook, Pull, Review, StatusState
from bot.repo.git import PolicyRepo

__all__ = ["KINDS", "Comment", "Forge", "ForgeSettings", "Hook", "Pull", "Review",
           "StatusState", "build", "check_kind"]


class Forge(Protocol):
    """Publishes a change's branch as a pull request, reads its reviews, merges it."""

    kind: str        # "local" | "github" | "gitlab" | "gitea"
    name: str        # as people write it: "GitHub"
    webhooks: bool   # whether /forge/events is served (a webhook secret is set)

    def main(self) -> str:
        """The commit main points to now."""
        ...

    def verify(self) -> None:
        """ConfigError, at start-up, when the forge's API cannot be used as configured
        (a wrong token, repository or URL)."""
        ...

    def open(self, change: Change, body: str) -> str:
        """Publish `change.head_sha` as branch `change.branch` and open its pull request
        (title: the summary, description: `body`); returns the pull request's URL.
        Conflict when the branch exists with other content."""
        ...

    def update(self, change: Change, old_head: str) -> None:
        """Move the branch to a rebuilt `change.head_sha` (Conflict unless it was at
        `old_head`)."""
        ...

    def merge(self, change: Change, message: str, committer: Author) -> str:
        """Merge the branch into main with a merge commit; returns that commit.

        Conflict when main moved meanwhile (the caller replays); Refused when the forge
        will not merge (branch protection, not mergeable)."""
        ...

    def close(self, change: Change) -> None:
        """Close the pull request and delete its branch."""
        ...

    def pull_of(self, change: Change) -> Pull | None:
        """The change's open pull request on the forge (None on the local forge)."""
        ...

    def pulls(self) -> list[Pull]:
        """Every open pull request against main, govbot's and people's."""
        ...

    def pull(self, number: int) -> Pull | None:
        ...

    def fetch(self, pull: Pull) -> None:
        """Make the pull request's commits readable in the policy repository."""
        ...

    def merge_pull(self, pull: Pull, message: str, head: str = "") -> str:
        """Merge a pull request (only while its head is `head`); returns the merge
        commit on main."""
        ...

    def close_pull(self, number: int) -> None:
        """Close a pull request without merging it."""
        ...

    def describe(self, number: int, body: str) -> None:
        """Replace the pull request's description."""
        ...

    def set_status(self, sha: str, state: StatusState, description: str) -> None:
        """The commit status `govbot/guard` on `sha`."""
        ...

    def reviews(self, number: int) -> list[Review]:
        ...

    def comment(self, number: int, text: str) -> None:
        ...

    def comments(self, number: int) -> list[Comment]:
        ...

    def hook(self, headers: Mapping[str, str], body: bytes) -> Hook:
        """Verify and read a webhook delivery (bot.forge.api.Unverified when forged)."""
        ...


KINDS = ("local", "github", "gitlab", "gitea")
API_URLS = {"github": "https://api.github.com", "gitlab": "https://gitlab.com"}
GIT_USERS = {"github": "x-access-token", "gitlab": "oauth2", "gitea": "govbot"}


@dataclass(frozen=True)
class ForgeSettings:
    """GOVBOT_FORGE and GOVBOT_FORGE_*: which forge, where, and how to reach it."""

    kind: str = "local"
    repo_url: str = ""          # GOVBOT_REPO_URL: the remote to clone (hosted forges)
    url: str = ""               # GOVBOT_FORGE_URL: the API base
    token: str = ""             # GOVBOT_FORGE_TOKEN
    repo: str = ""              # GOVBOT_FORGE_REPO: owner/name or a GitLab project path
    webhook_secret: str = ""    # GOVBOT_FORGE_WEBHOOK_SECRET
    poll_seconds: float = 60.0  # GOVBOT_FORGE_POLL_SECONDS
    backoff_seconds: float = 0.5  # GOVBOT_FORGE_BACKOFF_SECONDS: first retry's wait
    pacing_seconds: float = 1.0  # GOVBOT_FORGE_PACING_SECONDS: GitHub's pause between writes

    @property
    def api_url(self) -> str:
        return self.url or API_URLS.get(self.kind, "")

    def check(self) -> None:
        """ConfigError naming the setting, for a forge that could not work."""
        check_kind(self.kind)
        if self.kind == "local":
            if "://" in self.repo_url:
                raise ConfigError(f"GOVBOT_REPO_URL={self.repo_url.split('://')[0]}://…: "
                                  "the local forge needs a path to a bare repository; set "
                                  "GOVBOT_FORGE=github|gitlab|gitea for a remote")
            return
        missing = [name for name, value in (
            ("GOVBOT_REPO_URL", self.repo_url), ("GOVBOT_FORGE_TOKEN", self.token),
            ("GOVBOT_FORGE_REPO", self.repo), ("GOVBOT_FORGE_URL", self.api_url)) if not value]
        if missing:
            example = {"github": "acme/policies", "gitlab": "platform/governance/policies",
                       "gitea": "acme/policies"}[self.kind]
            raise ConfigError(f"GOVBOT_FORGE={self.kind} needs {', '.join(missing)} "
                              f"(for example GOVBOT_FORGE_REPO={example}"
                              + (", GOVBOT_FORGE_URL=https://gitea.example.com"
                                 if self.kind == "gitea" else "") + ")")
        if (self.kind != "gitlab" and self.repo.count("/") != 1) or "/" not in self.repo \
                or self.repo != self.repo.strip() or "//" in self.repo:
            example = "group/name" if self.kind == "gitlab" else "owner/name"
            raise ConfigError(f"GOVBOT_FORGE_REPO={self.repo!r}: use {example}, for "
                              f"example acme/policies")
        if not self.api_url.startswith(("http://", "https://")):
            raise ConfigError(f"GOVBOT_FORGE_URL={self.api_url!r}: use an http(s) URL, for "
                              "example https://gitea.example.com")
        if self.poll_seconds < 1:
            raise ConfigError(f"GOVBOT_FORGE_POLL_SECONDS={self.poll_seconds:g}: use at "
                              "least 1 second, for example 60")


def check_kind(kind: str) -> None:
    """ConfigError, before anything else is opened, for a forge govbot does not have."""
    if kind not in KINDS:
        raise ConfigError(f"GOVBOT_FORGE={kind!r} is not available; use "
                          f"{', '.join(repr(k) for k in KINDS)}")


def api(settings: ForgeSettings) -> ForgeApi:
    """The API adapter of a hosted forge; each imports its client library only here."""
    if settings.kind == "github":
        from bot.forge.github import GitHubApi
        return GitHubApi(settings.api_url, settings.token, settings.repo,
                         write_interval=settings.pacing_seconds)
    if settings.kind == "gitlab":
        from bot.forge.gitlab import GitLabApi
        return GitLabApi(settings.api_url, settings.token, settings.repo)
    from bot.forge.gitea import GiteaApi
    return GiteaApi(settings.api_url, settings.token, settings.repo)


def mirror_path(home: Path) -> Path:
    """Where a hosted forge's bare mirror lives."""
    return home / "mirror.git"


def build(settings: ForgeSettings, repo: PolicyRepo) -> Forge:
    """The forge of the settings over `repo` (the local forge's repository, or the
    mirror `open_mirror` prepared)."""
    from bot.forge.local import LocalForge
    from bot.forge.mirror import Mirror
    from bot.forge.remote import RemoteForge

    settings.check()
    if settings.kind == "local":
        return LocalForge(repo)
    mirror = Mirror(repo.path, settings.repo_url, settings.token, GIT_USERS[settings.kind])
    return RemoteForge(mirror, api(settings), settings.webhook_secret,
                       backoff=settings.backoff_seconds)


def open_mirror(settings: ForgeSettings, path: Path) -> PolicyRepo:
    """Create or refresh the mirror of a hosted forge's repository at `path`.

    ConfigError naming GOVBOT_REPO_URL when the remote cannot be read."""
    from bot.forge.api import ForgeError
    from bot.forge.mirror import Mirror

    mirror = Mirror(path, settings.repo_url, settings.token, GIT_USERS[settings.kind])
    try:
        mirror.ensure()
    except ForgeError as error:
        raise ConfigError(f"reading main from GOVBOT_REPO_URL: {error.message}") from error
    if not mirror.main():
        raise ConfigError("GOVBOT_REPO_URL has no main branch; push the policy "
                           "repository's main first (govbot init DIR makes one)")
    return PolicyRepo(path)
