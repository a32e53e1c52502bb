"""Posting many messages politely: bounded concurrency, a pace per workspace and per
conversation, and a platform's 429 Retry-After honoured.

Slots are handed out by spacing, not by bursts: a workspace paced at 3/s gets one send every
1/3 s, so N messages take N / pace seconds and never trip the platform's own limiter. A
poster that is told "429, retry after r" raises `RateLimited(r)`; the fan-out then holds the
whole workspace back for r seconds (that is what Retry-After asks) and sends the same message
again. Anything else a poster raises ends that one message as failed, with the reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from bot.charter import ChannelKey
from bot.config import SchedulerSettings

T = TypeVar("T")


class RateLimited(Exception):
    """Raised by a platform poster when the platform answered 429 with Retry-After."""

    def __init__(self, retry_after: float, detail: str = "rate limited") -> None:
        super().__init__(f"{detail} (retry after {retry_after:g} s)")
        self.retry_after = max(0.0, float(retry_after))


@dataclass(frozen=True)
class Pace:
    """How fast to post. Platforms missing from `per_workspace` are not paced (the console)."""

    per_workspace: Mapping[str, float] = field(default_factory=dict)  # platform → messages/s
    per_channel: float = 1.0
    concurrency: int = 8
    max_rate_limited: int = 5  # 429s one message may get before it is given up as failed

    @classmethod
    def from_settings(cls, s: SchedulerSettings) -> Pace:
        return cls(
            per_workspace={"slack": s.slack_rate_per_second, "teams": s.teams_rate_per_second},
            per_channel=s.channel_rate_per_second,
            concurrency=s.concurrency,
        )


UNPACED = Pace(concurrency=8)


@dataclass(frozen=True)
class Delivery:
    message_id: str | None
    error: str | None = None
    rate_limited: int = 0  # how many 429s it met on the way

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Posted:
    """A roll-up or nudge that was claimed and sent (or failed): for logs and the console."""

    kind: str
    channel: ChannelKey
    user_id: str | None  # the person a private message went to
    delivery: Delivery
    text: str


class Fanout:
    """One per process (the pace holds across passes); `clock`/`sleep` are injectable so a
    benchmark or test can run it on virtual time."""

    def __init__(
        self,
        pace: Pace = UNPACED,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.pace = pace
        self._clock = clock
        self._sleep = sleep
        self._next: dict[tuple[str, ...], float] = {}  # pacing key → earliest next send
        self._slots = asyncio.Semaphore(pace.concurrency)

    async def run(self, jobs: Iterable[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run every job, at most `concurrency` at once; results in the jobs' order."""

        async def bounded(job: Callable[[], Awaitable[T]]) -> T:
            async with self._slots:
                return await job()

        return list(await asyncio.gather(*(bounded(j) for j in jobs)))

    async def send(
        self, platform: str, workspace_id: str, conversation: str, post: Callable[[], Awaitable[str]]
    ) -> Delivery:
        """Wait for a slot in the workspace and the conversation, then `post()`; retry on 429."""
        rate = self.pace.per_workspace.get(platform)
        ws_key, conv_key = (platform, workspace_id), (platform, workspace_id, conversation)
        limited = 0
        while True:
            if rate is not None:
                await self._wait_slot(ws_key, rate, conv_key)
            try:
                return Delivery(await post(), rate_limited=limited)
            except RateLimited as exc:
                limited += 1
                if limited > self.pace.max_rate_limited:
                    return Delivery(None, f"gave up after {limited} rate limits: {exc}", limited)
                resume = self._clock() + exc.retry_after
                for k in (ws_key, conv_key):
                    self._next[k] = max(self._next.get(k, 0.0), resume)
                if rate is None:
                    await self._sleep(exc.retry_after)
            except Exception as exc:  # one channel's platform error never stops the others
                return Delivery(None, f"{type(exc).__name__}: {exc}"[:500], limited)

    async def _wait_slot(self, ws_key: tuple[str, ...], rate: float, conv_key: tuple[str, ...]) -> None:
        # First wait for the conversation without holding a workspace slot (others may use
        # it meanwhile), then reserve both at once (no await in between) and sleep to it.
        while (conv_at := self._next.get(conv_key, 0.0)) > (now := self._clock()):
            await self._sleep(conv_at - now)
        at = max(now, self._next.get(ws_key, 0.0))
        self._next[ws_key] = at + 1.0 / rate
        self._next[conv_key] = at + 1.0 / self.pace.per_channel
        if at > now:
            await self._sleep(at - now)
