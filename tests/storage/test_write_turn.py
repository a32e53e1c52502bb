"""The SQLite write turn: one writer at a time, `first` ones ahead of the rest, and a waiter
that gives up never keeps the turn from the next one."""

from __future__ import annotations

import asyncio

import pytest

from storage.write_turn import NestedWriteTurn, WriteTurn


async def _writer(turn: WriteTurn, name: str, order: list[str], first: bool = False) -> None:
    async with turn(first):
        order.append(name)
        await asyncio.sleep(0)


async def test_first_writers_go_ahead_of_those_already_waiting() -> None:
    turn, order = WriteTurn(), []
    release = asyncio.Event()

    async def holder() -> None:
        async with turn():
            order.append("holder")
            await release.wait()

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(_writer(turn, f"capture-{n}", order)) for n in range(3)]
    await asyncio.sleep(0)
    keep = asyncio.create_task(_writer(turn, "keep", order, first=True))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(held, keep, *waiting)
    assert order == ["holder", "keep", "capture-0", "capture-1", "capture-2"]


async def test_one_at_a_time() -> None:
    turn, inside, most = WriteTurn(), 0, 0

    async def writer(first: bool) -> None:
        nonlocal inside, most
        async with turn(first):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(writer(n % 3 == 0) for n in range(30)))
    assert most == 1


async def test_a_waiter_that_gives_up_passes_the_turn_on() -> None:
    turn, order = WriteTurn(), []
    release = asyncio.Event()

    async def holder() -> None:
        async with turn():
            await release.wait()

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    quitter = asyncio.create_task(_writer(turn, "quitter", order, first=True))
    after = asyncio.create_task(_writer(turn, "after", order))
    await asyncio.sleep(0)
    quitter.cancel()
    release.set()
    await asyncio.gather(held, after)
    assert order == ["after"]
    async with asyncio.timeout(1):  # and the turn is free again
        async with turn():
            pass


async def test_a_waiter_cancelled_as_its_turn_came_passes_it_on() -> None:
    turn, order = WriteTurn(), []
    release = asyncio.Event()
    tasks: dict[str, asyncio.Task[None]] = {}

    async def holder() -> None:
        async with turn():
            await release.wait()
        # the turn was just handed to the quitter, which has not run yet, and now gives up
        tasks["quitter"].cancel()

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    tasks["quitter"] = asyncio.create_task(_writer(turn, "quitter", order))
    after = asyncio.create_task(_writer(turn, "after", order))
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(held, tasks["quitter"], return_exceptions=True)
    async with asyncio.timeout(1):
        await after
    assert order == ["after"]


async def test_a_turn_asked_for_inside_itself_fails_at_once_instead_of_hanging() -> None:
    turn = WriteTurn()
    async with asyncio.timeout(1):
        async with turn():
            with pytest.raises(NestedWriteTurn):
                async with turn(first=True):
                    pass
        async with turn():  # and it was given back
            pass


async def test_tasks_started_inside_a_turn_wait_for_it_like_any_other() -> None:
    turn, order = WriteTurn(), []
    async with turn():
        # a task copies the context: it must not pass for the holder
        other = asyncio.create_task(_writer(turn, "other", order))
        await asyncio.sleep(0)
        order.append("holder")
    await other
    assert order == ["holder", "other"]
