from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from storage.convert import deliverable_columns
from storage.database import (
    Database,
    SchemaBehind,
    async_url,
    ensure_current,
    head_revision,
    migrate,
    schema_status,
)
from storage.models import DeliverableRow
from storage.repository import SqlRepository
from tests.conftest import BACKENDS
from tests.storage.factories import CH, T0, new

WEEK = timedelta(days=7)


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_urls_map_to_async_drivers(given: str, driver: str) -> None:
    assert async_url(given)[0].drivername == driver


def test_libpq_options_and_sslmode_become_asyncpg_arguments() -> None:
    url, args = async_url("postgresql://u@h/db?options=-csearch_path%3Dbot&sslmode=require")
    assert args == {"server_settings": {"search_path": "bot"}}
    assert dict(url.query) == {"ssl": "require"}
    assert async_url("postgresql://u@h/db?options=-c%20statement_timeout%3D5s")[1] == {
        "server_settings": {"statement_timeout": "5s"}
    }


async def test_sqlite_connections_use_wal_foreign_keys_and_wait(sqlite_db: Database) -> None:
    async with sqlite_db.engine.connect() as conn:
        pragma = {
            name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        }
    assert pragma == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30_000}


async def test_migrate_reports_head_and_ensure_current_passes(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert await schema_status(db) == (None, head_revision())
        await migrate(db_url)
        assert await schema_status(db) == (head_revision(), head_revision())
        await ensure_current(db)
    finally:
        await db.dispose()


async def test_ensure_current_refuses_an_unmigrated_database(db_url: str) -> None:
    db = Database(db_url)
    try:
        with pytest.raises(SchemaBehind, match="outputs-bot migrate"):
            await ensure_current(db)
    finally:
        await db.dispose()


async def test_ensure_current_refuses_a_database_from_a_newer_version(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'zzzz'")
    with pytest.raises(SchemaBehind, match="newer"):
        await ensure_current(db)


async def test_datetimes_come_back_aware_utc_and_naive_ones_are_refused(
    repo: SqlRepository,
) -> None:
    paris = timezone(timedelta(hours=1))
    end = datetime(2026, 3, 6, 16, 0, 0, 123456, tzinfo=paris)
    assert await repo.claim_digest(CH, end - timedelta(days=7), end, end, 600)
    (run,) = await repo.digest_runs()
    assert run.period_end == end and run.period_end.tzinfo == UTC
    assert run.period_end.hour == 15
    with pytest.raises(sa.exc.StatementError, match="naive"):
        await repo.claim_digest(CH, datetime(2026, 3, 1), datetime(2026, 3, 8), end, 600)


def _begins(db: Database) -> tuple[list[str], Any]:
    sent: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        if statement.upper().startswith("BEGIN"):
            sent.append(statement)

    return sent, record


async def test_sqlite_reads_begin_deferred_one_statement_not_at_all_writes_immediate(
    sqlite_db: Database,
) -> None:
    repo = SqlRepository(sqlite_db)
    sent, record = _begins(sqlite_db)
    sa.event.listen(sqlite_db.engine.sync_engine, "before_cursor_execute", record)
    try:
        await repo.capture(new())
        await repo.digest_facts(CH, [T0 - WEEK, T0 + WEEK], T0 - WEEK)  # one statement: no BEGIN
        async with sqlite_db.read() as conn:
            assert (await conn.exec_driver_sql("SELECT count(*) FROM deliverables")).scalar() == 1
        await repo.claim_once("welcome", CH, "U1", "")
    finally:
        sa.event.remove(sqlite_db.engine.sync_engine, "before_cursor_execute", record)
    assert sent == ["BEGIN IMMEDIATE", "BEGIN", "BEGIN IMMEDIATE"]


async def test_a_sqlite_digest_reads_its_snapshot_while_a_writer_holds_the_lock(sqlite_db: Database) -> None:
    """A read-only transaction neither takes nor waits for the write lock (BEGIN IMMEDIATE did:
    up to busy_timeout behind every writer)."""
    repo = SqlRepository(sqlite_db)
    await repo.capture(new(message_id="committed"))
    bounds = [T0 - WEEK, T0 + WEEK]
    async with sqlite_db.engine.connect() as writer:  # BEGIN IMMEDIATE: the write lock is taken
        await writer.execute(sa.insert(DeliverableRow), [deliverable_columns(new(message_id="pending"))])
        facts = await asyncio.wait_for(repo.digest_facts(CH, bounds, T0 - WEEK), timeout=5)
        assert [d.message_id for d in facts.current] == ["committed"]
        await writer.commit()
    facts = await repo.digest_facts(CH, bounds, T0 - WEEK)
    assert [d.message_id for d in facts.current] == ["committed", "pending"]


@pytest.mark.parametrize("backend", [BACKENDS[1]], indirect=True)  # PostgreSQL only
async def test_postgres_reads_skip_begin_at_read_committed_only(db: Database) -> None:
    """At READ COMMITTED a transaction gives each statement its own snapshot anyway."""
    assert db.dialect == "postgresql"

    async def autocommit(database: Database) -> bool:
        async with database.read() as conn:
            assert (await conn.exec_driver_sql("SELECT 1")).scalar() == 1
            raw = await conn.get_raw_connection()
            return bool(raw.dbapi_connection.autocommit)  # type: ignore[union-attr]

    await autocommit(db)  # the first connection tells the server's default level
    assert await autocommit(db)
    async with db.session() as s, s.begin():  # writes still run in a transaction
        assert not (await s.connection()).sync_connection.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
    stricter = Database(db.url, isolation_level="REPEATABLE READ")
    try:
        assert not await autocommit(stricter)
    finally:
        await stricter.dispose()


async def test_a_failed_statement_does_not_carry_its_parameters_into_its_message(db: Database) -> None:
    secret_text = "the person's own words"
    with pytest.raises(sa.exc.DBAPIError) as failed:
        async with db.write() as conn:
            statement = sa.text("SELECT CAST(:v AS INTEGER) / 0 FROM no_such_table")
            await conn.execute(statement, {"v": secret_text})
    assert secret_text not in str(failed.value)
