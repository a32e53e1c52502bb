from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest

from bot.deliverable import NewDeliverable, Status
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


async def test_digest_facts_is_two_indexed_statements(repo: SqlRepository, db: Database) -> None:
    # a long history in this channel, and neighbours: neither may be read whole
    await _fill(repo)
    history = [_at(CH, f"old-{i}", -400 + i) for i in range(300)]
    others = [_at(channel(f"C{c}"), f"{c}-{i}", i * 2) for c in range(2, 20) for i in range(10)]
    await bulk_insert(db, history + others)
    with recorded_selects(db) as statements:
        await repo.digest_facts(CH, BOUNDS, MONTH_START)
    assert len(statements) == 2
    for statement, params in statements:
        plan = await query_plan(db, statement, params)
        used = set(re.findall(r"ix_deliverables_\w+", plan))
        assert used and used <= STATUS_INDEXES, plan
        assert "Seq Scan" not in plan and "SCAN deliverables" not in plan, plan


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
