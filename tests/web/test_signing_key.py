"""The dashboard's signing key kept in the store: replicas starting together on one
database end up with the same key, whoever writes first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event

from bot.app import DASHBOARD_KEY, dashboard_links
from bot.settings import Settings
from bot.store.sql import SqlStore

OTHER = "ab" * 32


def test_a_replica_racing_another_keeps_the_key_written_first(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'govbot.db'}"
    mine, theirs = SqlStore(url), SqlStore(url)
    begun = [0]  # connections this replica took from its pool

    def other_replica_writes_between(*_args: Any) -> None:
        # after this replica found no key and before it writes one, the other replica
        # (starting at the same moment) stores its own
        begun[0] += 1
        if begun[0] == 2:
            theirs.keep_chat_ref(DASHBOARD_KEY, {"key": OTHER})

    event.listen(mine._engine.pool, "checkout", other_replica_writes_between)
    try:
        links = dashboard_links(Settings.from_env({"GOVBOT_HOME": str(tmp_path)}), mine)
        assert begun[0] >= 2  # the race happened
        assert links.key == bytes.fromhex(OTHER)
        assert theirs.chat_ref(DASHBOARD_KEY) == {"key": OTHER}
        again = dashboard_links(Settings.from_env({"GOVBOT_HOME": str(tmp_path)}), theirs)
        assert again.key == links.key
    finally:
        mine.dispose()
        theirs.dispose()
