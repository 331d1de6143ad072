"""`SqlStore`: change requests and their approvals in SQLite or PostgreSQL (SQLAlchemy 2).

Tables: `changes` (one row per change request), `approvals` (bound to a content hash),
`locks` (one open change per env/namespace/service), `applied` (the last commit each
apply target applied), `events_seen` (platform delivery ids, so retries do nothing).

Change ids are integers from 1, allocated in the same transaction that takes the
service's lock, so a refused command allocates nothing.

Called by the workflow and the local forge.

Example:
    store = SqlStore("sqlite:///" + str(home / "govbot.db"))
    change = store.open_change(draft)          # raises Locked when the service has one open
    store.add_approval(change.id, Approval("bob", now, change.content_hash))
"""

from __future__ import annotations

from bot.core.types import Approval, Change, ChangeDraft, ChangeState


class SqlStore:
    def __init__(self, url: str) -> None:
        """Connect and create the tables when missing (SQLite files and folders too)."""
        raise NotImplementedError

    def open_change(self, draft: ChangeDraft) -> Change:
        """Allocate the next id, take the service's lock, insert the change as `open` with
        branch `change/<id>-<service>` and an empty head_sha.

        Raises bot.core.errors.Locked (with the open change's id and requester) when the
        (env, namespace, service) already has an open change; nothing is written then.
        """
        raise NotImplementedError

    def discard(self, change_id: int) -> None:
        """Forget a change whose branch could not be created (row, approvals and lock)."""
        raise NotImplementedError

    def get(self, change_id: int) -> Change:
        """The change; raises bot.core.errors.NotFound naming the id when absent."""
        raise NotImplementedError

    def update(self, change_id: int, **fields: object) -> Change:
        """Set fields of an open change (head_sha, base_sha, content_hash, diff, verdict,
        summary, url); returns the updated change."""
        raise NotImplementedError

    def close(self, change_id: int, state: ChangeState, *, reason: str = "",
              merged_sha: str = "") -> Change:
        """Mark a change merged or rejected and release its service lock, in one transaction."""
        raise NotImplementedError

    def changes(self, state: ChangeState | None = "open", env: str | None = None,
                namespace: str | None = None, service: str | None = None) -> list[Change]:
        """Changes by id, filtered."""
        raise NotImplementedError

    def add_approval(self, change_id: int, approval: Approval) -> bool:
        """Record an approval; False (and nothing written) when this person already
        approved this content of the change. Racing approvers each count once."""
        raise NotImplementedError

    def approvals(self, change_id: int, content_hash: str) -> list[Approval]:
        """Approvals of a change bound to `content_hash`, oldest first."""
        raise NotImplementedError

    def applied(self, target: str) -> str | None:
        """The commit of main that apply target `target` last applied completely."""
        raise NotImplementedError

    def set_applied(self, target: str, sha: str) -> None:
        raise NotImplementedError

    def claim_event(self, key: str) -> bool:
        """True the first time `key` (a platform delivery id) is seen, False after."""
        raise NotImplementedError
