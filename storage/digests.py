"""Digest facts, at-most-once markers and the per-period digest claim."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa

from bot.charter import ChannelKey
from bot.deliverable import Status
from bot.ports import DigestFacts, DigestRun
from storage.base import Store
from storage.convert import channel_where, to_deliverable, to_digest_run
from storage.models import DeliverableRow, DigestRunRow, OnceMarkerRow

_COMPLETE, _DRAFT = Status.COMPLETE.value, Status.DRAFT.value
FINISHED = ("sent", "failed")


class DigestStore(Store):
    async def digest_facts(
        self, channel: ChannelKey, bounds: Sequence[datetime], month_start: datetime
    ) -> DigestFacts:
        """Two statements, each an index range on (channel, status, completed_at)."""
        if len(bounds) < 2:
            raise ValueError("digest_facts needs at least two bounds (one period)")
        d = DeliverableRow
        done = d.completed_at
        buckets = [
            sa.func.sum(sa.case((sa.and_(done >= lo, done < hi), 1), else_=0))
            for lo, hi in zip(bounds, bounds[1:], strict=False)
        ]
        month = sa.func.sum(sa.case((done >= month_start, 1), else_=0))
        counts = (
            sa.select(d.type, month, *buckets)
            .where(*channel_where(d, channel), d.status == _COMPLETE)
            .where(done >= min(bounds[0], month_start), done < bounds[-1])
            .group_by(d.type)
        )
        rows = (
            sa.select(d)
            .where(*channel_where(d, channel))
            .where(
                sa.or_(
                    sa.and_(d.status == _COMPLETE, done >= bounds[-2], done < bounds[-1]),
                    sa.and_(d.status == _DRAFT, d.created_at < bounds[-1]),
                )
            )
        )
        async with self.db.session() as s, s.begin():
            aggregated = (await s.execute(counts)).all()
            found = [to_deliverable(r) for r in await s.scalars(rows)]
        current = [x for x in found if x.status == Status.COMPLETE]
        drafts = [x for x in found if x.status == Status.DRAFT]
        current.sort(key=lambda x: (x.completed_at or x.created_at, x.id or 0))
        drafts.sort(key=lambda x: (x.created_at, x.id or 0))
        return DigestFacts(
            bucket_counts={r[0]: [int(n or 0) for n in r[2:]] for r in aggregated},
            month_counts={r[0]: int(r[1] or 0) for r in aggregated},
            current=current,
            drafts=drafts,
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
        async with self.db.session() as s, s.begin():
            rows = (await s.execute(stmt)).all()
        return {
            ChannelKey(platform=p, workspace_id=w, channel_id=c): end for p, w, c, end in rows
        }

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
        async with self.db.session() as s, s.begin():
            return [to_digest_run(x) for x in await s.scalars(stmt)]
