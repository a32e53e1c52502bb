"""Pending files (Teams' file consent cards) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from storage.database import Database
from storage.models import PendingFileRow
from storage.pending_files import MAX_AGE, PendingFiles

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CSV = 'id,title\n1,"Café, ☕ and ""quotes"""\n' + "x" * 200_000 + "\n"


async def count(db: Database) -> int:
    rows = await db.read_rows(sa.select(sa.func.count()).select_from(PendingFileRow), {})
    return int(rows[0][0])


async def test_add_then_get_keeps_the_content_exactly(db: Database) -> None:
    files = PendingFiles(db)
    token = await files.add("teams", "tenant-1", "user-1", "outputs-general.csv", CSV, at=T0)
    got = await files.get(token, at=T0 + timedelta(minutes=5))
    assert got is not None
    assert (got.platform, got.workspace_id, got.user_id) == ("teams", "tenant-1", "user-1")
    assert got.filename == "outputs-general.csv" and got.content == CSV
    assert got.data == CSV.encode("utf-8") and got.created_at == T0


async def test_tokens_are_random_and_unguessable(db: Database) -> None:
    files = PendingFiles(db)
    tokens = {await files.add("teams", "t", "u", "f.csv", "x", at=T0) for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 32 for t in tokens)
    assert await files.get("") is None and await files.get("not-a-token", at=T0) is None


async def test_a_file_older_than_a_day_is_not_returned(db: Database) -> None:
    files = PendingFiles(db)
    token = await files.add("teams", "t", "u", "f.csv", "x", at=T0)
    assert await files.get(token, at=T0 + MAX_AGE) is not None
    assert await files.get(token, at=T0 + MAX_AGE + timedelta(seconds=1)) is None


async def test_adding_a_file_deletes_expired_ones(db: Database) -> None:
    files = PendingFiles(db)
    old = await files.add("teams", "t", "u", "old.csv", "x", at=T0)
    recent = await files.add("teams", "t", "u", "recent.csv", "x", at=T0 + timedelta(hours=20))
    new = await files.add("teams", "t", "v", "new.csv", "x", at=T0 + timedelta(hours=25))
    assert await count(db) == 2
    later = T0 + timedelta(hours=25)
    assert await files.get(old, at=later) is None
    assert await files.get(recent, at=later) is not None and await files.get(new, at=later) is not None


async def test_delete_on_use_and_sweep(db: Database) -> None:
    files = PendingFiles(db)
    token = await files.add("teams", "t", "u", "f.csv", "x", at=T0)
    assert await files.delete(token) is True
    assert await files.delete(token) is False  # already used (another replica, a double click)
    assert await files.get(token, at=T0) is None
    await files.add("teams", "t", "u", "a.csv", "x", at=T0)
    await files.add("teams", "t", "u", "b.csv", "x", at=T0 + timedelta(hours=12))
    assert await files.sweep(at=T0 + timedelta(hours=30)) == 1
    assert await count(db) == 1
