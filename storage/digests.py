"""Digest facts, at-most-once markers and the per-period digest claim."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from bot.charter import ChannelKey
from bot.deliverable import Deliverable, Status
from bot.ports import DigestFacts, DigestRun
from storage.base import Store
from storage.convert import DELIVERABLE_COLUMNS, channel_where, from_columns, to_digest_run
from storage.models import ChannelRow, DeliverableRow, DigestRunRow, OnceMarkerRow

_COMPLETE, _DRAFT = Status.COMPLETE.value, Status.DRAFT.value
FINISHED = ("sent", "failed")
NO_LIMIT = 2**31 - 1  # LIMIT needs a number on both dialects; this one means "all of them"


# What each row of the digest statement is (its first column)
_ROW, _TYPE_COUNTS, _DRAFTS = 0, 1, 2


@cache
def _facts_statement(nbounds: int, ntypes: int | None) -> sa.CompoundSelect[Any]:
    """The digest's one statement for `nbounds` bounds, built once, with bind parameters.

    Four parts, UNION ALL, told apart by the first column (`kind`), padded with NULLs to
    one shape: [kind, type, month, bucket 1..n-1, name, the other deliverable columns].

    - _ROW: the period's complete deliverables (an index range on (channel, status,
      completed_at)) and the newest `max_drafts` drafts (one on (channel, status,
      created_at); the LIMIT sits in a subquery, as SQLite's compound SELECT needs).
    - _TYPE_COUNTS: per type, the complete deliverables of each period and of the month so
      far (the completed_at range again).
    - _DRAFTS: one row, the number of drafts and the channel's name.

    One statement is one snapshot, on both databases, and one round trip.
    Parameters: p, w, c (the channel), b0..b{n-1} (bounds), month, lo (the lower of b0 and
    month), max_drafts, and the draft types t0..t{ntypes-1} unless `ntypes` is None (a
    statement per number of types: an expanding IN would be rewritten at every execution).
    """
    d = DeliverableRow.__table__.c
    ch = ChannelRow.__table__.c
    key = [d.platform == sa.bindparam("p"), d.workspace_id == sa.bindparam("w"),
           d.channel_id == sa.bindparam("c")]  # fmt: skip
    b = [sa.bindparam(f"b{i}", type_=d.completed_at.type) for i in range(nbounds)]
    done, end = d.completed_at, b[-1]
    others = [d[c] for c in DELIVERABLE_COLUMNS if c != "type"]
    nulls: list[Any] = [sa.null() for _ in range(nbounds)]  # month and the n-1 buckets
    null_row: list[Any] = [sa.null() for _ in others]

    def kind(k: int) -> Any:
        return sa.literal_column(str(k))

    # the first SELECT gives the columns their types (and their result processing)
    # (PostgreSQL types a UNION's columns pairwise, left to right: typed NULLs come first)
    counts_typed = [sa.cast(sa.null(), sa.BigInteger).label(f"n{i}") for i in range(nbounds)]
    name_typed = sa.cast(sa.null(), ch.name.type).label("name")
    period = sa.select(kind(_ROW).label("kind"), d.type, *counts_typed, name_typed, *others).where(
        *key, d.status == _COMPLETE, done >= b[-2], done < end
    )
    draft_where = [*key, d.status == _DRAFT, d.created_at < end]
    if ntypes is not None:
        types: list[Any] = [sa.bindparam(f"t{i}") for i in range(ntypes)]
        draft_where.append(d.type.in_(types) if types else sa.false())
    newest = (
        sa.select(d.type, *others)
        .where(*draft_where)
        .order_by(d.created_at.desc(), d.id.desc())
        .limit(sa.bindparam("max_drafts", type_=sa.Integer))
        .subquery("drafts")
    )
    drafts = sa.select(kind(_ROW), newest.c.type, *nulls, sa.null(), *[newest.c[c.name] for c in others])

    buckets = [
        sa.func.sum(sa.case((sa.and_(done >= lo, done < hi), 1), else_=0))
        for lo, hi in zip(b, b[1:], strict=False)
    ]
    month = sa.func.sum(sa.case((done >= sa.bindparam("month", type_=done.type), 1), else_=0))
    counts = (
        sa.select(kind(_TYPE_COUNTS), d.type, month, *buckets, sa.null(), *null_row)
        .where(*key, d.status == _COMPLETE, done >= sa.bindparam("lo", type_=done.type), done < end)
        .group_by(d.type)
    )
    name = (
        sa.select(ch.name)
        .where(ch.platform == sa.bindparam("p"), ch.workspace_id == sa.bindparam("w"))
        .where(ch.channel_id == sa.bindparam("c"))
        .scalar_subquery()
    )
    zeros: list[Any] = [sa.literal_column("0") for _ in buckets]
    summary = sa.select(kind(_DRAFTS), sa.null(), sa.func.count(), *zeros, name, *null_row)
    summary = summary.where(*draft_where)
    return sa.union_all(period, drafts, counts, summary)


class DigestStore(Store):
    async def digest_facts(
        self,
        channel: ChannelKey,
        bounds: Sequence[datetime],
        month_start: datetime,
        *,
        draft_types: Sequence[str] | None = None,
        max_drafts: int | None = None,
    ) -> DigestFacts:
        """One statement of index ranges on (channel, status, ...), on one read connection."""
        if len(bounds) < 2:
            raise ValueError("digest_facts needs at least two bounds (one period)")
        stmt = _facts_statement(len(bounds), None if draft_types is None else len(draft_types))
        params: dict[str, Any] = {
            "p": channel.platform,
            "w": channel.workspace_id,
            "c": channel.channel_id,
            "month": month_start,
            "lo": min(bounds[0], month_start),
            "max_drafts": NO_LIMIT if max_drafts is None else max(0, max_drafts),
            **{f"b{i}": x for i, x in enumerate(bounds)},
        }
        params.update((f"t{i}", t) for i, t in enumerate(draft_types or ()))
        found = await self.db.read_rows(stmt, params)
        n = len(bounds)  # month, then n-1 buckets, then the name
        current: list[Deliverable] = []
        drafts: list[Deliverable] = []
        bucket_counts: dict[str, list[int]] = {}
        month_counts: dict[str, int] = {}
        draft_count, name = 0, ""
        for r in found:
            if r[0] == _ROW:
                x = from_columns(channel, r)
                (current if x.status == Status.COMPLETE else drafts).append(x)
            elif r[0] == _TYPE_COUNTS:
                bucket_counts[r[1]] = [int(k or 0) for k in r[3 : 2 + n]]
                month_counts[r[1]] = int(r[2] or 0)
            else:
                draft_count, name = int(r[2] or 0), r[2 + n] or ""
        current.sort(key=lambda x: (x.completed_at or x.created_at, x.id or 0))
        drafts.sort(key=lambda x: (x.created_at, x.id or 0))
        return DigestFacts(
            bucket_counts=bucket_counts,
            month_counts=month_counts,
            current=current,
            drafts=drafts,
            draft_count=draft_count,
            channel_name=name,
        )

    async def claim_once(self, kind: str, channel: ChannelKey, subject: str, period: str) -> bool:
        """True for the first caller only, across every replica."""
        stmt = (
            self.insert(OnceMarkerRow)
            .values(kind=kind, subject=subject, period=period, **channel.model_dump())
            .on_conflict_do_nothing(
                index_elements=["kind", "platform", "workspace_id", "channel_id", "subject", "period"]
            )
        )
        async with self.db.session() as s, s.begin():
            result = await s.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_digest(
        self,
        channel: ChannelKey,
        period_start: datetime,
        period_end: datetime,
        now: datetime,
        lease_seconds: int,
        late: bool = False,
    ) -> bool:
        """Claim (channel, period_end) for posting; True for exactly one claimer.

        A `claimed` row whose lease expired belongs to a replica that died mid-post; it is
        taken over, by a conditional UPDATE so that of two takers only one matches.
        """
        claim = {"period_start": period_start, "claimed_at": now, "late": late}
        insert = (
            self.insert(DigestRunRow)
            .values(**channel.model_dump(), period_end=period_end, status="claimed", **claim)
            .on_conflict_do_nothing(index_elements=["platform", "workspace_id", "channel_id", "period_end"])
        )
        r = DigestRunRow
        takeover = (
            sa.update(r)
            .where(*channel_where(r, channel), r.period_end == period_end)
            .where(r.status == "claimed", r.claimed_at < now - timedelta(seconds=lease_seconds))
            .values(**claim)
            .execution_options(synchronize_session=False)
        )
        async with self.db.session() as s, s.begin():
            if (await s.execute(insert)).rowcount:  # type: ignore[attr-defined]
                return True
            return bool((await s.execute(takeover)).rowcount)  # type: ignore[attr-defined]

    async def finish_digest(
        self,
        channel: ChannelKey,
        period_end: datetime,
        *,
        status: str,
        at: datetime,
        message_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record the outcome; `at` lands in `sent_at` (for `failed`: when it gave up)."""
        if status not in FINISHED:
            raise ValueError(f"a digest run finishes as one of {FINISHED}, not {status!r}")
        r = DigestRunRow
        stmt = (
            sa.update(r)
            .where(*channel_where(r, channel), r.period_end == period_end)
            .values(status=status, sent_at=at, message_id=message_id, error=error)
            .execution_options(synchronize_session=False)
        )
        async with self.db.session() as s, s.begin():
            if not (await s.execute(stmt)).rowcount:  # type: ignore[attr-defined]
                raise LookupError(f"no digest run for {channel.channel_id} ending {period_end}")

    async def last_digest_ends(self, live_after: datetime | None = None) -> dict[ChannelKey, datetime]:
        r = DigestRunRow
        stmt = sa.select(r.platform, r.workspace_id, r.channel_id, sa.func.max(r.period_end)).group_by(
            r.platform, r.workspace_id, r.channel_id
        )
        if live_after is not None:
            stmt = stmt.where(sa.or_(r.status != "claimed", r.claimed_at > live_after))
        async with self.db.read_session() as s, s.begin():
            rows = (await s.execute(stmt)).all()
        return {ChannelKey(platform=p, workspace_id=w, channel_id=c): end for p, w, c, end in rows}

    async def digest_runs(
        self, platform: str | None = None, workspace_id: str | None = None
    ) -> list[DigestRun]:
        """Newest period first."""
        r = DigestRunRow
        stmt = sa.select(r).order_by(r.period_end.desc(), r.claimed_at.desc(), r.id.desc())
        if platform is not None:
            stmt = stmt.where(r.platform == platform)
        if workspace_id is not None:
            stmt = stmt.where(r.workspace_id == workspace_id)
        async with self.db.read_session() as s, s.begin():
            return [to_digest_run(x) for x in await s.scalars(stmt)]
