"""The database handle, URL normalisation and schema migration.

Alembic is configured here in code (no alembic.ini) and pointed at the installed
`migrations` package, so `outputs-bot migrate` works from a pip-installed wheel.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import migrations
from storage import sqlite_driver
from storage.write_turn import WriteTurn

DEFAULT_URL = "sqlite+aiosqlite:///outputs.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution options (see _on_begin): the transaction only reads; the connection runs one
# statement, which is one snapshot by itself and needs no transaction at all.
READ_ONLY = "outputs_read_only"
WRITE = "outputs_write"  # the transaction may write: SQLite's IMMEDIATE, inside the write turn
ONE_STATEMENT = "outputs_one_statement"
BUSY_MS = "outputs_busy_ms"  # SQLite: how long this transaction waits for the write lock
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
}


class SchemaBehind(Exception):
    """The database is not at the migrations' head revision."""


def async_url(url: str) -> tuple[URL, dict[str, Any]]:
    """Map a user's URL to an async driver, and the connect arguments it implies.

    asyncpg takes no libpq `options` or `sslmode`, so those are translated: `options=-c
    search_path=x` becomes a server setting (handy to keep the bot in its own schema).
    """
    if url.startswith("postgres://"):  # Heroku-style, which SQLAlchemy does not accept
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    parsed = parsed.set(drivername=_ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername))
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        query = dict(parsed.query)
        if "options" in query:
            connect_args["server_settings"] = _libpq_options(str(query.pop("options")))
        if "sslmode" in query:
            query["ssl"] = query.pop("sslmode")
        parsed = parsed.set(query=query)
    return parsed, connect_args


def _libpq_options(options: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    words = iter(shlex.split(options))
    for word in words:
        pair = word[2:] if word.startswith("-c") and len(word) > 2 else None
        if word == "-c":
            pair = next(words, "")
        if pair and "=" in pair:
            key, value = pair.split("=", 1)
            settings[key.strip()] = value.strip()
    return settings


def _dumps(value: Any) -> str:
    # ensure_ascii would turn "café" into "caf\u00e9", which full-text search cannot match
    return json.dumps(value, ensure_ascii=False)


class Database:
    """One async engine and its session factory. Create once per process.

    `reader`, `read()` and `read_rows()` use the same engine (same pool) for work that only
    reads: on SQLite its transactions begin deferred (or not at all, for one statement), so
    that they neither take nor wait for the write lock. Never write through them.
    """

    def __init__(self, url: str = DEFAULT_URL, **engine_options: Any) -> None:
        self.url = url  # as given: it also carries what the engine URL cannot (options)
        engine_url, connect_args = async_url(url)
        self.dialect = engine_url.get_backend_name()
        engine_options.setdefault("json_serializer", _dumps)
        # what people write travels as parameters: an error's message must not carry it to the logs
        engine_options.setdefault("hide_parameters", True)
        if connect_args:
            engine_options["connect_args"] = {**connect_args, **engine_options.get("connect_args", {})}
        if self.dialect == "sqlite":
            args, kwargs = engine_url.get_dialect()().create_connect_args(engine_url)
            engine_options.setdefault("async_creator", sqlite_driver.connector(*args, **kwargs))
        self.engine: AsyncEngine = create_async_engine(engine_url, **engine_options)
        if self.dialect == "sqlite":
            _tune_sqlite(self.engine)
        self.reader: AsyncEngine = self.engine.execution_options(**{READ_ONLY: True})
        # What writes goes through `write()` / `session()`, which take the write turn first.
        self.writer: AsyncEngine = self.engine.execution_options(**{WRITE: True})
        # PostgreSQL at READ COMMITTED gives every statement its own snapshot, in a
        # transaction or not: for reads, BEGIN and ROLLBACK would only add two round trips.
        self._autocommit_reader = self.reader.execution_options(isolation_level="AUTOCOMMIT")
        self._one_statement = self.reader.execution_options(**{ONE_STATEMENT: True})
        if self.dialect == "postgresql":
            self._one_statement = self._autocommit_reader
        self._level = engine_options.get("isolation_level")
        self.sessions = async_sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.reader, expire_on_commit=False)
        self._writers: tuple[asyncio.AbstractEventLoop, WriteTurn] | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """An ORM session whose transaction may write (on SQLite: one at a time, see `turn`)."""
        async with self.turn(), self.sessions() as s:
            yield s

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """An ORM session that only reads: it takes no write turn, and on SQLite begins
        deferred (a WAL snapshot beside the writers). Never write through it."""
        async with self._read_sessions() as s:
            yield s

    @asynccontextmanager
    async def write(
        self, engine: AsyncEngine | None = None, *, first: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """A Core connection in a transaction that may write, committed on leaving; `engine`:
        `writer` with other execution options (`BUSY_MS`); `first`: on SQLite, ahead of the
        other writers of this process waiting for their turn (`storage.write_turn`)."""
        async with self.turn(first), (engine or self.writer).begin() as conn:
            yield conn

    @asynccontextmanager
    async def turn(self, first: bool = False) -> AsyncIterator[None]:
        """On SQLite, this process's write transactions take turns (`storage.write_turn`)."""
        if self.dialect != "sqlite":
            yield
            return
        loop = asyncio.get_running_loop()
        if self._writers is None or self._writers[0] is not loop:  # a turn serves one loop
            self._writers = (loop, WriteTurn())
        async with self._writers[1](first):
            yield

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads only, its statements seeing one state of the database:
        on SQLite one deferred transaction (one snapshot for all of them); on PostgreSQL at
        READ COMMITTED autocommit (a snapshot per statement, as a transaction there gives)."""
        async with self._read_engine().connect() as conn:
            yield conn  # leaving rolls back what SQLite began: nothing was written

    async def read_rows(self, statement: sa.Executable, params: dict[str, Any]) -> Sequence[Any]:
        """The rows of one read-only statement. One statement is one snapshot by itself, so
        no transaction is begun around it: on SQLite no BEGIN (no lock, no extra round trip
        to the driver's thread); on PostgreSQL autocommit (no BEGIN and ROLLBACK)."""
        async with self._one_statement.connect() as conn:
            return (await conn.execute(statement, params)).all()

    def _read_engine(self) -> AsyncEngine:
        # the server's default level is known once the first connection was made
        if self.dialect != "postgresql":
            return self.reader
        level = self._level or getattr(self.engine.dialect, "default_isolation_level", None)
        return self._autocommit_reader if level == "READ COMMITTED" else self.reader

    async def dispose(self) -> None:
        await self.engine.dispose()


def _tune_sqlite(engine: AsyncEngine) -> None:
    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN away from the driver: it skips it before SELECTs, so a transaction
        # that reads then writes could not be serialised (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # the timeout first: the first switch to WAL needs a lock another process may hold
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough with WAL, much faster
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A transaction that may write (Database.writer, inside the write turn) begins
        # IMMEDIATE: it takes the write lock up front, where busy_timeout makes writers queue.
        # A deferred transaction that reads first fails at once with "database is locked"
        # when another writer got in between: SQLite cannot wait without breaking isolation.
        # Every other transaction begins deferred: it reads its WAL snapshot alongside the
        # writers instead of queueing behind them, and takes no lock it does not need.
        options = conn.get_execution_options()
        if options.get(ONE_STATEMENT):
            return  # SQLite runs the statement in a read transaction of its own
        busy = options.get(BUSY_MS, SQLITE_BUSY_TIMEOUT_MS)
        info = conn.connection.info
        if info.get(BUSY_MS, SQLITE_BUSY_TIMEOUT_MS) != busy:  # a pragma only when it changes
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy)}")
            info[BUSY_MS] = busy
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE) else "BEGIN")


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrations.__file__).parent))
    # the URL travels in attributes: set_main_option would treat '%' as interpolation
    cfg.attributes["url"] = url
    return cfg


def _upgrade(connection: sa.Connection, revision: str, secret_key: str | None = None) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    cfg.attributes["secret_key"] = secret_key  # revision 0007 encrypts stored tokens with it
    command.upgrade(cfg, revision)


def _downgrade(connection: sa.Connection, revision: str, secret_key: str | None = None) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    cfg.attributes["secret_key"] = secret_key
    command.downgrade(cfg, revision)


async def migrate(target: str | Database, revision: str = "head", *, secret_key: str | None = None) -> None:
    """Upgrade the database to `revision` (default: the newest). `secret_key`: the Fernet
    keys stored tokens are encrypted with (default: OUTPUTS_SECRET_KEY from the environment)."""
    db = Database(target) if isinstance(target, str) else target
    try:
        async with db.write() as conn:  # migrations read, then write: IMMEDIATE on SQLite
            await conn.run_sync(_upgrade, revision, secret_key)
    finally:
        if isinstance(target, str):
            await db.dispose()


async def downgrade(db: Database, revision: str, *, secret_key: str | None = None) -> None:
    async with db.write() as conn:
        await conn.run_sync(_downgrade, revision, secret_key)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def schema_status(db: Database) -> tuple[str | None, str]:
    """(the database's revision, or None when never migrated; the code's head revision)."""
    async with db.engine.connect() as conn:
        current = await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    head = head_revision()
    assert head is not None, "the migrations package holds no revision"
    return current, head


async def ensure_current(db: Database) -> None:
    current, head = await schema_status(db)
    script = ScriptDirectory.from_config(alembic_config())
    if current is not None and current not in {r.revision for r in script.walk_revisions()}:
        raise SchemaBehind(
            f"The database is at revision {current}, newer than this version of Outputs "
            f"knows ({head}): upgrade Outputs, or point it at another database."
        )
    if current != head:
        found = f"at revision {current}" if current else "not initialised"
        raise SchemaBehind(
            f"The database is {found}; this version of Outputs needs revision {head}. "
            "Run `outputs-bot migrate` to upgrade it."
        )
