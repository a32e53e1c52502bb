from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.deliverable import NewDeliverable, Status
from bot.ports import ChannelInfo
from storage.database import Database
from storage.repository import SqlRepository
from tests.storage.factories import CH, T0, channel, new
from tests.storage.plans import bulk_insert, query_plan, recorded_selects

WEEK = timedelta(days=7)
BOUNDS = [T0, T0 + WEEK, T0 + 2 * WEEK, T0 + 3 * WEEK]
MONTH_START = T0 + timedelta(days=10)
# indexes that start (channel, status): reading them never walks a channel's history
STATUS_INDEXES = {
    "ix_deliverables_channel_status_completed",
    "ix_deliverables_channel_status_created",
}


def _at(ch: Any, mid: str, at_days: float, **kw: Any) -> NewDeliverable:
    at = T0 + timedelta(days=at_days)
    return new(ch, message_id=mid, created_at=at - timedelta(hours=1), completed_at=at, **kw)


async def _done(repo: SqlRepository, mid: str, at_days: float, ch: Any = CH, **kw: Any) -> None:
    await repo.capture(_at(ch, mid, at_days, **kw))


async def _fill(repo: SqlRepository) -> None:
    await _done(repo, "s0", 1)
    await _done(repo, "s1", 8)
    await _done(repo, "s2", 15)
    await _done(repo, "s3", 14.5)
    await _done(repo, "s-end", 21)  # the end bound is excluded
    await _done(repo, "s-before", -1)
    await _done(repo, "i1", 12, type="idea")
    await _done(repo, "w", 15, status=Status.WITHDRAWN)
    await _done(repo, "elsewhere", 15, ch=channel("C2"))
    await repo.capture(new(message_id="d1", status=Status.DRAFT, created_at=T0 + timedelta(2)))
    await repo.capture(new(message_id="d2", status=Status.DRAFT, created_at=T0 + timedelta(22)))


async def test_digest_facts_counts_buckets_month_current_and_drafts(repo: SqlRepository) -> None:
    await _fill(repo)
    facts = await repo.digest_facts(CH, BOUNDS, MONTH_START)
    assert facts.bucket_counts == {"solution": [1, 1, 2], "idea": [0, 1, 0]}
    assert facts.month_counts == {"solution": 2, "idea": 1}
    assert [d.message_id for d in facts.current] == ["s3", "s2"]
    assert [d.message_id for d in facts.drafts] == ["d1"]
    assert (facts.draft_count, facts.channel_name) == (1, "")


async def test_a_month_start_before_the_first_bound_is_counted(repo: SqlRepository) -> None:
    await _fill(repo)
    facts = await repo.digest_facts(CH, BOUNDS, T0 - timedelta(days=3))
    assert facts.month_counts["solution"] == 5
    assert facts.bucket_counts["solution"] == [1, 1, 2]


async def test_digest_facts_of_an_empty_channel(repo: SqlRepository) -> None:
    facts = await repo.digest_facts(CH, BOUNDS, MONTH_START)
    assert (facts.bucket_counts, facts.month_counts, facts.current, facts.drafts) == ({}, {}, [], [])
    with pytest.raises(ValueError):
        await repo.digest_facts(CH, BOUNDS[:1], MONTH_START)


async def test_drafts_newest_listed_all_counted_of_the_declared_types(repo: SqlRepository) -> None:
    await repo.upsert_channel(ChannelInfo(key=CH, name="support"))
    for i in range(6):
        at = T0 + timedelta(hours=i)
        await repo.capture(new(message_id=f"d{i}", status=Status.DRAFT, created_at=at))
    # the same moment as d5: the newer id is the newer draft
    await repo.capture(new(message_id="d5-twin", status=Status.DRAFT, created_at=T0 + timedelta(hours=5)))
    await repo.capture(new(message_id="old-type", type="retired", status=Status.DRAFT, created_at=T0 + WEEK))
    await repo.capture(new(message_id="after", status=Status.DRAFT, created_at=BOUNDS[-1]))
    await repo.capture(new(channel("C2"), message_id="other", status=Status.DRAFT, created_at=T0))
    await _done(repo, "s2", 15)

    declared = ["solution", "idea"]
    facts = await repo.digest_facts(CH, BOUNDS, MONTH_START, draft_types=declared, max_drafts=3)
    assert [d.message_id for d in facts.drafts] == ["d4", "d5", "d5-twin"]  # the newest, oldest first
    assert (facts.draft_count, facts.channel_name) == (7, "support")
    assert [d.message_id for d in facts.current] == ["s2"]

    every = await repo.digest_facts(CH, BOUNDS, MONTH_START)  # no type filter, no cap
    assert [d.message_id for d in every.drafts] == [f"d{i}" for i in range(6)] + ["d5-twin", "old-type"]
    assert every.draft_count == 8

    none_listed = await repo.digest_facts(CH, BOUNDS, MONTH_START, draft_types=declared, max_drafts=0)
    assert (none_listed.drafts, none_listed.draft_count) == ([], 7)
    no_types = await repo.digest_facts(CH, BOUNDS, MONTH_START, draft_types=[], max_drafts=3)
    assert (no_types.drafts, no_types.draft_count, no_types.channel_name) == ([], 0, "support")
    assert [d.message_id for d in no_types.current] == ["s2"]


@pytest.mark.parametrize(
    "capped", [{}, {"draft_types": ["solution", "idea"], "max_drafts": 20}], ids=["all", "capped"]
)
async def test_digest_facts_is_one_indexed_statement_on_one_connection(
    repo: SqlRepository, db: Database, capped: dict[str, Any]
) -> None:
    # a long history in this channel (abandoned drafts too), and neighbours: none read whole
    await _fill(repo)
    history = [_at(CH, f"old-{i}", -400 + i) for i in range(300)]
    abandoned = [
        new(message_id=f"draft-{i}", status=Status.DRAFT, created_at=T0 - timedelta(days=400 - i))
        for i in range(100)
    ]
    others = [_at(channel(f"C{c}"), f"{c}-{i}", i * 2) for c in range(2, 20) for i in range(10)]
    await bulk_insert(db, history + abandoned + others)
    checkouts: list[object] = []

    def checkout(*_: object) -> None:
        checkouts.append(1)

    sa.event.listen(db.engine.sync_engine.pool, "checkout", checkout)
    try:
        with recorded_selects(db) as statements:
            facts = await repo.digest_facts(CH, BOUNDS, MONTH_START, **capped)
    finally:
        sa.event.remove(db.engine.sync_engine.pool, "checkout", checkout)
    assert len(facts.drafts) == (20 if capped else 101) and facts.draft_count == 101
    assert len(statements) == 1 and len(checkouts) == 1
    for statement, params in statements:
        plan = await query_plan(db, statement, params)
        used = set(re.findall(r"ix_deliverables_\w+", plan))
        assert used and used <= STATUS_INDEXES, plan
        assert "Seq Scan" not in plan and "SCAN deliverables" not in plan, plan


async def test_digests_read_while_fifty_captures_write(repo: SqlRepository) -> None:
    """Read-only digest transactions next to queued writers: nobody fails, nobody waits long."""
    await _fill(repo)
    captures = [repo.capture(_at(CH, f"c{i}", 15 + i / 100)) for i in range(50)]
    digests = [
        repo.digest_facts(CH, BOUNDS, MONTH_START, draft_types=["solution"], max_drafts=5) for _ in range(10)
    ]
    results = await asyncio.wait_for(asyncio.gather(*captures, *digests), timeout=60)
    assert sum(created for _, created in results[:50]) == 50
    facts = await repo.digest_facts(CH, BOUNDS, MONTH_START)
    assert facts.bucket_counts["solution"][-1] == 52


async def test_claim_once_is_true_once(repo: SqlRepository) -> None:
    assert await repo.claim_once("welcome", CH, "U1", "")
    assert not await repo.claim_once("welcome", CH, "U1", "")
    assert await repo.claim_once("welcome", CH, "U2", "")
    assert await repo.claim_once("welcome", channel("C2"), "U1", "")
    assert await repo.claim_once("behind", CH, "", "2026-W02")
    results = await asyncio.gather(*(repo.claim_once("idle", CH, "", "p") for _ in range(20)))
    assert sum(results) == 1


async def test_claim_digest_until_sent(repo: SqlRepository) -> None:
    start, end = BOUNDS[-2], BOUNDS[-1]
    assert await repo.claim_digest(CH, start, end, end, lease_seconds=600)
    assert not await repo.claim_digest(CH, start, end, end + timedelta(seconds=599), 600)
    await repo.finish_digest(CH, end, status="sent", at=end + timedelta(seconds=5), message_id="ts1")
    assert not await repo.claim_digest(CH, start, end, end + timedelta(days=1), 600)
    (run,) = await repo.digest_runs()
    assert (run.status, run.message_id, run.sent_at, run.late) == (
        "sent",
        "ts1",
        end + timedelta(seconds=5),
        False,
    )


async def test_a_dead_replicas_lease_is_taken_over(repo: SqlRepository) -> None:
    start, end = BOUNDS[-2], BOUNDS[-1]
    assert await repo.claim_digest(CH, start, end, end, 600)
    later = end + timedelta(seconds=601)
    assert await repo.claim_digest(CH, start, end, later, 600, late=True)
    assert not await repo.claim_digest(CH, start, end, later + timedelta(seconds=1), 600)
    (run,) = await repo.digest_runs()
    assert (run.status, run.claimed_at, run.late) == ("claimed", later, True)


async def test_concurrent_claimers_one_wins(repo: SqlRepository) -> None:
    start, end = BOUNDS[-2], BOUNDS[-1]
    first = await asyncio.gather(*(repo.claim_digest(CH, start, end, end, 600) for _ in range(10)))
    assert sum(first) == 1
    later = end + timedelta(hours=1)
    takeover = await asyncio.gather(*(repo.claim_digest(CH, start, end, later, 600) for _ in range(10)))
    assert sum(takeover) == 1


async def test_a_failed_run_is_not_claimed_again(repo: SqlRepository) -> None:
    start, end = BOUNDS[-2], BOUNDS[-1]
    await repo.claim_digest(CH, start, end, end, 600)
    await repo.finish_digest(CH, end, status="failed", at=end, error="channel_not_found")
    assert not await repo.claim_digest(CH, start, end, end + timedelta(days=1), 600)
    (run,) = await repo.digest_runs()
    assert (run.status, run.error) == ("failed", "channel_not_found")
    with pytest.raises(ValueError):
        await repo.finish_digest(CH, end, status="done", at=end)
    with pytest.raises(LookupError):
        await repo.finish_digest(CH, end + WEEK, status="sent", at=end)


async def test_digest_runs_newest_first_and_filtered(repo: SqlRepository) -> None:
    for i, ch in enumerate([CH, channel("C2"), channel("C1", "T2"), channel("x", "y", "teams")]):
        end = BOUNDS[1] + i * WEEK
        await repo.claim_digest(ch, end - WEEK, end, end, 600)
    runs = await repo.digest_runs()
    assert [r.period_end for r in runs] == sorted((r.period_end for r in runs), reverse=True)
    assert len(runs) == 4
    assert {r.channel.channel_id for r in await repo.digest_runs("slack", "T1")} == {"C1", "C2"}
    assert [r.channel.platform for r in await repo.digest_runs("teams")] == ["teams"]
