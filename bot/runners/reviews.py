"""Reviews given on the forge, counted like approvals given in chat.

A review counts for the person access.yaml maps the forge login to (`ids.github`,
`ids.gitlab`, `ids.gitea`); a login nobody mapped counts for nothing. Only each person's
latest review matters: an approval given on an older head commit does not count for the
new one, and a "changes requested" blocks the merge until that person approves or the
review is dismissed. Comments are not reviews.

Example:
    tally(reviews, head_sha, config, "github")
    # Tally(approvals=[Approval("bob", …)], blockers=("carol",))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.config import RepoConfig
from bot.core.errors import NotAllowed
from bot.core.types import Approval
from bot.forge import Review


@dataclass(frozen=True)
class Tally:
    approvals: list[Approval] = field(default_factory=list)
    blockers: tuple[str, ...] = ()   # person ids with changes requested


def same_login(value: object, user: str, _team: str) -> bool:
    """Forge logins compare without case, as the forges treat them."""
    return isinstance(value, str | int) and str(value).lower() == user.lower()


def person_id(config: RepoConfig, kind: str, login: str) -> str | None:
    """The access.yaml person a forge login belongs to; None when nobody maps it."""
    try:
        return config.person(kind, login, matches=same_login).id
    except NotAllowed:
        return None


def tally(reviews: Sequence[Review], head: str, content_hash: str, config: RepoConfig,
          kind: str) -> Tally:
    latest: dict[str, Review] = {}
    for review in reviews:
        if review.state != "commented":
            latest[review.login] = review
    approvals: list[Approval] = []
    blockers: list[str] = []
    for login, review in latest.items():
        person = person_id(config, kind, login)
        if person is None:
            continue
        if review.state == "approved" and review.commit == head:
            approvals.append(Approval(person, review.at, content_hash))
        elif review.state == "changes_requested":
            blockers.append(person)
    return Tally(approvals, tuple(sorted(set(blockers))))
