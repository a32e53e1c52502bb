"""Workers over a real SqlInbox (SQLite and PostgreSQL): passing faults retried with backoff
until the horizon, bugs failed at once, unknown kinds failed, order kept per key across
retries, and what one pool left pending (or held when it died) finished by another."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from bot.inbox import Entry, Handler, Inbox, InboxPolicy, Item, Workers
from storage.database import Database
from storage.inbox import SqlInbox
from storage.models import InboxRow
from tests.clock import FakeClock

KIND = "test.work"
PASSING = "the fake service was not answering"
POLICY = InboxPolicy(workers=2, poll=0.05, backoff_base=0.01, backoff_cap=0.05, lease=timedelta(seconds=30))


class Passing(Exception):
    """A fault that may pass (classify names it)."""


class Bug(Exception):
    """A fault classify does not know: a bug of ours."""


def classify(exc: BaseException) -> str | None:
    return PASSING if isinstance(exc, Passing) else None


@dataclass
class Recorder:
    """Runs each item through `behaviour` (raise to fail that try) and records everything."""

    behaviour: Callable[[Item], None] = lambda item: None
    runs: list[tuple[int, int]] = field(default_factory=list)  # (id, attempts)
    done: list[int] = field(default_factory=list)
    told: list[tuple[int, str]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, item: Item) -> None:
        self.runs.append((item.id, item.attempts))
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        self.behaviour(item)
        self.done.append(item.id)

    async def failed(self, item: Item, reason: str) -> None:
        self.told.append((item.id, reason))


def workers(
    db: Database, handler: Handler, policy: InboxPolicy = POLICY, clock: FakeClock | None = None
) -> Workers:
    inbox = Inbox(SqlInbox(db), clock or FakeClock(), policy)
    return Workers(inbox, {KIND: handler}, classify)


async def keep(pool: Workers, name: str, key: str | None = None, kind: str = KIND) -> None:
    assert await pool.inbox.accept(Entry("slack", kind, name, {"name": name}, key))


async def rows(db: Database) -> list[tuple[int, str, int, str | None]]:
    statement = sa.select(InboxRow.id, InboxRow.status, InboxRow.attempts, InboxRow.error).order_by(
        InboxRow.id
    )
    return [(r.id, r.status, r.attempts, r.error) for r in await db.read_rows(statement, {})]


async def run_until_drained(pool: Workers) -> None:
    pool.start()
    try:
        await pool.drain(timeout=30)  # a hang guard only
    finally:
        await pool.stop()


async def test_a_passing_fault_is_retried_after_backoff_and_finishes(db: Database) -> None:
    def twice_then_fine(item: Item) -> None:
        if item.attempts < 3:
            raise Passing("502")

    handler = Recorder(twice_then_fine)
    pool = workers(db, handler)
    await keep(pool, "ev-1")
    await run_until_drained(pool)
    assert handler.runs == [(1, 1), (1, 2), (1, 3)] and handler.done == [1]
    assert handler.told == []
    assert await rows(db) == [(1, "done", 3, PASSING)]  # the last fault it met stays for the record


async def test_past_the_horizon_the_entry_fails_and_the_person_is_told_once(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()

    def always_down(item: Item) -> None:
        clock.advance(minutes=25)  # each try costs 25 minutes of a one-hour horizon
        raise Passing("still down")

    handler = Recorder(always_down)
    # The lease outlasts the clock's jumps: a claim made while a try's fault is being written
    # down must not see the entry's lease as lapsed and take it a second time.
    policy = replace(POLICY, horizon=timedelta(hours=1), lease=timedelta(hours=2))
    pool = workers(db, handler, policy, clock)
    await keep(pool, "ev-1")
    with caplog.at_level(logging.WARNING, logger="bot.inbox"):
        await run_until_drained(pool)
    assert handler.runs == [(1, 1), (1, 2), (1, 3)]  # 25, 50 minutes: retried; 75: given up
    assert handler.told == [(1, PASSING)]
    assert await rows(db) == [(1, "failed", 3, PASSING)]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []  # a fault, not a bug
    assert len([r for r in caplog.records if "given up" in r.getMessage()]) == 1


async def test_an_unknown_exception_fails_at_once_logged_as_an_error(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(item: Item) -> None:
        raise Bug("KeyError in our code")

    handler = Recorder(broken)
    pool = workers(db, handler)
    await keep(pool, "ev-1")
    with caplog.at_level(logging.WARNING, logger="bot.inbox"):
        await run_until_drained(pool)
    assert handler.runs == [(1, 1)]
    assert handler.told == [(1, "an error on my side")]
    assert await rows(db) == [(1, "failed", 1, "an error on my side")]
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.exc_info is not None and isinstance(error.exc_info[1], Bug)


async def test_an_unknown_kind_is_failed(db: Database) -> None:
    handler = Recorder()
    pool = workers(db, handler)
    await keep(pool, "ev-1", kind="test.from_a_newer_version")
    await keep(pool, "ev-2")
    await run_until_drained(pool)
    assert handler.runs == [(2, 1)]
    assert await rows(db) == [
        (1, "failed", 1, "unknown kind test.from_a_newer_version"),
        (2, "done", 1, None),
    ]


async def test_an_entry_being_retried_holds_back_the_later_ones_of_its_key(db: Database) -> None:
    def first_fails_twice(item: Item) -> None:
        if item.payload["name"] == "a1" and item.attempts < 3:
            raise Passing("502")

    handler = Recorder(first_fails_twice)
    pool = workers(db, handler, replace(POLICY, workers=4))
    for name in ("a1", "a2", "a3"):
        await keep(pool, name, key="message-A")
    await keep(pool, "b1", key="message-B")
    await run_until_drained(pool)
    a_runs = [entry_id for entry_id, _ in handler.runs if entry_id in (1, 2, 3)]
    assert a_runs == [1, 1, 1, 2, 3]
    assert sorted(handler.done) == [1, 2, 3, 4]


async def test_stop_leaves_pending_entries_for_another_pool_to_finish(db: Database) -> None:
    first = Recorder(gate=asyncio.Event())
    one = workers(db, first, replace(POLICY, workers=1))
    for n in range(5):
        await keep(one, f"ev-{n}", key="message-A" if n % 2 else None)
    one.start()
    await first.started.wait()
    stopping = asyncio.create_task(one.stop())
    await asyncio.sleep(0)  # stop() has begun: no new claims from now on
    assert first.gate is not None
    first.gate.set()  # the entry being worked finishes within the grace
    await stopping
    assert first.done == [1]
    assert [status for _, status, _, _ in await rows(db)] == ["done"] + ["pending"] * 4

    second = Recorder()
    other = workers(db, second, replace(POLICY, workers=1))
    assert other.owner != one.owner
    await run_until_drained(other)
    assert second.done == [2, 3, 4, 5]
    assert [status for _, status, _, _ in await rows(db)] == ["done"] * 5


async def test_an_entry_held_by_a_pool_that_died_is_taken_over_when_its_lease_lapses(db: Database) -> None:
    store = SqlInbox(db)
    clock = FakeClock()
    await store.put(Entry("slack", KIND, "ev-1", {"name": "ev-1"}, "message-A"), clock.now())
    await store.put(Entry("slack", KIND, "ev-2", {"name": "ev-2"}, "message-A"), clock.now())
    # a replica claimed the first, then was killed: nothing will ever finish it
    [held] = await store.claim("dead-replica", 1, clock.now(), timedelta(minutes=2))
    handler = Recorder()
    pool = workers(db, handler, clock=clock)
    assert await pool.run_once() is False  # while the lease runs, nothing of that message moves
    assert handler.runs == []
    clock.advance(minutes=3)  # the lease has lapsed
    await run_until_drained(pool)
    assert handler.runs == [(held.id, 2), (2, 1)]
    assert [status for _, status, _, _ in await rows(db)] == ["done", "done"]


async def test_up_to_the_pool_size_are_worked_at_once_and_their_ends_are_marked_together(
    db: Database,
) -> None:
    class Counting(Recorder):
        inside = 0
        most = 0

        async def run(self, item: Item) -> None:
            self.inside += 1
            self.most = max(self.most, self.inside)
            await asyncio.sleep(0.02)  # long enough for the others to be claimed meanwhile
            self.inside -= 1
            await super().run(item)

    handler = Counting()
    pool = workers(db, handler, replace(POLICY, workers=3))
    claims: list[int] = []
    claim = pool.inbox.store.claim

    async def counted(*args: object, **kwargs: object) -> list[Item]:
        items = await claim(*args, **kwargs)  # type: ignore[arg-type]
        claims.append(len(items))
        return items

    pool.inbox.store.claim = counted  # type: ignore[method-assign]
    for n in range(9):
        await keep(pool, f"ev-{n}", key=f"message-{n}")
    await run_until_drained(pool)
    assert sorted(handler.done) == list(range(1, 10))
    assert handler.most == 3  # never more than the pool, and the pool was used
    assert max(claims) > 1  # several entries in one claim
    assert [status for _, status, _, _ in await rows(db)] == ["done"] * 9
