"""What runs after an ack: tracked tasks that yield to the acks still owed.

Slack wants every request answered within 3 seconds and retries (so sends again, adding
load) any it does not hear back on in time; the work behind an answer (Web API calls, the
database, the reply) has no such deadline. Both share one event loop, so under a burst
the work would slow every ack behind it. `Work` therefore starts a piece of work only in
a quiet moment: no request waiting for its ack (`Acks` counts them), none received or
answered for `QUIET` seconds, and no burst going on (`BURST` requests within
`BURST_WINDOW`: the sender of a burst pauses now and then for a few milliseconds, when the
OS runs something else, and a piece started in such a gap competes with the acks until it
ends). One piece starts per loop turn, so a quiet moment is not flooded, and a piece
already started runs to its end. At most `running` pieces run at once (each holds a
database connection or a Web API call at a time; thousands at once would only queue for
the pool and time out there). No work waits longer than `max_wait` for its turn, and when
`backlog` pieces are waiting, the oldest starts regardless of the acks, and a new request
waits for room before it is answered: under a load the machine cannot keep up with, acks
slow down (back-pressure) rather than memory growing without bound.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)

MAX_WAIT = 3.0  # seconds: Slack's own ack window; no reply waits longer than that for its turn
BACKLOG = 10_000  # pieces of work waiting: a few KB of payload each
QUIET = 0.002  # seconds without a request, an ack costing ~0.3 ms
BURST, BURST_WINDOW = 50, 0.1  # 500 requests/s: steady traffic stays well below
RUNNING = 100  # pieces at once: Web API calls take 100-300 ms, so a few per second each


class Acks:
    """Requests received and not yet answered."""

    def __init__(self, burst: int = BURST, window: float = BURST_WINDOW) -> None:
        self.owed = 0
        self.last = 0.0  # monotonic time a request last came or was answered
        self.window = window
        self._recent: deque[float] = deque(maxlen=burst)  # when the last `burst` came

    def started(self) -> None:
        self.owed += 1
        self.last = time.monotonic()
        self._recent.append(self.last)

    def answered(self) -> None:
        self.owed -= 1
        self.last = time.monotonic()

    def quiet_in(self, quiet: float) -> float | None:
        """Seconds until it is quiet (0 if it is), None while an ack is owed."""
        if self.owed:
            return None
        now = time.monotonic()
        wait = quiet - (now - self.last)
        if len(self._recent) == self._recent.maxlen:  # a burst lasts until it slid out
            wait = max(wait, self._recent[0] + self.window - now)
        return max(0.0, wait)


class Work:
    """Tasks started after an ack: kept referenced, started when the acks allow, awaited by
    `drain` (tests, shutdown)."""

    def __init__(
        self,
        acks: Acks | None = None,
        max_wait: float = MAX_WAIT,
        backlog: int = BACKLOG,
        quiet: float = QUIET,
        running: int = RUNNING,
    ) -> None:
        self.acks = acks or Acks()
        self.max_wait, self.backlog, self.quiet, self.running = max_wait, backlog, quiet, running
        self.started = 0  # pieces that had their turn and have not finished
        self.tasks: set[asyncio.Task[None]] = set()
        self._waiting: deque[tuple[float, asyncio.Future[None]]] = deque()
        self._room: deque[asyncio.Future[None]] = deque()
        self._scheduled = False
        self._timer: asyncio.TimerHandle | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def spawn(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        """Queue `coro` to run in its turn. When `backlog` pieces are waiting already, this
        waits for room first, and so does the answer of the request that calls it: under a
        load the machine cannot keep up with, acks slow down rather than memory growing."""
        while len(self._waiting) >= self.backlog:
            room: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._room.append(room)
            try:
                await room
            except asyncio.CancelledError:
                coro.close()
                raise
        task = asyncio.ensure_future(self._guard(coro, what))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        # a no-op once it ran; frees it when the task was cancelled before its first step
        task.add_done_callback(lambda _: coro.close())

    async def _guard(self, coro: Coroutine[Any, Any, None], what: str) -> None:
        started = False
        try:
            await self._turn()
            self.started += 1
            started = True
            await coro
        except Exception:
            log.exception("handling %s failed", what)
        finally:
            if started:
                self.started -= 1
                self._kick()

    async def _turn(self) -> None:
        if not self._waiting and self.started < self.running and self.acks.quiet_in(self.quiet) == 0:
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((time.monotonic(), turn))
        self._kick()
        await turn

    def _kick(self) -> None:
        if self._waiting and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._release)

    def _release(self) -> None:
        """Give the oldest waiting piece its turn if a slot is free and it is quiet (or it
        waited `max_wait`, or the backlog is full); then come back next loop turn for the
        next one. A released piece counts itself as started before this runs again (the
        loop runs callbacks in order)."""
        self._scheduled = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting and self._waiting[0][1].done():  # cancelled while waiting
            self._waiting.popleft()
        if not self._waiting or self.started >= self.running:
            return  # a finishing piece kicks us
        since, turn = self._waiting[0]
        left = self.max_wait - (time.monotonic() - since)
        quiet_in = self.acks.quiet_in(self.quiet)
        if quiet_in != 0 and left > 0 and len(self._waiting) < self.backlog:
            # Acks first: look again when it may be quiet, or when the oldest piece has
            # waited long enough, whichever comes first.
            delay = min(left, quiet_in if quiet_in is not None else self.quiet)
            self._timer = asyncio.get_running_loop().call_later(delay, self._kick)
            return
        self._waiting.popleft()
        turn.set_result(None)
        while self._room:
            room = self._room.popleft()
            if not room.done():
                room.set_result(None)
                break
        self._kick()

    async def drain(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
