"""SqlInbox on the real database (SQLite and PostgreSQL): keeping, claiming in order per key,
retries, leases, pruning and counts; on PostgreSQL, replicas claiming side by side."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.inbox import Entry, Item
from storage.database import Database
from storage.inbox import SqlInbox
from storage.models import InboxRow
from tests.conftest import BACKENDS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=2)
SECOND = timedelta(seconds=1)


def entry(identity: str, key: str | None = None, kind: str = "test.work") -> Entry:
    return Entry("slack", kind, identity, {"n": identity}, key)


async def claim_ids(inbox: SqlInbox, owner: str = "a", at: datetime = T0, limit: int = 10) -> list[int]:
    return [item.id for item in await inbox.claim(owner, limit, at, LEASE)]


async def row(db: Database, item_id: int) -> sa.Row[tuple[str, str | None, int, str | None]]:
    statement = sa.select(InboxRow.status, InboxRow.owner, InboxRow.attempts, InboxRow.error).where(
        InboxRow.id == item_id
    )
    [found] = await db.read_rows(statement, {})
    return found


async def statuses(db: Database) -> dict[str, int]:
    statement = sa.select(InboxRow.status, sa.func.count()).group_by(InboxRow.status)
    return {status: count for status, count in await db.read_rows(statement, {})}


async def test_put_keeps_one_row_per_identity(db: Database) -> None:
    inbox = SqlInbox(db)
    assert await inbox.put(entry("ev-1", "k"), T0) is True
    assert await inbox.put(entry("ev-1", "k"), T0 + SECOND) is False
    long = "x" * 300  # longer than the column: kept by its hash, still once
    assert await inbox.put(entry(long), T0) is True
    assert await inbox.put(entry(long), T0) is False
    assert await db.read_rows(sa.select(sa.func.count()).select_from(InboxRow), {}) == [(2,)]
    [first, second] = await inbox.claim("a", 10, T0, LEASE)
    assert first.payload == {"n": "ev-1"} and first.order_key == "k" and first.attempts == 1
    assert first.received_at == T0 and second.payload == {"n": long}


async def test_claim_takes_the_oldest_first(db: Database) -> None:
    inbox = SqlInbox(db)
    for n in range(5):
        await inbox.put(entry(f"ev-{n}", key=f"k{n}"), T0)
    assert await claim_ids(inbox, limit=2) == [1, 2]
    assert await claim_ids(inbox, limit=1) == [3]
    assert await claim_ids(inbox) == [4, 5]
    assert await claim_ids(inbox) == []


async def test_an_entry_waits_for_the_older_one_of_its_key(db: Database) -> None:
    inbox = SqlInbox(db)
    await inbox.put(entry("a1", "A"), T0)
    await inbox.put(entry("a2", "A"), T0)
    await inbox.put(entry("b1", "B"), T0)
    await inbox.put(entry("free", None), T0)
    await inbox.put(entry("a3", "A"), T0)
    # a2 and a3 wait while a1 is pending; other keys and no key go ahead
    assert await claim_ids(inbox, limit=10) == [1, 3, 4]
    # a1 is running: still nothing of A
    assert await claim_ids(inbox, owner="b") == []
    await inbox.finish(1, "a", T0)
    assert await claim_ids(inbox, owner="b") == [2]  # a3 waits for a2 in turn
    await inbox.fail(2, "b", T0, "given up")
    assert await claim_ids(inbox, owner="b") == [5]


async def test_a_pending_retry_keeps_its_key_waiting_and_is_invisible_until_not_before(db: Database) -> None:
    inbox = SqlInbox(db)
    await inbox.put(entry("a1", "A"), T0)
    await inbox.put(entry("a2", "A"), T0)
    assert await claim_ids(inbox) == [1]
    await inbox.retry(1, "a", T0 + 10 * SECOND, "Slack was not answering")
    assert (await row(db, 1)).status == "pending"
    assert await claim_ids(inbox, at=T0 + 5 * SECOND) == []  # not yet due, and a2 waits behind it
    [again] = await inbox.claim("a", 10, T0 + 10 * SECOND, LEASE)
    assert again.id == 1 and again.attempts == 2
    assert (await row(db, 1)).error == "Slack was not answering"
    await inbox.finish(1, "a", T0 + 11 * SECOND)
    assert await claim_ids(inbox, at=T0 + 11 * SECOND) == [2]


async def test_a_lapsed_lease_is_taken_over_and_the_first_owner_changes_nothing(db: Database) -> None:
    inbox = SqlInbox(db)
    await inbox.put(entry("a1", "A"), T0)
    await inbox.put(entry("a2", "A"), T0)
    assert await claim_ids(inbox, owner="dead") == [1]
    assert await claim_ids(inbox, owner="other", at=T0 + LEASE - SECOND) == []  # lease still held
    [taken] = await inbox.claim("other", 10, T0 + LEASE + SECOND, LEASE)
    assert taken.id == 1 and taken.attempts == 2
    assert tuple(await row(db, 1))[:2] == ("running", "other")
    # the first owner wakes up: whatever it says is ignored
    await inbox.finish(1, "dead", T0 + LEASE + 2 * SECOND)
    await inbox.fail(1, "dead", T0 + LEASE + 2 * SECOND, "late")
    await inbox.retry(1, "dead", T0, "late")
    assert tuple(await row(db, 1)) == ("running", "other", 2, None)
    assert await claim_ids(inbox, owner="third", at=T0 + LEASE + 3 * SECOND) == []  # a2 still waits
    await inbox.finish(1, "other", T0 + LEASE + 3 * SECOND)
    assert (await row(db, 1)).status == "done"
    assert await claim_ids(inbox, owner="third", at=T0 + LEASE + 3 * SECOND) == [2]


async def test_prune_deletes_only_finished_entries_older_than_the_bound(db: Database) -> None:
    inbox = SqlInbox(db)
    for name in ("old-done", "old-failed", "new-done", "old-pending", "old-running"):
        await inbox.put(entry(name), T0)
    assert await claim_ids(inbox, limit=3) == [1, 2, 3]
    await inbox.finish(1, "a", T0)
    await inbox.fail(2, "a", T0, "no")
    await inbox.finish(3, "a", T0 + timedelta(days=8))
    assert await claim_ids(inbox, limit=1) == [4]  # 4 runs; 5 stays pending
    await inbox.retry(4, "a", T0, "again")
    assert await claim_ids(inbox, owner="b", limit=1) == [4]
    assert await inbox.prune(T0 + timedelta(days=7)) == 2
    left = await db.read_rows(sa.select(InboxRow.id, InboxRow.status).order_by(InboxRow.id), {})
    assert [tuple(r) for r in left] == [(3, "done"), (4, "running"), (5, "pending")]
    assert await inbox.prune(T0 + timedelta(days=7)) == 0


async def test_stats_counts_each_status_and_the_oldest_waiting(db: Database) -> None:
    inbox = SqlInbox(db)
    empty = await inbox.stats()
    assert (empty.pending, empty.running, empty.failed, empty.oldest_pending) == (0, 0, 0, None)
    for n in range(6):
        await inbox.put(entry(f"ev-{n}"), T0 + n * SECOND)
    assert await claim_ids(inbox, at=T0 + 10 * SECOND, limit=3) == [1, 2, 3]
    await inbox.finish(1, "a", T0)
    await inbox.fail(2, "a", T0, "no")
    stats = await inbox.stats()
    assert (stats.pending, stats.running, stats.failed) == (3, 1, 1)
    assert stats.oldest_pending == T0 + 2 * SECOND  # the running one counts as waiting
    await inbox.finish(3, "a", T0)
    assert (await inbox.stats()).oldest_pending == T0 + 3 * SECOND
    [failure] = await inbox.failures(10)
    assert (failure.id, failure.kind, failure.attempts, failure.error) == (2, "test.work", 1, "no")
    assert await statuses(db) == {"pending": 3, "done": 2, "failed": 1}


@pytest.mark.parametrize("backend", [BACKENDS[1]], indirect=True)  # PostgreSQL only
async def test_replicas_claiming_side_by_side_keep_each_key_in_order(db: Database) -> None:
    """Two replicas (two pools), two claimers each, 200 entries over 20 keys: never two
    entries of one key held at once, and every key's entries finish in id order."""
    assert db.dialect == "postgresql"
    seed = SqlInbox(db)
    for n in range(200):
        await seed.put(entry(f"ev-{n}", key=f"key-{n % 20}"), T0)
    by_key = {item_id: f"key-{(item_id - 1) % 20}" for item_id in range(1, 201)}
    replicas = [Database(db.url), Database(db.url)]
    held: dict[str, int] = {}
    overlaps: list[tuple[str, int, int]] = []
    finished: dict[str, list[int]] = defaultdict(list)
    count = 0

    async def claimer(inbox: SqlInbox, owner: str, limit: int) -> None:
        nonlocal count
        while count < 200:
            items: list[Item] = await inbox.claim(owner, limit, T0 + SECOND, LEASE)
            if not items:
                await asyncio.sleep(0.001)
                continue
            for item in items:
                key = by_key[item.id]
                assert item.order_key == key
                if key in held:
                    overlaps.append((key, held[key], item.id))
                held[key] = item.id
            await asyncio.sleep(0)  # let the other claimers in while these are held
            for item in items:
                key = by_key[item.id]
                # released before the finish is committed: the next of its key can only be
                # claimed after that commit, so a claim seen while held is a real overlap
                del held[key]
                finished[key].append(item.id)
                count += 1
                await inbox.finish(item.id, owner, T0 + SECOND)

    try:
        stores = [SqlInbox(replica) for replica in replicas]
        async with asyncio.timeout(120):  # a hang guard only
            await asyncio.gather(
                claimer(stores[0], "r1-a", 1),
                claimer(stores[0], "r1-b", 3),
                claimer(stores[1], "r2-a", 1),
                claimer(stores[1], "r2-b", 2),
            )
    finally:
        for replica in replicas:
            await replica.dispose()
    assert overlaps == []
    assert sorted(finished) == sorted({f"key-{k}" for k in range(20)})
    for key, ids in finished.items():
        assert ids == sorted(ids) and len(ids) == 10, key
    assert await statuses(db) == {"done": 200}


async def test_an_ordering_key_too_long_for_its_column_still_orders(db: Database) -> None:
    inbox = SqlInbox(db)
    key = "slack:T1:" + "C" * 400
    assert await inbox.put(Entry("slack", "k", "one", {}, key), T0)
    assert await inbox.put(Entry("slack", "k", "two", {}, key), T0)
    [first] = await inbox.claim("a", 5, T0, LEASE)  # the second waits behind the first
    assert first.id == 1
