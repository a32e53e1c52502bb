"""The inbox table behind `bot.inbox`: kept before the ack, claimed in order by key.

The claim is one statement on both databases: `UPDATE … WHERE id IN (SELECT … FOR UPDATE
SKIP LOCKED) RETURNING`. PostgreSQL lets replicas claim side by side, each skipping the
rows another is claiming; SQLite (one process) runs it inside its write lock. An entry is
not claimable while an older entry with its ordering key is pending or running, which keeps
the order whichever replica works what. Updates after the claim name the claiming owner, so
a worker whose lease lapsed (and whose entry another took over) changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.inbox import Entry, Failure, InboxStats, Item
from storage.base import Store
from storage.database import BUSY_MS, Database
from storage.models import InboxRow

IDENTITY_MAX = 128
ORDER_KEY_MAX = 255
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
ERROR_MAX = 500
BATCH_MAX = 500  # entries per INSERT: the rest go in the next write


@dataclass
class _Slot:
    """One entry waiting for its group's write, and what its caller waits on."""

    values: dict[str, Any]
    kept: asyncio.Future[bool]
    writing: bool = False
    given_up: bool = False

    def settle(self, outcome: bool | Exception) -> None:
        if self.kept.done():
            return
        if isinstance(outcome, Exception):
            self.kept.set_exception(outcome)
            self.kept.exception()  # a caller that gave up never looks: not "never retrieved"
        else:
            self.kept.set_result(outcome)


_T: sa.Table = InboxRow.__table__  # type: ignore[assignment]
_OLDER = _T.alias("older")
_CANDIDATE = _T.alias("candidate")
_WAITING = (PENDING, RUNNING)


def _fit(platform: str, key: str, width: int) -> str:
    """`key` as its column keeps it: as it is when it fits, else a digest of itself (one key,
    one digest: identities and ordering keys still name one thing)."""
    if len(key) <= width:
        return key
    return f"{platform}:sha256:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _identity(entry: Entry) -> str:
    return _fit(entry.platform, entry.identity, IDENTITY_MAX)


# The entries not finished, spelled as the partial indexes' WHERE (models.InboxRow): SQLite
# uses a partial index only for a term written exactly so, with literal values.
WAITING_SQL = "status IN ('pending', 'running')"
_WAITING_NOW = sa.text(f"inbox.{WAITING_SQL}")
_WAITING_OLDER = sa.text(f"older.{WAITING_SQL}")
_WAITING_CANDIDATE = sa.text(f"candidate.{WAITING_SQL}")
_FAILED_NOW = sa.text("inbox.status = 'failed'")  # as the index of the failed entries has it
# Due entries looked at per claim: an entry behind this many others that are all held back
# by older entries of their keys waits for the next claim.
CANDIDATES = 500


def _claim_statement(limit: int) -> sa.Update:
    """Finished entries (most of the table, kept for days) are never read: both the scan
    for due entries and the look for an older entry of the same key go through the partial
    indexes of the unfinished ones.

    `not_before` is when an unfinished entry may be taken: a pending one's next try, a
    running one's lease end (a claim sets both), so "due" is one range. The oldest due
    entries are taken first as a short list of candidates, and only those are checked for
    an older entry of their key: however the planner reads a table that filled a moment
    ago (its statistics lag), a claim never checks every waiting entry. The conditions are
    repeated on the row itself, so that PostgreSQL, re-reading a row another replica has
    just claimed, sees it is not due any more."""
    due = _T.c.not_before <= sa.bindparam("at")
    candidates = (
        sa.select(_CANDIDATE.c.id)
        .where(_WAITING_CANDIDATE, _CANDIDATE.c.not_before <= sa.bindparam("at"))
        .order_by(_CANDIDATE.c.id)
        .limit(CANDIDATES)
        .correlate(None)
    )
    blocked = (
        sa.select(_OLDER.c.id)
        .where(_OLDER.c.order_key == _T.c.order_key, _WAITING_OLDER, _OLDER.c.id < _T.c.id)
        .exists()
    )
    pick = (
        sa.select(_T.c.id)
        .where(_T.c.id.in_(candidates.scalar_subquery()), _WAITING_NOW, due, ~blocked)
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
            not_before=sa.bindparam("until"),
            attempts=_T.c.attempts + 1,
        )
        .returning(
            _T.c.id, _T.c.platform, _T.c.kind, _T.c.payload, _T.c.order_key, _T.c.attempts, _T.c.received_at
        )
    )


_MINE = sa.and_(_T.c.id == sa.bindparam("item_id"), _T.c.owner == sa.bindparam("me"))
_FINISH = (
    sa.update(_T)
    .where(_T.c.id.in_(sa.bindparam("item_ids", expanding=True)), _T.c.owner == sa.bindparam("me"))
    .values(status=DONE, finished_at=sa.bindparam("at"), lease_until=None)
)


class SqlInbox(Store):
    """`bot.inbox.InboxStore` on our database."""

    def __init__(self, db: Database, accept_busy_ms: int = 2000) -> None:
        super().__init__(db)
        self._claims: dict[int, sa.Update] = {}
        # On SQLite, keeping an entry waits for another process's write lock this long at
        # most (the ack must still go out in time); other writers keep the usual patience.
        self._accept = db.writer.execution_options(**{BUSY_MS: accept_busy_ms})
        self._insert = (
            self.insert(InboxRow)
            .on_conflict_do_nothing(index_elements=["identity"])
            .returning(InboxRow.identity)
        )
        self._batch: list[_Slot] = []
        self._writer: asyncio.Task[None] | None = None

    async def put(self, entry: Entry, at: datetime) -> bool:
        """Group commit: the entries put while one write is in flight go together in the next
        one (one INSERT of many rows, one commit), and each caller returns once its own row
        is committed. Nothing waits for company: a put with no write in flight starts one.

        A caller may give up (cancelled: its answer is due) while its entry waits for the
        database; the entry is then left out, so that "nothing was recorded" stays true.
        Once the write holding it has begun, giving up waits for it instead: the outcome is
        known a moment later, and the caller reports what really happened."""
        slot = _Slot(
            {
                "identity": _identity(entry),
                "platform": entry.platform,
                "kind": entry.kind,
                "order_key": None
                if entry.order_key is None
                else _fit(entry.platform, entry.order_key, ORDER_KEY_MAX),
                "payload": entry.payload,
                "status": PENDING,
                "attempts": 0,
                "not_before": at,
                "received_at": at,
            },
            asyncio.get_running_loop().create_future(),
        )
        self._batch.append(slot)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_batches())
        try:
            return await asyncio.shield(slot.kept)  # the write serves others: never cancelled
        except asyncio.CancelledError:
            if not slot.writing:
                slot.given_up = True
                raise
            return await slot.kept

    async def _write_batches(self) -> None:
        while self._batch:
            batch, self._batch = self._batch[:BATCH_MAX], self._batch[BATCH_MAX:]
            try:
                async with self.db.write(self._accept, first=True) as conn:
                    # the write lock is held (SQLite) or the transaction open: from here on
                    # every entry still wanted is written, and its caller waits for the end
                    batch = [slot for slot in batch if not slot.given_up]
                    for slot in batch:
                        slot.writing = True
                    # one row per identity: the first put of it; the others are replays
                    rows = list({slot.values["identity"]: slot.values for slot in reversed(batch)}.values())
                    inserted = set((await conn.execute(self._insert, rows)).scalars()) if rows else set()
            except Exception as exc:
                for slot in batch:
                    slot.settle(exc)
                continue
            for slot in batch:
                identity = slot.values["identity"]
                slot.settle(identity in inserted)
                inserted.discard(identity)

    async def claim(
        self, owner: str, limit: int, at: datetime, lease: timedelta, *, finished: Sequence[int] = ()
    ) -> list[Item]:
        if limit <= 0 and not finished:
            return []
        statement = self._claims.get(limit)
        if statement is None:
            statement = self._claims[limit] = _claim_statement(limit)
        async with self.db.write() as conn:
            if finished:  # the last ones' end and the next ones' start: one transaction
                await conn.execute(_FINISH, {"item_ids": list(finished), "me": owner, "at": at})
            if limit <= 0:
                return []
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
        async with self.db.write() as conn:
            await conn.execute(_FINISH, {"item_ids": [item_id], "me": owner, "at": at})

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
        # Finished entries are most of the table and nobody watches their count: each part
        # reads one partial index (models.InboxRow), never the finished entries.
        statement = sa.union_all(
            sa.select(_T.c.status, sa.func.count(), sa.func.min(_T.c.received_at))
            .where(_WAITING_NOW)
            .group_by(_T.c.status),
            sa.select(sa.literal(FAILED), sa.func.count(), sa.null()).select_from(_T).where(_FAILED_NOW),
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
            .where(_FAILED_NOW)
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
