"""The inbox table behind `bot.inbox`: kept before the ack, claimed in order by key.

The claim is one statement on both databases: `UPDATE … WHERE id IN (SELECT … FOR UPDATE
SKIP LOCKED) RETURNING`. PostgreSQL lets replicas claim side by side, each skipping the
rows another is claiming; SQLite (one process) runs it inside its write lock. An entry is
not claimable while an older entry with its ordering key is pending or running, which keeps
the order whichever replica works what. Updates after the claim name the claiming owner, so
a worker whose lease lapsed (and whose entry another took over) changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.inbox import Entry, Failure, InboxStats, Item
from storage.base import Store
from storage.database import BUSY_MS, Database
from storage.models import InboxRow

IDENTITY_MAX = 128
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
ERROR_MAX = 500

_T: sa.Table = InboxRow.__table__  # type: ignore[assignment]
_OLDER = _T.alias("older")
_WAITING = (PENDING, RUNNING)


def _identity(entry: Entry) -> str:
    key = entry.identity
    if len(key) <= IDENTITY_MAX:
        return key
    return f"{entry.platform}:sha256:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _claim_statement(limit: int) -> sa.Update:
    at: sa.BindParameter[datetime] = sa.bindparam("at")
    due = sa.or_(
        sa.and_(_T.c.status == PENDING, _T.c.not_before <= at),
        sa.and_(_T.c.status == RUNNING, _T.c.lease_until < at),
    )
    blocked = (
        sa.select(_OLDER.c.id)
        .where(_OLDER.c.order_key == _T.c.order_key, _OLDER.c.status.in_(_WAITING), _OLDER.c.id < _T.c.id)
        .exists()
    )
    pick = (
        sa.select(_T.c.id)
        .where(due, ~blocked)
        .order_by(_T.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=_T)
    )
    return (
        sa.update(_T)
        .where(_T.c.id.in_(pick.scalar_subquery()))
        .values(
            status=RUNNING,
            owner=sa.bindparam("owner"),
            lease_until=sa.bindparam("until"),
            attempts=_T.c.attempts + 1,
        )
        .returning(
            _T.c.id, _T.c.platform, _T.c.kind, _T.c.payload, _T.c.order_key, _T.c.attempts, _T.c.received_at
        )
    )


_MINE = sa.and_(_T.c.id == sa.bindparam("item_id"), _T.c.owner == sa.bindparam("me"))


class SqlInbox(Store):
    """`bot.inbox.InboxStore` on our database."""

    def __init__(self, db: Database, accept_busy_ms: int = 2000) -> None:
        super().__init__(db)
        self._claims: dict[int, sa.Update] = {}
        # On SQLite, keeping an entry waits for another process's write lock this long at
        # most (the ack must still go out in time); other writers keep the usual patience.
        self._accept = db.engine.execution_options(**{BUSY_MS: accept_busy_ms})
        self._insert = (
            self.insert(InboxRow).on_conflict_do_nothing(index_elements=["identity"]).returning(InboxRow.id)
        )

    async def put(self, entry: Entry, at: datetime) -> bool:
        values = {
            "identity": _identity(entry),
            "platform": entry.platform,
            "kind": entry.kind,
            "order_key": entry.order_key,
            "payload": entry.payload,
            "status": PENDING,
            "attempts": 0,
            "not_before": at,
            "received_at": at,
        }
        async with self.db.write(self._accept) as conn:
            row = (await conn.execute(self._insert, values)).first()
        return row is not None

    async def claim(self, owner: str, limit: int, at: datetime, lease: timedelta) -> list[Item]:
        statement = self._claims.get(limit)
        if statement is None:
            statement = self._claims[limit] = _claim_statement(limit)
        async with self.db.write() as conn:
            rows = (await conn.execute(statement, {"at": at, "owner": owner, "until": at + lease})).all()
        return sorted(
            (
                Item(
                    id=r.id,
                    platform=r.platform,
                    kind=r.kind,
                    payload=r.payload,
                    order_key=r.order_key,
                    attempts=r.attempts,
                    received_at=r.received_at,
                )
                for r in rows
            ),
            key=lambda item: item.id,
        )

    async def _settle(self, item_id: int, owner: str, **values: object) -> None:
        async with self.db.write() as conn:
            await conn.execute(sa.update(_T).where(_MINE).values(**values), {"item_id": item_id, "me": owner})

    async def finish(self, item_id: int, owner: str, at: datetime) -> None:
        await self._settle(item_id, owner, status=DONE, finished_at=at, lease_until=None)

    async def retry(self, item_id: int, owner: str, not_before: datetime, error: str) -> None:
        await self._settle(
            item_id, owner, status=PENDING, not_before=not_before, lease_until=None, error=error[:ERROR_MAX]
        )

    async def fail(self, item_id: int, owner: str, at: datetime, error: str) -> None:
        await self._settle(
            item_id, owner, status=FAILED, finished_at=at, lease_until=None, error=error[:ERROR_MAX]
        )

    async def stats(self) -> InboxStats:
        counts = {PENDING: 0, RUNNING: 0, FAILED: 0}
        oldest: datetime | None = None
        # finished entries are most of the table and nobody watches their count: not read
        statement = (
            sa.select(_T.c.status, sa.func.count(), sa.func.min(_T.c.received_at))
            .where(_T.c.status.in_(tuple(counts)))
            .group_by(_T.c.status)
        )
        for status, count, first in await self.db.read_rows(statement, {}):
            counts[status] = count
            if status in _WAITING and first is not None:
                oldest = first if oldest is None else min(oldest, first)
        return InboxStats(counts[PENDING], counts[RUNNING], counts[FAILED], oldest)

    async def failures(self, limit: int) -> list[Failure]:
        statement = (
            sa.select(_T.c.id, _T.c.platform, _T.c.kind, _T.c.attempts)
            .add_columns(_T.c.received_at, _T.c.finished_at, _T.c.error)
            .where(_T.c.status == FAILED)
            .order_by(_T.c.id.desc())
            .limit(limit)
        )
        rows = await self.db.read_rows(statement, {})
        return [Failure(**{**r._mapping, "error": r.error or ""}) for r in rows]

    async def prune(self, done_before: datetime) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(
                sa.delete(_T).where(_T.c.status.in_((DONE, FAILED)), _T.c.finished_at < done_before)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]
