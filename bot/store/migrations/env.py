"""Alembic's environment for the store: run on the connection `bot.store.schema` hands in.

Never configured from a file: `bot.store.schema` builds the Alembic config in code and
puts an open connection, already in its transaction, into `config.attributes`. The same
environment serves `govbot db upgrade`, the upgrade at start and the autogenerate of a
new revision (`python -m bot.store.schema revision -m "…"`, docs/database.md).
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection

from bot.store import schema
from bot.store.tables import Base, UtcDateTime


def render_item(kind: str, item: object, _context: AutogenContext) -> str | Literal[False]:
    """A revision must not import our code (it would change under old revisions): write
    UtcDateTime as the column type it stands for."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("the store's migrations run through bot.store.schema, which hands "
                       "in a connection; see docs/database.md")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it: autogenerate writes batch operations for that
    render_as_batch=True,
    compare_type=True,
    render_item=render_item,
    include_object=schema.ours,
)
with context.begin_transaction():
    context.run_migrations()
