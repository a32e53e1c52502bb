"""Deliverables and who tagged them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from functools import cache, cached_property
from typing import Any

import sqlalchemy as sa
from pydantic import TypeAdapter
from sqlalchemy.exc import IntegrityError

from bot.charter import ChannelKey
from bot.deliverable import Deliverable, NewDeliverable, Status
from storage.base import Store
from storage.convert import (
    DELIVERABLE_COLUMNS,
    channel_where,
    deliverable_columns,
    from_columns,
    to_deliverable,
    without_nul,
)
from storage.models import DeliverableRow, TaggingRow

_MESSAGE_KEY = ["platform", "workspace_id", "channel_id", "message_id", "type"]
_COLUMNS = [DeliverableRow.__table__.c[name] for name in DELIVERABLE_COLUMNS]
# The twin a concurrent or repeated capture of the same message and type finds.
_TWIN = sa.select(*_COLUMNS).where(
    DeliverableRow.platform == sa.bindparam("platform"),
    DeliverableRow.workspace_id == sa.bindparam("workspace_id"),
    DeliverableRow.channel_id == sa.bindparam("channel_id"),
    DeliverableRow.message_id == sa.bindparam("message_id"),
    DeliverableRow.type == sa.bindparam("type"),
)


def _tagging(deliverable_id: int | None, user_id: str, via: str, emoji: str) -> dict[str, Any]:
    return {"deliverable_id": deliverable_id, "user_id": user_id, "via": str(via), "emoji": emoji}

MAX_ID = 2**63 - 1  # the largest id either database stores (a 64-bit integer)
_BY_ID = sa.select(DeliverableRow).where(DeliverableRow.id == sa.bindparam("id"))


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    annotation = Deliverable.model_fields[name].annotation
    assert annotation is not None
    return TypeAdapter(annotation)


def _validated(changes: dict[str, Any]) -> dict[str, Any]:
    """Check each change against Deliverable's field types; map them to columns."""
    unknown = set(changes) - set(Deliverable.model_fields) | ({"id"} & set(changes))
    if unknown:
        raise TypeError(f"not a changeable deliverable field: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name, value in changes.items():
        value = _adapter(name).validate_python(value)
        if name == "channel":
            values.update(value.model_dump())
        elif name in ("status", "via"):
            values[name] = str(value)
        else:
            values[name] = without_nul(value)
    return values


# Rows per export statement. Turning a batch's rows into deliverables holds the event loop
# (some 60 µs a row); 200 keep that near 10 ms, for one round trip to the database each.
EXPORT_BATCH = 200


def _export_filters(
    platform: str | None, workspace_id: str | None, channel_id: str | None, since: datetime | None
) -> list[Any]:
    d = DeliverableRow
    given = ((d.platform, platform), (d.workspace_id, workspace_id), (d.channel_id, channel_id))
    filters: list[Any] = [column == value for column, value in given if value is not None]
    if since is not None:
        filters.append(d.created_at >= since)
    return filters


def _after(key: tuple[datetime, int] | None) -> list[Any]:
    """Rows after `key` in (created_at, id) order. Spelt `created_at >= c AND (created_at > c
    OR id > i)` rather than as a row value: both databases then range-scan the created_at
    indexes from `c` (SQLite's carry the rowid, which is `id`)."""
    if key is None:
        return []
    created_at, row_id = key
    d = DeliverableRow
    return [d.created_at >= created_at, sa.or_(d.created_at > created_at, d.id > row_id)]


class DeliverableStore(Store):
    # Every tagging reaction runs these two: built once per store (the dialect decides the
    # ON CONFLICT spelling) and given their values at execution, they skip building and
    # cache-keying a statement per call.
    @cached_property
    def _insert_deliverable(self) -> Any:
        stmt = self.insert(DeliverableRow).returning(*_COLUMNS)
        # a concurrent twin waits for our commit, then quietly inserts nothing
        return stmt.on_conflict_do_nothing(index_elements=_MESSAGE_KEY)

    @cached_property
    def _insert_tagging(self) -> Any:
        stmt = self.insert(TaggingRow)
        return stmt.on_conflict_do_nothing(index_elements=["deliverable_id", "user_id", "emoji"])

    async def capture(self, new: NewDeliverable, emoji: str | None = None) -> tuple[Deliverable, bool]:
        # Core, not the ORM: every tagging reaction comes through here (a session and ORM
        # objects cost more than the INSERT). A message-less capture (free text) never
        # conflicts: NULL message ids are distinct in the unique index.
        async with self.db.write() as conn:
            row = (await conn.execute(self._insert_deliverable, deliverable_columns(new))).first()
            created = row is not None
            if row is None:
                twin = {**new.channel.model_dump(), "message_id": new.message_id, "type": new.type}
                row = (await conn.execute(_TWIN, twin)).first()
                assert row is not None, "ON CONFLICT skipped the insert, so the row exists"
            d = from_columns(new.channel, row)
            if emoji is not None:  # the tagging, in the same transaction: one commit, not two
                await conn.execute(self._insert_tagging, _tagging(d.id, new.tagged_by, str(new.via), emoji))
            return d, created

    async def get_deliverable(self, deliverable_id: int) -> Deliverable | None:
        if not 0 < deliverable_id <= MAX_ID:  # no row has it, and the drivers refuse to send it
            return None
        rows = await self.db.read_rows(_BY_ID, {"id": deliverable_id})
        return to_deliverable(rows[0]) if rows else None

    async def by_message(self, channel: ChannelKey, message_id: str) -> list[Deliverable]:
        stmt = (
            sa.select(DeliverableRow)
            .where(*channel_where(DeliverableRow, channel))
            .where(DeliverableRow.message_id == message_id)
            .order_by(DeliverableRow.id)
        )
        return await self._rows(stmt)

    async def update_deliverable(self, deliverable_id: int, **changes: Any) -> Deliverable:
        """Write exactly the given fields (`updated_at` too: the caller owns the clock)."""
        values = _validated(changes)
        async with self.db.session() as s, s.begin():
            if not values:
                row = await s.get(DeliverableRow, deliverable_id)
            else:
                stmt = (
                    sa.update(DeliverableRow)
                    .where(DeliverableRow.id == deliverable_id)
                    .values(**values)
                    .returning(DeliverableRow)
                    .execution_options(synchronize_session=False)
                )
                row = await s.scalar(stmt)
            if row is None:
                raise LookupError(f"no deliverable #{deliverable_id}")
            return to_deliverable(row)

    async def list_deliverables(
        self,
        channel: ChannelKey,
        *,
        type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        statuses: Sequence[Status] | None = None,
        limit: int | None = None,
    ) -> list[Deliverable]:
        """Newest first; `since`/`until` bound `created_at` (since inclusive, until not)."""
        d = DeliverableRow
        stmt = sa.select(d).where(*channel_where(d, channel))
        if type is not None:
            stmt = stmt.where(d.type == type)
        if since is not None:
            stmt = stmt.where(d.created_at >= since)
        if until is not None:
            stmt = stmt.where(d.created_at < until)
        if statuses is not None:
            stmt = stmt.where(d.status.in_([str(x) for x in statuses]))
        stmt = stmt.order_by(d.created_at.desc(), d.id.desc()).limit(limit)
        return await self._rows(stmt)

    async def drafts_of(self, platform: str, workspace_id: str, user_id: str) -> list[Deliverable]:
        """Drafts `user_id` tagged (and so must complete), oldest first."""
        d = DeliverableRow
        stmt = (
            sa.select(d)
            .where(d.platform == platform, d.workspace_id == workspace_id)
            .where(d.tagged_by == user_id, d.status == Status.DRAFT.value)
            .order_by(d.created_at, d.id)
        )
        return await self._rows(stmt)

    async def recent_of(
        self, platform: str, workspace_id: str, user_id: str, limit: int = 10
    ) -> list[Deliverable]:
        """Complete deliverables `user_id` authored or tagged, newest first (App Home)."""
        d = DeliverableRow
        stmt = (
            sa.select(d)
            .where(d.platform == platform, d.workspace_id == workspace_id)
            .where(sa.or_(d.tagged_by == user_id, d.author_id == user_id))
            .where(d.status == Status.COMPLETE.value)
            .order_by(d.created_at.desc(), d.id.desc())
            .limit(limit)
        )
        return await self._rows(stmt)

    async def export_size(
        self,
        platform: str | None = None,
        workspace_id: str | None = None,
        channel_id: str | None = None,
        since: datetime | None = None,
    ) -> int:
        """How many deliverables `export_batches` gives with the same filters (no `newest`)."""
        stmt = sa.select(sa.func.count()).select_from(DeliverableRow)
        stmt = stmt.where(*_export_filters(platform, workspace_id, channel_id, since))
        rows = await self.db.read_rows(stmt, {})
        return int(rows[0][0])

    async def export_batches(
        self,
        platform: str | None = None,
        workspace_id: str | None = None,
        channel_id: str | None = None,
        since: datetime | None = None,
        *,
        newest: int | None = None,
        batch_size: int = EXPORT_BATCH,
    ) -> AsyncIterator[list[Deliverable]]:
        """Oldest first, every status, in lists of at most `batch_size`; `since` bounds
        `created_at`; `newest`: only the newest that many (still oldest first).

        Keyset pagination on (created_at, id): each batch is one read statement of its own
        that starts after the previous batch's last row, so between batches nothing is held
        (no transaction, lock or server-side cursor: SQLite's writers never wait for an
        export, and an export never waits for the write turn), and a batch deep into the
        table costs what the first one did. A deliverable whose `created_at` does not change
        meanwhile comes exactly once; one written during the export may or may not come.
        """
        filters = _export_filters(platform, workspace_id, channel_id, since)
        left = newest
        after: tuple[datetime, int] | None = None
        if newest is not None:
            if newest <= 0:
                return
            after = await self._before_newest(filters, newest)
        d = DeliverableRow
        while True:
            size = batch_size if left is None else min(batch_size, left)
            stmt = sa.select(d).where(*filters, *_after(after)).order_by(d.created_at, d.id).limit(size)
            rows = await self.db.read_rows(stmt, {})
            batch = [to_deliverable(r) for r in rows]
            if batch:
                yield batch
            if len(batch) < size:  # the last one: no need to ask for an empty batch
                return
            if left is not None:
                left -= len(batch)
                if not left:
                    return
            last = batch[-1]
            assert last.id is not None
            after = (last.created_at, last.id)

    async def _before_newest(self, filters: list[Any], newest: int) -> tuple[datetime, int] | None:
        """The key of the row just older than the newest `newest`, or None when there are no
        more than that: the newest are then the rows after it."""
        d = DeliverableRow
        stmt = (
            sa.select(d.created_at, d.id)
            .where(*filters)
            .order_by(d.created_at.desc(), d.id.desc())
            .offset(newest)
            .limit(1)
        )
        rows = await self.db.read_rows(stmt, {})
        return (rows[0][0], rows[0][1]) if rows else None

    async def export(
        self,
        platform: str | None = None,
        workspace_id: str | None = None,
        channel_id: str | None = None,
        since: datetime | None = None,
    ) -> list[Deliverable]:
        """`export_batches` as one list, for tests and small checks: an export of any size
        streams them instead (the engine's port has no whole-list export)."""
        batches = self.export_batches(platform, workspace_id, channel_id, since)
        return [d async for batch in batches for d in batch]

    async def add_tagging(self, deliverable_id: int, user_id: str, via: str, emoji: str) -> bool:
        """Record who tagged; True when this (user, emoji) had not tagged it yet."""
        values = _tagging(deliverable_id, user_id, via, emoji)
        try:
            async with self.db.write() as conn:  # one statement: no ORM session needed
                result = await conn.execute(self._insert_tagging, values)
        except IntegrityError as e:  # the foreign key: no such deliverable
            raise LookupError(f"no deliverable #{deliverable_id}") from e
        return bool(result.rowcount)

    async def remove_tagging(self, deliverable_id: int, user_id: str, emoji: str) -> int:
        t = TaggingRow
        async with self.db.session() as s, s.begin():
            await s.execute(
                sa.delete(t).where(t.deliverable_id == deliverable_id, t.user_id == user_id, t.emoji == emoji)
            )
            remaining = await s.scalar(
                sa.select(sa.func.count()).select_from(t).where(t.deliverable_id == deliverable_id)
            )
        return int(remaining or 0)

    async def _rows(self, stmt: sa.Select[Any]) -> list[Deliverable]:
        """Deliverables from Core rows (`to_deliverable` reads columns by name): a read, so
        on SQLite it neither takes nor waits for the write lock."""
        return [to_deliverable(r) for r in await self.db.read_rows(stmt, {})]
