"""Record the SELECTs a repository call sends, and ask the database how it runs them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from bot.deliverable import NewDeliverable
from storage.convert import deliverable_columns
from storage.database import Database
from storage.models import DeliverableRow


@contextmanager
def recorded_selects(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, params))

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def query_plan(db: Database, statement: str, params: Any) -> str:
    async with db.engine.begin() as conn:
        if db.dialect == "sqlite":
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
            return "\n".join(str(r[-1]) for r in rows)
        # the test table is small; forbid the sequential scan to see what indexes allow
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = await conn.exec_driver_sql("EXPLAIN " + statement, params)
        return "\n".join(str(r[0]) for r in rows)


async def bulk_insert(db: Database, rows: list[NewDeliverable]) -> None:
    """Fill the table in one executemany, then refresh the planner's statistics."""
    async with db.session() as s, s.begin():
        await s.execute(sa.insert(DeliverableRow), [deliverable_columns(r) for r in rows])
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql("ANALYZE")
