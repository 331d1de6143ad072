"""Chat references: where an adapter posted a change's message, kept across restarts."""

from __future__ import annotations

from bot.store.sql import SqlStore


def test_chat_refs_are_replaced_and_survive_a_new_store(store: SqlStore, store_url: str) -> None:
    assert store.chat_ref("slack:1") is None
    store.set_chat_ref("slack:1", {"channel": "C1", "ts": "1.1"})
    store.set_chat_ref("slack:1", {"channel": "C1", "ts": "1.2", "card_ts": "1.3"})
    store.set_chat_ref("dingtalk:1", {"conversation": "cid"})
    again = SqlStore(store_url)
    try:
        assert again.chat_ref("slack:1") == {"channel": "C1", "ts": "1.2", "card_ts": "1.3"}
        assert again.chat_ref("dingtalk:1") == {"conversation": "cid"}
    finally:
        again.dispose()
