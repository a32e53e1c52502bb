"""aiosqlite, with one trip to the connection's thread per statement.

aiosqlite runs every call on a thread of the connection's own, and SQLAlchemy's aiosqlite
adapter makes four calls per statement: open a cursor, execute, fetch the rows, close the
cursor. Each is a hand-off to that thread and back to the event loop (a queue, a futex, a
wake-up of the loop); for the short statements the bot runs, the hand-offs cost more than
SQLite's own work (docs/ARCHITECTURE.md, "SQLite and the write turn"). Here the cursor
SQLAlchemy gets does all four in one trip and keeps the rows, which SQLAlchemy's adapter
reads whole anyway. A server-side cursor (`stream`) gets them whole too: nothing streams
from SQLite here (exports page with keysets).

What it uses of aiosqlite beyond its documented API: `Connection._execute(fn, *args)` (run
`fn` on the connection's thread), `Connection._conn` (the sqlite3 connection there) and
`Connection._thread`; pyproject.toml pins aiosqlite to the versions that have them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite

Description = tuple[tuple[Any, ...], ...] | None
_Done = tuple[Description, int, int | None, list[Any]]


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> _Done:
    """On the connection's thread: the statement, then everything SQLAlchemy reads of it."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """The part of an aiosqlite cursor SQLAlchemy's adapter uses; its rows are fetched with
    the statement."""

    arraysize = 1

    def __init__(self, conn: OneTripConnection) -> None:
        self._conn = conn
        self.description: Description = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _go(self, sql: str, parameters: Any, many: bool) -> OneTripCursor:
        done: _Done = await self._conn._execute(_run, self._conn._conn, sql, parameters, many)
        self.description, self.rowcount, self.lastrowid, self._rows = done
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> OneTripCursor:
        return await self._go(sql, () if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> OneTripCursor:
        return await self._go(sql, parameters, True)

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        n = self.arraysize if size is None else size
        rows, self._rows = self._rows[:n], self._rows[n:]
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def close(self) -> None:
        self._rows = []


class OneTripConnection(aiosqlite.Connection):
    def cursor(self) -> OneTripCursor:  # type: ignore[override]  # no trip: made with the statement
        return OneTripCursor(self)


def connector(database: str, **kwargs: Any) -> Callable[[], OneTripConnection]:
    """An `async_creator` for SQLAlchemy: a new connection to `database` each call."""

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    def create() -> OneTripConnection:
        conn = OneTripConnection(connect, iter_chunk_size=64)
        conn._thread.daemon = True  # as SQLAlchemy sets it for aiosqlite: exit never waits on it
        return conn

    return create
