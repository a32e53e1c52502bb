"""`export_batches`: keyset pagination on (created_at, id), both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.deliverable import Deliverable
from storage.database import Database
from storage.repository import SqlRepository
from tests.storage.factories import T0, channel, new
from tests.storage.plans import bulk_insert, query_plan, recorded_selects
from tests.storage.test_query_plans import FULL_SCAN

C2 = channel("C2")


async def fill(repo: SqlRepository, n: int = 23) -> list[Deliverable]:
    """`n` deliverables in C1 (five to a timestamp, inserted newest first so that id order is
    not time order) and one in C2 at each timestamp; C1's, oldest first."""
    stamps = [T0 + timedelta(hours=i // 5) for i in range(n)]
    for i in reversed(range(n)):
        await repo.capture(new(message_id=f"m-{i}", created_at=stamps[i]))
        if i % 5 == 0:
            await repo.capture(new(C2, message_id=f"o-{i}", created_at=stamps[i]))
    mine = await repo.list_deliverables(channel("C1"))  # newest first, ties by id descending
    return list(reversed(mine))


async def batches_of(repo: SqlRepository, **kw: object) -> list[list[Deliverable]]:
    return [batch async for batch in repo.export_batches("slack", "T1", "C1", **kw)]  # type: ignore[arg-type]


def ids(items: list[Deliverable]) -> list[int | None]:
    return [d.id for d in items]


@pytest.mark.parametrize("size", [1, 4, 5, 7, 23, 500])
async def test_every_row_once_in_order_across_batch_boundaries(repo: SqlRepository, size: int) -> None:
    expected = await fill(repo)
    batches = await batches_of(repo, batch_size=size)
    assert all(0 < len(b) <= size for b in batches)
    flat = [d for b in batches for d in b]
    assert ids(flat) == ids(expected)  # every one, once, oldest first, ties by id
    assert flat == expected
    assert len(batches) == -(-len(expected) // size)


async def test_filters_and_count(repo: SqlRepository) -> None:
    expected = await fill(repo)
    assert await repo.export_size("slack", "T1", "C1") == len(expected)
    everything = [d async for b in repo.export_batches(batch_size=3) for d in b]
    assert len(everything) == len(expected) + 5 == await repo.export_size()
    assert [(d.created_at, d.id) for d in everything] == sorted((d.created_at, d.id) for d in everything)
    since = T0 + timedelta(hours=2)
    later = [d for b in await batches_of(repo, since=since, batch_size=2) for d in b]
    assert ids(later) == ids([d for d in expected if d.created_at >= since])
    assert await repo.export_size("slack", "T1", "C1", since) == len(later)
    assert await batches_of(repo, since=T0 + timedelta(days=9)) == []
    assert [b async for b in repo.export_batches(channel_id="nope")] == []


@pytest.mark.parametrize(("newest", "size"), [(7, 3), (7, 7), (10, 4), (1, 5), (23, 4), (40, 4), (0, 4)])
async def test_newest_gives_the_last_rows_oldest_first(repo: SqlRepository, newest: int, size: int) -> None:
    expected = await fill(repo)
    batches = await batches_of(repo, newest=newest, batch_size=size)
    assert all(0 < len(b) <= size for b in batches)
    want = expected[-newest:] if newest else []
    assert ids([d for b in batches for d in b]) == ids(want)


async def test_writes_go_on_between_batches_and_later_rows_come_once(repo: SqlRepository) -> None:
    """Nothing is held between two batches: a capture is not kept waiting by an export
    (SQLite: no read transaction, no write turn), and a row created meanwhile after the
    cursor comes once, at its place."""
    expected = await fill(repo)
    stream = repo.export_batches("slack", "T1", "C1", batch_size=4)
    seen = await anext(stream)
    later = new(message_id="late", created_at=T0 + timedelta(days=1))
    late, _ = await asyncio.wait_for(repo.capture(later), 5)
    early, _ = await repo.capture(new(message_id="early", created_at=T0 - timedelta(days=1)))  # behind
    async for batch in stream:
        seen += batch
    assert ids(seen) == ids(expected) + [late.id]
    assert early.id not in ids(seen)


async def test_pages_read_through_an_index(repo: SqlRepository, db: Database) -> None:
    rows = []
    for i in range(200):
        rows.append(new(message_id=f"m-{i}", created_at=T0 + timedelta(days=i // 3)))
        rows.append(new(channel(f"C{i % 7 + 2}"), message_id=f"o-{i}", created_at=T0 + timedelta(days=i)))
    await bulk_insert(db, rows)
    reads = {
        "channel": dict(platform="slack", workspace_id="T1", channel_id="C1"),
        "channel_id": dict(channel_id="C1"),
        "since": dict(since=T0 + timedelta(days=100)),
        "newest": dict(platform="slack", workspace_id="T1", channel_id="C1", newest=120),
    }
    for name, kw in reads.items():
        with recorded_selects(db) as statements:
            async for _ in repo.export_batches(batch_size=25, **kw):  # type: ignore[arg-type]
                pass
        assert len(statements) > 2, name
        for statement, params in statements:
            plan = await query_plan(db, statement, params)
            assert not FULL_SCAN.search(plan) or "USING INDEX" in plan, (name, plan)
            assert "TEMP B-TREE" not in plan, (name, plan)  # SQLite: the index gives the order

