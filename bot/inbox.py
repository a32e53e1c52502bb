"""The inbox: every request the bot acknowledges is written down first, then worked.

Rules 10 and 11 of docs/rules.md, and docs/inbox.md. An adapter turns a platform request into an
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot import logs
from bot.doorbell import Doorbell
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
        self, owner: str, limit: int, at: datetime, lease: timedelta, *, finished: Sequence[int] = ()
    ) -> list[Item]:
        """Take up to `limit` entries (none when 0), oldest first, that are due (pending and
        not before their next try, or running with a lapsed lease) and have no older entry of
        the same ordering key pending or running. Safe with any number of replicas claiming at
        once. `finished`: entries of `owner`'s to mark done first, in the same transaction."""
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
    workers: int = 8
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


class Inbox:
    """What adapters call: `accept` before answering. The claimer is woken at once."""

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
    """Works up to `policy.workers` entries at once (never more than the connection pool).

    One claimer takes as many due entries as there are free places, in one statement, and
    starts a task for each; the entries that were done are marked so in that same
    statement's transaction. A claim is a write, and on SQLite writes take turns: one claim
    for several entries, rather than one per entry, leaves the turns to the captures and to
    the requests being kept. The claimer wakes when an entry is kept (the doorbell), when a
    task ends (a place is free, a done entry is to be marked), or every `policy.poll`
    seconds for what other replicas kept."""

    inbox: Inbox
    handlers: Mapping[str, Handler]
    classify: Classify
    owner: str = field(default_factory=lambda: secrets.token_hex(6))
    _claimer: asyncio.Task[None] | None = None
    _running: set[asyncio.Task[None]] = field(default_factory=set)
    _done: list[int] = field(default_factory=list)  # worked, to be marked so with the next claim
    _stopping: bool = False
    _last_prune: datetime | None = None

    @property
    def policy(self) -> InboxPolicy:
        return self.inbox.policy

    def start(self) -> None:
        self._stopping = False
        self._claimer = asyncio.get_running_loop().create_task(self._claim_loop(), name="inbox-claimer")

    async def stop(self, grace: float = 10.0) -> None:
        """Let the entries being worked finish (within `grace`); the rest stay pending for
        the next start, here or on another replica."""
        self._stopping = True
        self.inbox.bell.ring()
        claimer, self._claimer = self._claimer, None
        if claimer is not None:  # it may be sleeping off a database outage: not for long
            await asyncio.wait({claimer}, timeout=grace)
            claimer.cancel()
            await asyncio.gather(claimer, return_exceptions=True)
        if self._running:
            _, slow = await asyncio.wait(set(self._running), timeout=grace)
            for task in slow:
                task.cancel()
            await asyncio.gather(*slow, return_exceptions=True)
        await self._finish_done()

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until nothing is pending or running (tests, benchmarks), here included: an
        entry given up on is marked failed before the person is told."""
        async with asyncio.timeout(timeout):
            while True:
                stats = await self.inbox.store.stats()
                if not stats.pending and not stats.running and not self._running:
                    return
                self.inbox.bell.ring()
                await asyncio.sleep(0.02)

    async def _claim_loop(self) -> None:
        pause = 0.0
        while not self._stopping:
            seen = self.inbox.bell.rung
            free = self.policy.workers - len(self._running)
            if free > 0 or self._done:
                try:
                    items = await self._claim(max(free, 0))
                    pause = 0.0
                except Exception as exc:  # the database itself is away: wait, then look again
                    pause = min(STORE_RETRY_CAP, max(0.5, pause * 2))
                    log.warning(
                        "inbox: the store failed (%s); trying again in %.1f s", type(exc).__name__, pause
                    )
                    await asyncio.sleep(pause)
                    continue
                for item in items:
                    self._start(item)
                if items and len(items) == free:
                    continue  # there may be more due: look again as soon as a place is free
            if not await self.inbox.bell.wait(seen, self.policy.poll) and not self._running:
                await self._prune()

    async def _claim(self, limit: int) -> list[Item]:
        done, self._done = self._done, []
        try:
            now = self.inbox.clock.now()
            return await self.inbox.store.claim(self.owner, limit, now, self.policy.lease, finished=done)
        except BaseException:
            self._done[:0] = done  # marked with the next claim that gets through
            raise

    def _start(self, item: Item) -> None:
        # each entry in a context of its own: its log ids do not leak into the next one
        task = asyncio.get_running_loop().create_task(
            self._work_and_keep(item), context=contextvars.Context()
        )
        self._running.add(task)
        task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self.inbox.bell.ring()  # a place is free, and maybe an entry to mark done

    async def _work_and_keep(self, item: Item) -> None:
        if await self._work(item):
            self._done.append(item.id)

    async def _finish_done(self) -> None:
        done, self._done = self._done, []
        now = self.inbox.clock.now()
        for item_id in done:
            try:
                await self.inbox.store.finish(item_id, self.owner, now)
            except Exception as exc:  # its lease runs out, and it is done again: capture is idempotent
                log.warning("inbox: could not mark entry %d done: %s", item_id, type(exc).__name__)

    async def run_once(self) -> bool:
        """Claim one entry and work it to the end; False when none was due."""
        now = self.inbox.clock.now()
        items = await self.inbox.store.claim(self.owner, 1, now, self.policy.lease)
        for item in items:
            task = asyncio.get_running_loop().create_task(self._work(item), context=contextvars.Context())
            if await task:
                await self.inbox.store.finish(item.id, self.owner, self.inbox.clock.now())
        return bool(items)

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
