"""/sync on a document: stamp it, so that merging it applies main's objects again.

A sync changes no governance setting. It writes the time it was asked for into the
document's `metadata.annotations["govbot.dev/sync"]`; the stamp is a reviewable diff like
any other, and when the apply target sees it change it re-applies the document's objects,
taking back the fields someone changed in the cluster (`/drift` lists them).

Example:
    >>> from policies import document
    >>> doc = document.load(document.new_document("prod", "demo", "svc-user"))
    >>> where = Where("services/prod/demo/svc-user.yaml", "demo")
    >>> sync(doc, Sync("svc-user", "2026-11-27T10:00:00Z"), where)
    'sync svc-user: apply main again (stamp 2026-11-27T10:00:00Z)'
    >>> doc["metadata"]["annotations"][SYNC]
    '2026-11-27T10:00:00Z'
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import InvalidDocument
from policies.edits import keep
from policies.edits.section import Where, section
from policies.intents import Sync

SYNC = "govbot.dev/sync"


def sync(doc: CommentedMap, intent: Sync, where: Where) -> str:
    """Set the stamp on the whole document (its `metadata`, not its `spec`). No clock is
    read: `policies.intents.resolve` put the time in the intent; ValueError without one."""
    if intent.requested_at is None:
        raise ValueError("a sync needs its time: resolve the intent first")
    meta = section(doc, "metadata")
    if meta is None:
        raise InvalidDocument(where.path, ["metadata: required, with name, namespace and env"])
    annotations = section(meta, "annotations")
    if annotations is None:
        if meta.get("annotations") is not None:
            raise InvalidDocument(where.path, ["metadata.annotations: a mapping of texts"])
        annotations = CommentedMap()
        keep.set_key(meta, "annotations", annotations)
    keep.set_key(annotations, SYNC, intent.requested_at)
    return f"sync {intent.service}: apply main again (stamp {intent.requested_at})"
