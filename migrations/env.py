"""Alembic environment, configured from code (see storage.database.alembic_config).

`migrate()` hands a live connection in `config.attributes["connection"]`; without one
(Alembic's own command line, used to write new revisions) an engine is made from the URL.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from migrations.filters import include_name, include_object
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=include_name,
        include_object=include_object,
        compare_type=True,
        # SQLite alters tables by copying them; batch mode lets revisions say ALTER anyway
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_from_url(url: str) -> None:
    from storage.database import Database

    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(run)
    finally:
        await db.dispose()


def url() -> str:
    from storage.database import DEFAULT_URL

    given = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    return str(given or DEFAULT_URL)


if context.is_offline_mode():
    context.configure(url=url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    run(connection)
else:
    asyncio.run(run_from_url(url()))
