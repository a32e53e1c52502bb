"""The inbox: every request the bot acknowledges is written down first, then worked.

SPEC rules 10 and 11, and docs/inbox.md. An adapter turns a platform request into an
`Entry` and gives it to `Inbox.accept` before it answers: once that returns, the request is
in the database, and only then may the platform be told "received". When it cannot be
written, `accept` raises `InboxUnavailable` and the adapter answers so that the platform
retries, or tells the person that nothing was recorded.

`Workers` then take the entries in arrival order. Entries sharing an ordering key (one
source message, one channel's charter) run one at a time and in order, on this replica or
any other: the claim itself refuses an entry while an older one with its key is waiting or
running. A fault that may pass (`classify` names it) is retried later, with exponential
backoff and jitter, until the horizon; then the entry fails, the person is told what was
not recorded and why, and it is logged. Any other exception is a bug of ours: logged as
such, the entry failed, the person told. An entry held by a replica that died is taken
over when its lease runs out, so every replica resumes what is pending when it starts.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot import logs
from bot.i18n import N_
from bot.ports import Clock

log = logging.getLogger(__name__)

# Why work was given up on, as the person is told (translated where it is shown).
DATABASE_AWAY = N_("the database was not answering")
TOO_SLOW = N_("it took too long")
OUR_ERROR = N_("an error on my side")

LOG_CONTEXT = "log_context"  # the payload key holding the request's log context
PRUNE_EVERY = timedelta(minutes=10)
STORE_RETRY_CAP = 30.0  # seconds between tries while the database itself is away


class InboxUnavailable(Exception):
    """The request could not be written down: it must not be acknowledged as received."""


@dataclass(frozen=True)
class Entry:
    """A request to keep. `identity` is the platform's own (an event id, a hash of a signed
    request): a retry or a replay of the request has the same one and is kept once."""

    platform: str
    kind: str
    identity: str
    payload: dict[str, Any]
    order_key: str | None = None


@dataclass(frozen=True)
class Item:
    """A claimed entry, being worked by one worker."""

    id: int
    platform: str
    kind: str
    payload: dict[str, Any]
    order_key: str | None
    attempts: int  # counting this one
    received_at: datetime


@dataclass(frozen=True)
class InboxStats:
    pending: int
    running: int
    failed: int
    oldest_pending: datetime | None  # the oldest entry pending or running


@dataclass(frozen=True)
class Failure:
    id: int
    platform: str
    kind: str
    attempts: int
    received_at: datetime
    finished_at: datetime | None
    error: str


class InboxStore(Protocol):
    """The inbox table. Every method is one short transaction."""

    async def put(self, entry: Entry, at: datetime) -> bool:
        """Keep `entry` unless one with its identity is kept already; True when it is new."""
        ...

    async def claim(
        self, owner: str, limit: int, at: datetime, lease: timedelta, *, finished: int | None = None
    ) -> list[Item]:
        """Take up to `limit` entries, oldest first, that are due (pending and not before
        their next try, or running with a lapsed lease) and have no older entry of the same
        ordering key pending or running. Safe with any number of replicas claiming at once.
        `finished`: an entry of `owner`'s to mark done first, in the same transaction."""
        ...

    async def finish(self, item_id: int, owner: str, at: datetime) -> None: ...
    async def retry(self, item_id: int, owner: str, not_before: datetime, error: str) -> None: ...
    async def fail(self, item_id: int, owner: str, at: datetime, error: str) -> None: ...
    async def stats(self) -> InboxStats: ...
    async def failures(self, limit: int) -> list[Failure]:
        """The newest failed entries, newest first."""
        ...

    async def prune(self, done_before: datetime) -> int:
        """Delete finished entries older than `done_before`; how many went."""
        ...


class Handler(Protocol):
    """One kind of entry: how to work it, and how to tell the person it was given up on."""

    async def run(self, item: Item) -> None: ...
    async def failed(self, item: Item, reason: str) -> None: ...


Classify = Callable[[BaseException], "str | None"]  # a passing fault's short reason, or None


def first_reason(*classifiers: Classify) -> Classify:
    """One classifier out of several (the database's, each platform's)."""

    def classify(exc: BaseException) -> str | None:
        found = next((r for c in classifiers if (r := c(exc)) is not None), None)
        if found is None and isinstance(exc, TimeoutError):
            return TOO_SLOW
        return found

    return classify


@dataclass(frozen=True)
class InboxPolicy:
    workers: int = 4
    horizon: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=2)
    keep_done: timedelta = timedelta(days=7)
    accept_timeout: float = 2.0  # seconds: the ack must still fit in the platform's window
    poll: float = 1.0  # seconds: how often to look for entries other replicas kept
    backoff_base: float = 1.0
    backoff_cap: float = 300.0


def backoff(attempts: int, policy: InboxPolicy) -> float:
    """Seconds before try `attempts + 1`: doubling from the base up to the cap, with full
    jitter so that entries that failed together do not come back together."""
    ceiling = min(policy.backoff_cap, policy.backoff_base * 2 ** max(0, attempts - 1))
    return random.uniform(ceiling / 2, ceiling)


class Doorbell:
    """Wakes idle workers: one per entry kept, not all of them for each (every worker woken
    would try a claim, and all but one would find nothing). `rung` counts the rings, so a
    worker that looked and found nothing just before a ring does not sleep through it."""

    def __init__(self) -> None:
        self.rung = 0
        self._sleepers: list[asyncio.Future[None]] = []

    def ring(self, times: int = 1) -> None:
        self.rung += 1
        for _ in range(min(times, len(self._sleepers))):
            sleeper = self._sleepers.pop(0)
            if not sleeper.done():
                sleeper.set_result(None)

    async def wait(self, seen: int, timeout: float) -> bool:
        """Sleep until a ring after `seen` (True), or for `timeout` seconds (False)."""
        if self.rung != seen:
            return True
        sleeper: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append(sleeper)
        try:
            await asyncio.wait_for(sleeper, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            if sleeper in self._sleepers:
                self._sleepers.remove(sleeper)


class Inbox:
    """What adapters call: `accept` before answering. A worker is woken at once."""

    def __init__(self, store: InboxStore, clock: Clock, policy: InboxPolicy) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.bell = Doorbell()

    async def stats(self) -> InboxStats:
        return await self.store.stats()

    async def failures(self, limit: int = 20) -> list[Failure]:
        return await self.store.failures(limit)

    async def accept(self, entry: Entry) -> bool:
        """Write `entry` down (True), or see it is there already from an earlier delivery
        (False). Raises InboxUnavailable when it cannot be written in time."""
        try:
            async with asyncio.timeout(self.policy.accept_timeout):
                # the request's log context (request id, workspace, channel) goes with it,
                # so that whatever its work logs, later and elsewhere, names the request
                kept = replace(entry, payload={**entry.payload, LOG_CONTEXT: logs.context()})
                new = await self.store.put(kept, self.clock.now())
        except Exception as exc:  # the database is down, locked or slow: say so, never pretend
            log.warning("inbox: could not keep %s %s: %s", entry.platform, entry.kind, type(exc).__name__)
            raise InboxUnavailable(str(exc) or type(exc).__name__) from None
        if new:
            self.bell.ring()
        return new


@dataclass
class Workers:
    """A fixed pool of workers draining the inbox (never more than the connection pool)."""

    inbox: Inbox
    handlers: Mapping[str, Handler]
    classify: Classify
    owner: str = field(default_factory=lambda: secrets.token_hex(6))
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stopping: bool = False
    _last_prune: datetime | None = None

    @property
    def policy(self) -> InboxPolicy:
        return self.inbox.policy

    def start(self) -> None:
        self._stopping = False
        for n in range(self.policy.workers):
            self._tasks.append(asyncio.get_running_loop().create_task(self._loop(), name=f"inbox-{n}"))

    async def stop(self, grace: float = 10.0) -> None:
        """Let the entries being worked finish (within `grace`); the rest stay pending for
        the next start, here or on another replica."""
        self._stopping = True
        self.inbox.bell.ring(len(self._tasks))
        if not self._tasks:
            return
        _, slow = await asyncio.wait(self._tasks, timeout=grace)
        for task in slow:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing is pending or running (tests, benchmarks)."""
        async with asyncio.timeout(timeout):
            while True:
                stats = await self.inbox.store.stats()
                if not stats.pending and not stats.running:
                    return
                self.inbox.bell.ring(len(self._tasks))
                await asyncio.sleep(0.02)

    async def _loop(self) -> None:
        pause = 0.0
        done: int | None = None  # worked, and marked so in the same transaction as the next claim
        while not self._stopping:
            seen = self.inbox.bell.rung
            try:
                items = await self._claim(done)
                done, pause = None, 0.0
                if items and await self._run(items[0]):
                    done = items[0].id
            except Exception as exc:  # the database itself is away: wait, then look again
                pause = min(STORE_RETRY_CAP, max(0.5, pause * 2))
                log.warning("inbox: the store failed (%s); trying again in %.1f s", type(exc).__name__, pause)
                await asyncio.sleep(pause)
                continue
            if not items and not await self.inbox.bell.wait(seen, self.policy.poll):
                await self._prune()
        if done is not None:
            try:
                await self.inbox.store.finish(done, self.owner, self.inbox.clock.now())
            except Exception as exc:  # its lease runs out, and it is done again: capture is idempotent
                log.warning("inbox: could not mark entry %d done: %s", done, type(exc).__name__)

    async def _claim(self, done: int | None) -> list[Item]:
        now = self.inbox.clock.now()
        return await self.inbox.store.claim(self.owner, 1, now, self.policy.lease, finished=done)

    async def run_once(self) -> bool:
        """Claim one entry and work it to the end; False when none was due."""
        items = await self._claim(None)
        for item in items:
            if await self._run(item):
                await self.inbox.store.finish(item.id, self.owner, self.inbox.clock.now())
        return bool(items)

    async def _run(self, item: Item) -> bool:
        """Work `item` in a context of its own (its log ids do not leak into the next one);
        True when it is done, False when it was retried or failed."""
        task = asyncio.get_running_loop().create_task(self._work(item), context=contextvars.Context())
        return await task

    async def _work(self, item: Item) -> bool:
        logs.bind(**item.payload.get(LOG_CONTEXT, {}))
        store, clock = self.inbox.store, self.inbox.clock
        handler = self.handlers.get(item.kind)
        if handler is None:  # kept by a newer version of the bot, or an older one's leftover
            log.warning("inbox: no handler for %s (entry %d); marked failed", item.kind, item.id)
            await store.fail(item.id, self.owner, clock.now(), f"unknown kind {item.kind}")
            return False
        try:
            # A worker never outlives its lease: past it, another replica may take the entry.
            async with asyncio.timeout(self.policy.lease.total_seconds() * 0.8):
                await handler.run(item)
        except Exception as exc:
            await self._fault(item, handler, exc)
            return False
        return True

    async def _fault(self, item: Item, handler: Handler, exc: Exception) -> None:
        store, now = self.inbox.store, self.inbox.clock.now()
        reason = self.classify(exc)
        if reason is not None:
            wait = backoff(item.attempts, self.policy)
            if now + timedelta(seconds=wait) - item.received_at < self.policy.horizon:
                log.warning(
                    "inbox: %s (entry %d, try %d) met a passing fault: %s (%s); next try in %.1f s",
                    item.kind,
                    item.id,
                    item.attempts,
                    reason,
                    type(exc).__name__,
                    wait,
                )
                await store.retry(item.id, self.owner, now + timedelta(seconds=wait), reason)
                return
            log.warning(
                "inbox: %s (entry %d) given up after %d tries over %s: %s (%s)",
                item.kind,
                item.id,
                item.attempts,
                now - item.received_at,
                reason,
                type(exc).__name__,
            )
        else:
            reason = OUR_ERROR
            log.exception("inbox: %s (entry %d) failed", item.kind, item.id)
        await store.fail(item.id, self.owner, now, reason)
        try:
            await handler.failed(item, reason)
        except Exception as told:
            log.warning("inbox: could not tell the person about entry %d: %s", item.id, type(told).__name__)

    async def _prune(self) -> None:
        now = self.inbox.clock.now()
        if self._last_prune is not None and now - self._last_prune < PRUNE_EVERY:
            return
        self._last_prune = now
        try:
            gone = await self.inbox.store.prune(now - self.policy.keep_done)
        except Exception as exc:
            log.warning("inbox: pruning failed: %s", type(exc).__name__)
            return
        if gone:
            log.info("inbox: pruned %d finished entries", gone)
