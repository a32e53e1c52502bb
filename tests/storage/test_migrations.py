"""The migrations are the schema: they upgrade an empty database and match the models."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from migrations.filters import FTS_TABLE, SEARCH_COLUMN, include_name, include_object
from storage.database import Database, alembic_config, downgrade, migrate, schema_status
from storage.models import Base


def _differences(conn: sa.Connection, metadata: sa.MetaData = Base.metadata) -> list[Any]:
    context = MigrationContext.configure(
        conn,
        opts={
            "include_name": include_name,
            "include_object": include_object,
            "compare_type": True,
            "target_metadata": metadata,
        },
    )
    return list(compare_metadata(context, metadata))


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def test_upgrade_an_empty_database_to_head(db_url: str) -> None:
    await migrate(db_url)
    db = Database(db_url)
    try:
        assert set(Base.metadata.tables) | {"alembic_version"} <= await _tables(db)
        current, head = await schema_status(db)
        assert current == head
        await migrate(db_url)  # a second run is a no-op
    finally:
        await db.dispose()


async def test_models_and_migrations_agree(db: Database) -> None:
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_differences) == []


async def test_alembic_check_through_env_py_finds_nothing(db: Database) -> None:
    # env.py's own path (no connection handed in): it runs asyncio.run, so use a thread
    await asyncio.to_thread(command.check, alembic_config(db.url))


async def test_the_comparison_would_notice_a_drift(db: Database) -> None:
    drifted = sa.MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    sa.Table("not_migrated", drifted, sa.Column("id", sa.Integer, primary_key=True))
    drifted.tables["channels"].append_column(sa.Column("topic", sa.Text))
    async with db.engine.connect() as conn:
        found = await conn.run_sync(_differences, drifted)
    assert {d[0] for d in found} == {"add_table", "add_column"}


async def test_search_plumbing_exists_but_is_left_out_of_the_comparison(db: Database) -> None:
    async with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            names = await conn.exec_driver_sql("SELECT name FROM sqlite_master")
            assert FTS_TABLE in set(names.scalars())
        else:
            columns = await conn.run_sync(lambda c: sa.inspect(c).get_columns("deliverables"))
            assert SEARCH_COLUMN in {c["name"] for c in columns}
    assert not include_name(FTS_TABLE + "_data", "table", {})
    assert not include_name(SEARCH_COLUMN, "column", {})


async def test_downgrade_to_base_and_back(db_url: str) -> None:
    await migrate(db_url)
    db = Database(db_url)
    try:
        await downgrade(db, "base")
        assert await _tables(db) <= {"alembic_version"}
        await migrate(db)
        assert "deliverables" in await _tables(db)
    finally:
        await db.dispose()
