"""The SQLite driver's one-trip cursor answers SQLAlchemy as aiosqlite's own does."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.sqlite_driver import OneTripConnection


async def test_rows_counts_ids_and_errors_come_back_as_sqlalchemy_expects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips: list[str] = []
    real = OneTripConnection._execute

    async def counted(self: OneTripConnection, fn: object, *args: object, **kw: object) -> object:
        trips.append(getattr(fn, "__name__", "?"))
        return await real(self, fn, *args, **kw)

    monkeypatch.setattr(OneTripConnection, "_execute", counted)
    db = Database(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        async with db.write() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
        trips.clear()
        async with db.write() as conn:
            inserted = await conn.exec_driver_sql("INSERT INTO t (name) VALUES ('a')")
            assert inserted.lastrowid == 1
            await conn.exec_driver_sql("INSERT INTO t (name) VALUES (?)", [("b",), ("c",)])  # many
            updated = await conn.exec_driver_sql("UPDATE t SET name = name || '!' WHERE id > 1")
            assert updated.rowcount == 2
            returned = await conn.exec_driver_sql("DELETE FROM t WHERE id = 3 RETURNING name")
            assert returned.all() == [("c!",)]
        # BEGIN IMMEDIATE, 4 statements, COMMIT: one trip each
        assert trips[:6] == ["_run"] * 5 + ["commit"], trips
        async with db.read() as conn:
            empty = await conn.execute(sa.text("SELECT id, name FROM t WHERE id > 100"))
            assert list(empty.keys()) == ["id", "name"] and empty.all() == []
        assert await db.read_rows(sa.text("SELECT name FROM t ORDER BY id"), {}) == [("a",), ("b!",)]
        with pytest.raises(IntegrityError):
            async with db.write() as conn:
                await conn.exec_driver_sql("INSERT INTO t (name) VALUES ('a')")
        assert await db.read_rows(sa.text("SELECT count(*) FROM t"), {}) == [(2,)]
    finally:
        await db.dispose()
