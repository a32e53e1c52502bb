"""Shared pieces for the scheduler tests: a controllable clock, a recording poster, charters."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import Counter
from datetime import datetime, time

from bot.charter import ChannelKey, Charter, Nudges, OutputType, Schedule, Target
from bot.context import EngineSettings, Services
from bot.deliverable import NewDeliverable, Status, Via
from bot.events import Audience, Reply
from bot.ports import ChannelInfo, Repository
from tests.clock import FakeClock as Clock

PLATFORM, WORKSPACE = "test", "W1"


class RecordingPoster:
    """Records what would be posted; `block` makes every post hang (a replica about to die)."""

    platforms = frozenset({PLATFORM})

    def __init__(self, *, fail_on: set[str] | None = None, block: bool = False) -> None:
        self.sent: list[tuple[Reply, ChannelKey]] = []
        self.fail_on = fail_on or set()
        self.block = block
        self.started = asyncio.Event()
        self.got = asyncio.Event()

    async def post(self, reply: Reply, channel: ChannelKey) -> str:
        self.started.set()
        if self.block:
            await asyncio.Event().wait()
        if channel.channel_id in self.fail_on:
            raise RuntimeError("channel_not_found")
        self.sent.append((reply, channel))
        self.got.set()
        return f"m{len(self.sent)}"

    def of_kind(self, kind: str) -> list[tuple[Reply, ChannelKey]]:
        return [(r, c) for r, c in self.sent if r.kind == kind]

    def digests_per_channel(self) -> Counter[str]:
        return Counter(c.channel_id for r, c in self.sent if r.kind == "digest")

    def direct(self) -> list[Reply]:
        return [r for r, _ in self.sent if r.audience == Audience.DIRECT]


def key(channel: str, workspace: str = WORKSPACE) -> ChannelKey:
    return ChannelKey(platform=PLATFORM, workspace_id=workspace, channel_id=channel)


def services(repo: Repository, clock: Clock, **settings: object) -> Services:
    return Services(repo, clock, EngineSettings(**settings))  # type: ignore[arg-type]


async def add_charter(
    repo: Repository,
    channel: str,
    created: datetime,
    *,
    weekday: int = 4,
    at: time = time(16, 0),
    tz: str = "Europe/Paris",
    target: int | None = 2,
    owners: tuple[str, ...] = ("UOWNER",),
    nudges: Nudges = Nudges(),
    language: str = "en",
    fields: tuple[str, ...] = (),
) -> Charter:
    await repo.upsert_channel(ChannelInfo(key=key(channel), name=channel.lower()))
    charter = Charter(
        channel=key(channel),
        purpose=f"{channel} produces solutions",
        owners=owners,
        types=(
            OutputType(
                key="solution",
                label="Problem solved",
                target=Target(count=target) if target else None,
                fields=tuple({"name": f} for f in fields),  # type: ignore[misc]
            ),
        ),
        schedule=Schedule(weekday=weekday, at=at),
        timezone=tz,
        language=language,
        nudges=nudges,
        created_at=created,
    )
    return await repo.save_charter(charter, "UOWNER", "test", created)


async def deliver(
    repo: Repository, channel: str, at: datetime, title: str = "Fix", *, draft: bool = False, by: str = "U1"
) -> None:
    n = next(_ids)
    await repo.capture(
        NewDeliverable(
            channel=key(channel),
            type="solution",
            message_id=f"msg{n}",
            thread_id=None,
            permalink=None,
            fields={},
            title=title,
            text=title,
            author_id=by,
            tagged_by=by,
            via=Via.COMMAND,
            status=Status.DRAFT if draft else Status.COMPLETE,
            created_at=at,
            completed_at=None if draft else at,
        )
    )


_ids = itertools.count(1)


class VirtualTime:
    """Time that passes only when every task is asleep: the fan-out's pacing, measured
    without waiting for it."""

    def __init__(self) -> None:
        self.t = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.t + max(0.0, seconds), next(self._seq), fut))
        await fut

    async def run(self, coro):  # type: ignore[no-untyped-def]
        task = asyncio.ensure_future(coro)
        while not task.done():
            for _ in range(50):  # let every runnable task reach its next sleep
                await asyncio.sleep(0)
            if self._sleepers and not task.done():
                wake, _, fut = heapq.heappop(self._sleepers)
                self.t = max(self.t, wake)
                fut.set_result(None)
        return task.result()
