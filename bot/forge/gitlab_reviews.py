"""Which head each GitLab approval was given on, from what GitLab's REST API keeps.

GitLab keeps approvals per merge request, not per commit, and its approvals API says who
approves now but (before GitLab 18.4's `approved_at`) not when. Govbot counts an approval
only on the head it was given on, so this module pieces the history together from three
answers, all available on every tier:

- versions (`GET …/merge_requests/:iid/versions`): one per push, each with the head
  commit and when GitLab recorded it; the head at time t is the newest version at or
  before t;
- system notes (`GET …/merge_requests/:iid/notes?activity_filter=only_activity`):
  "approved this merge request" / "unapproved this merge request" / "requested changes",
  each with its author and time;
- approvals (`GET …/merge_requests/:iid/approvals`): who approves now, so that an approval
  GitLab dropped without a note (the project's "remove approvals when commits are added"
  setting) reads as dismissed;
- reviewers (`GET …/merge_requests/:iid/reviewers`): a reviewer in state
  `requested_changes` has changes requested, which holds until they approve or are asked
  to review again, so it stands against the current head.

Pure functions over the JSON; `bot.forge.gitlab` fetches it.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.forge.api import Review

APPROVED = "approved this merge request"
UNAPPROVED = "unapproved this merge request"
REQUESTED_CHANGES = "requested changes"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ReviewInputs:
    """GitLab's answers for one merge request, as JSON objects."""

    versions: Sequence[Mapping[str, Any]]
    notes: Sequence[Mapping[str, Any]]      # system notes, oldest first
    approvals: Mapping[str, Any]
    reviewers: Sequence[Mapping[str, Any]]
    head: str = ""                          # the merge request's sha, when no version


def parse_time(text: str) -> datetime:
    """GitLab's times: `2016-06-08T21:20:42.470Z` in the API, `2015-05-17 18:21:36 UTC` in
    webhooks."""
    moment = datetime.fromisoformat(text.strip().replace(" UTC", "+00:00").replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _Heads:
    """The merge request's head at any moment, from its versions."""

    def __init__(self, versions: Sequence[Mapping[str, Any]], head: str) -> None:
        timeline = sorted((parse_time(v["created_at"]), str(v["head_commit_sha"]))
                          for v in versions)
        self.times = [t for t, _ in timeline]
        self.shas = [s for _, s in timeline]
        self.current = self.shas[-1] if self.shas else head
        self.first = self.times[0] if self.times else EPOCH

    def at(self, moment: datetime | None) -> str:
        """The head when `moment` happened; "" when that cannot be known."""
        if moment is None:
            # an approval of unknown time is on the head only while there was one head
            return self.current if len(set(self.shas)) <= 1 else ""
        index = bisect.bisect_right(self.times, moment) - 1
        return self.shas[max(index, 0)] if self.shas else self.current


def reviews_from(inputs: ReviewInputs) -> list[Review]:
    """Every approval (dismissed once withdrawn or dropped), then changes requested, oldest
    first."""
    heads = _Heads(inputs.versions, inputs.head)
    approving = {entry["user"]["username"]: _time(entry.get("approved_at"))
                 for entry in inputs.approvals.get("approved_by") or []}
    approvals: list[tuple[str, datetime]] = []
    withdrawn: dict[str, datetime] = {}
    requested: dict[str, datetime] = {}
    for note in inputs.notes:
        if not note.get("system"):
            continue
        login, body, at = note["author"]["username"], str(note.get("body") or ""), \
            parse_time(note["created_at"])
        if body.startswith(APPROVED):
            approvals.append((login, at))
        elif body.startswith(UNAPPROVED):
            withdrawn[login] = at
        elif body.startswith(REQUESTED_CHANGES):
            requested[login] = at
    latest = {login: at for login, at in approvals}
    reviews: list[Review] = []
    for login, at in approvals:
        standing = (latest[login] == at and login in approving
                    and withdrawn.get(login, EPOCH) < at)
        when = (approving.get(login) or at) if standing else at
        reviews.append(Review(login, "approved" if standing else "dismissed",
                              heads.at(when), when))
    for login, approved_at in approving.items():
        if login not in latest:  # approved with no note GitLab let us read
            reviews.append(Review(login, "approved", heads.at(approved_at),
                                  approved_at or heads.first))
    for reviewer in inputs.reviewers:
        if reviewer.get("state") == "requested_changes":
            login = reviewer["user"]["username"]
            when = requested.get(login) or _time(reviewer.get("created_at")) or heads.first
            reviews.append(Review(login, "changes_requested", heads.current, when))
    return sorted(reviews, key=lambda review: review.at)


def _time(text: str | None) -> datetime | None:
    return parse_time(text) if text else None
