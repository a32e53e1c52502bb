"""SQLite transactions: IMMEDIATE only inside the write turn, deferred everywhere else, and
reads never wait for a writer (of this process through the turn, or of another through the lock)."""

from __future__ import annotations

import asyncio
import sqlite3

import sqlalchemy as sa

from bot.charter import ChannelKey
from bot.ports import ChannelInfo
from storage.database import Database
from storage.repository import SqlRepository

KEY = ChannelKey(platform="slack", workspace_id="T1", channel_id="C1")


def begins(db: Database) -> list[str]:
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *rest: object) -> None:
        if statement.startswith("BEGIN"):
            seen.append(statement)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    return seen


async def test_writes_begin_immediate_and_everything_else_deferred(sqlite_db: Database) -> None:
    repo = SqlRepository(sqlite_db)
    seen = begins(sqlite_db)
    await repo.upsert_channel(ChannelInfo(key=KEY, name="general"))
    assert seen == ["BEGIN IMMEDIATE"]
    seen.clear()
    assert (await repo.get_channel(KEY)) is not None
    await repo.list_charters()
    async with sqlite_db.engine.connect() as conn:  # any connection that is not a writer's
        await conn.execute(sa.text("SELECT 1 FROM channels"))
    assert seen and all(s == "BEGIN" for s in seen), seen


async def test_reads_go_on_while_this_process_holds_the_write_turn(sqlite_db: Database) -> None:
    repo = SqlRepository(sqlite_db)
    await repo.upsert_channel(ChannelInfo(key=KEY, name="general"))
    release, held = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with sqlite_db.write() as conn:
            await conn.execute(sa.text("UPDATE channels SET name = 'renamed'"))
            held.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await held.wait()
    try:
        # neither the turn nor the lock is asked for: these answer from the last commit
        info = await asyncio.wait_for(repo.get_channel(KEY), timeout=10)
        assert info is not None and info.name == "general"
        assert await asyncio.wait_for(repo.list_channels("slack", "T1"), timeout=10)
    finally:
        release.set()
        await task
    info = await repo.get_channel(KEY)
    assert info is not None and info.name == "renamed"


async def test_reads_go_on_while_another_process_holds_the_write_lock(sqlite_db: Database) -> None:
    repo = SqlRepository(sqlite_db)
    await repo.upsert_channel(ChannelInfo(key=KEY, name="general"))
    path = sqlite_db.engine.url.database
    assert path
    other = sqlite3.connect(path, isolation_level=None)  # another process's connection, as far as locks go
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE channels SET name = 'elsewhere'")
        info = await asyncio.wait_for(repo.get_channel(KEY), timeout=10)
        assert info is not None and info.name == "general"
    finally:
        other.execute("ROLLBACK")
        other.close()
