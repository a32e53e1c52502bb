"""The order in which this process's SQLite write transactions take the write lock.

SQLite lets one writer in at a time. Waiting in its busy handler costs sleeps of up to
100 ms while the lock may already be free, so this process's writers queue here instead,
and each takes its turn the moment the one before ends (busy_timeout still arbitrates
between processes). Writers marked `first` go ahead of the others waiting: keeping a
request in the inbox stands between a person and their answer (Slack gives 3 seconds),
while a worker's capture or claim can wait a turn without anyone noticing.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class NestedWriteTurn(RuntimeError):
    """A write transaction begun inside another one of the same task: it would wait for
    itself for ever. A bug of ours, said at once instead of hanging."""


class WriteTurn:
    """A lock whose waiters are served `first` ones first, then in arrival order. One event
    loop only (a new loop gets a new turn: see `storage.database.Database`). Not re-entrant:
    asking again while holding it raises `NestedWriteTurn`."""

    def __init__(self) -> None:
        self._held = False
        self._queue: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()
        self._holder: asyncio.Task[object] | None = None

    @asynccontextmanager
    async def __call__(self, first: bool = False) -> AsyncIterator[None]:
        me = asyncio.current_task()
        if self._held and self._holder is me:
            raise NestedWriteTurn("a write transaction inside another: it would wait for itself")
        await self._acquire(first)
        self._holder = me
        try:
            yield
        finally:
            self._holder = None
            self._release()

    async def _acquire(self, first: bool) -> None:
        if not self._held and not self._queue:
            self._held = True
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._queue, (0 if first else 1, next(self._arrivals), turn))
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self._release()  # handed the turn just as it gave up: pass it on
            raise

    def _release(self) -> None:
        while self._queue:
            _, _, turn = heapq.heappop(self._queue)
            if not turn.done():  # a waiter that gave up has a cancelled future: skip it
                turn.set_result(None)  # the turn goes straight to it: still held
                return
        self._held = False
