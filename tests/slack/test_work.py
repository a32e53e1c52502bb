"""The work behind acks waits for the acks: `adapters.slack.work.Work` on a real event loop."""

from __future__ import annotations

import asyncio
import inspect
import logging

import pytest

from adapters.slack.work import Acks, Work


async def _ticks(n: int = 20) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


def _recorder(done: list[str]):  # type: ignore[no-untyped-def]
    async def piece(name: str, hold: asyncio.Event | None = None) -> None:
        if hold is not None:
            await hold.wait()
        done.append(name)

    return piece


async def test_work_starts_only_once_no_ack_is_owed_and_it_is_quiet() -> None:
    acks = Acks()
    work = Work(acks, quiet=0.05)
    done: list[str] = []
    piece = _recorder(done)
    acks.started()  # a request is being answered
    await work.spawn(piece("a"), "a")
    await asyncio.sleep(0.1)
    assert done == []  # its ack is still owed
    acks.answered()
    await _ticks()
    assert done == []  # answered just now: a burst's next request may be on its way
    await asyncio.sleep(0.1)
    assert done == ["a"]


async def test_during_a_burst_a_short_gap_is_not_quiet() -> None:
    acks = Acks(burst=5, window=0.2)
    work = Work(acks, quiet=0.005)
    done: list[str] = []
    for _ in range(5):  # five requests in a row: a burst
        acks.started()
        acks.answered()
    await work.spawn(_recorder(done)("a"), "a")
    await asyncio.sleep(0.05)
    assert done == []  # quiet for 50 ms, but the burst has not slid out of its window
    await asyncio.sleep(0.25)
    assert done == ["a"]


async def test_without_requests_work_starts_at_once_in_order() -> None:
    work = Work(Acks(), quiet=0.0)
    done: list[str] = []
    piece = _recorder(done)
    for name in "abc":
        await work.spawn(piece(name), name)
    await work.drain()
    assert done == ["a", "b", "c"]


async def test_no_piece_waits_longer_than_max_wait() -> None:
    acks = Acks()
    work = Work(acks, max_wait=0.05, quiet=0.01)
    done: list[str] = []
    acks.started()  # an ack that never ends (a slow request): work must not starve
    await work.spawn(_recorder(done)("a"), "a")
    await asyncio.sleep(0.2)
    assert done == ["a"]
    acks.answered()


async def test_at_most_running_pieces_at_once() -> None:
    work = Work(Acks(), quiet=0.0, running=2)
    done: list[str] = []
    piece = _recorder(done)
    hold = asyncio.Event()
    for name in "abcd":
        await work.spawn(piece(name, hold), name)
    await _ticks()
    assert work.started == 2 and work.waiting == 2
    hold.set()
    await work.drain()
    assert sorted(done) == ["a", "b", "c", "d"] and work.started == 0


async def test_a_full_backlog_makes_the_caller_wait_then_work_competes() -> None:
    acks = Acks()
    work = Work(acks, backlog=2, quiet=0.01, max_wait=10.0)
    done: list[str] = []
    piece = _recorder(done)
    acks.started()
    await work.spawn(piece("a"), "a")
    await work.spawn(piece("b"), "b")
    third = asyncio.ensure_future(work.spawn(piece("c"), "c"))
    await _ticks()
    # Backlog full: the oldest starts although an ack is owed, making room for the third.
    assert third.done()
    assert "a" in done
    acks.answered()
    await work.drain()
    assert sorted(done) == ["a", "b", "c"]


async def test_a_failing_piece_is_logged_and_the_rest_run(caplog: pytest.LogCaptureFixture) -> None:
    work = Work(Acks(), quiet=0.0)
    done: list[str] = []

    async def boom() -> None:
        raise RuntimeError("platform said no")

    with caplog.at_level(logging.ERROR, logger="adapters.slack.work"):
        await work.spawn(boom(), "reaction")
        await work.spawn(_recorder(done)("after"), "after")
        await work.drain()
    assert done == ["after"] and work.started == 0
    assert "handling reaction failed" in caplog.text


async def test_cancelled_before_its_turn_leaves_no_unawaited_coroutine() -> None:
    acks = Acks()
    work = Work(acks, quiet=10.0, max_wait=10.0)
    acks.started()
    coro = _recorder([])("never")
    await work.spawn(coro, "never")
    (task,) = work.tasks
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    # closed, so no "coroutine ... was never awaited" warning when it is collected
    assert inspect.getcoroutinestate(coro) == inspect.CORO_CLOSED
    assert work.started == 0 and work.waiting <= 1
    acks.answered()
