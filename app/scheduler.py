"""The scheduler: APScheduler's AsyncIOScheduler as an alarm clock over our own tables.

Jobs carry only ids (`digest|slack|T1|C1`), live in APScheduler's memory store and are
rebuilt from the charters at start, when this process changes a charter
(`Services.on_charter_changed`) and on every resync tick (changes made by other replicas or by
`outputs-bot charter apply`). Nothing is pickled and there are no job-store tables.

A job firing decides nothing by itself: it wakes a *pass*, and the pass asks the tables what
is due (`digests.due`, `nudges.due_nudges`, `rollup.due_rollups`), claims each item
atomically and posts it through the fan-out. So a misfired, coalesced or doubled job can
neither drop nor repeat a digest: the next pass (at the latest the next tick, and always at
start) posts whatever is due, late and saying how many were missed.

Fire times come from `bot.periods`, the same arithmetic as the periods themselves
(`PeriodTrigger`): APScheduler 3's CronTrigger fires twice when the wall time repeats on the
autumn DST night (02:30 in Paris on the last Sunday of October), ours fires once per period.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Hashable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.charter import ChannelKey, Schedule
from bot.config import SchedulerSettings
from bot.context import Services
from bot.digests import Poster
from bot.fanout import Fanout, Pace
from bot.passes import PassReport, log_report, run_pass
from bot.periods import fire_time, period_at
from bot.rollup import rollup_targets

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0
_TINY = timedelta(microseconds=1)


class PeriodTrigger(BaseTrigger):
    """Fires at each end of a period of `schedule` in `timezone`, `days_before` local days
    earlier (the behind-target reminder), computed by `bot.periods`."""

    __slots__ = ("schedule", "timezone", "days_before")

    def __init__(self, schedule: Schedule, timezone: str, days_before: int = 0) -> None:
        self.schedule = schedule
        self.timezone = timezone
        self.days_before = days_before

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime:
        start = previous_fire_time + _TINY if previous_fire_time else now
        tz = ZoneInfo(self.timezone)
        period = period_at(self.schedule, tz, start)
        for p in (period, period_at(self.schedule, tz, period.end)):
            day = p.end.astimezone(tz).date() - timedelta(days=self.days_before)
            at = fire_time(day, self.schedule, tz)
            if at >= start:
                return at
        raise AssertionError("a period's end is always after its start")  # pragma: no cover

    def __str__(self) -> str:
        shift = f" - {self.days_before}d" if self.days_before else ""
        return f"period[{self.schedule} {self.timezone}{shift}]"


class Scheduler:
    """One per process. `start()` rebuilds the jobs and runs a catch-up pass at once."""

    def __init__(
        self,
        services: Services,
        poster: Poster,
        settings: SchedulerSettings | None = None,
        *,
        fanout: Fanout | None = None,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.services = services
        self.poster = poster
        self.settings = settings or SchedulerSettings()
        self.fanout = fanout or Fanout(Pace.from_settings(self.settings))
        self.tick_seconds = tick_seconds
        self.aps = AsyncIOScheduler(
            timezone=UTC,
            # Our passes catch up themselves; APScheduler must never skip a late alarm.
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )
        self._jobs: dict[str, Hashable] = {}  # job id → what it was built from
        self._lock = asyncio.Lock()
        self._resyncing = asyncio.Lock()
        self._again = False
        self._tasks: set[asyncio.Task[object]] = set()
        self.passes = 0
        self._unhook: Callable[[], None] | None = None

    async def start(self) -> None:
        self.aps.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
        self.aps.start()
        self._unhook = self.services.on_charter_changed(self._charter_changed)
        await self.resync()
        self.aps.add_job(
            self._tick, IntervalTrigger(seconds=self.tick_seconds), id="tick", next_run_time=datetime.now(UTC)
        )

    async def shutdown(self, grace: float = 10.0) -> None:
        """Stop the alarms, let a pass in flight finish for up to `grace` seconds, then cut it.

        A pass cut short leaves its claims to expire: another replica (or our next start)
        posts those digests after the lease.
        """
        if self._unhook is not None:
            self._unhook()
            self._unhook = None
        if self.aps.running:
            self.aps.shutdown(wait=False)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def resync(self) -> None:
        """Make the jobs match the tables: add new ones, replace changed ones, drop the rest."""
        async with self._resyncing:  # one at a time, so the last one to read wins
            await self._resync()

    async def _resync(self) -> None:
        wanted: dict[str, tuple[Hashable, BaseTrigger]] = {}
        charters = await self.services.repo.list_charters()
        for c in charters:
            ch = c.channel
            if ch.platform not in self.poster.platforms or c.schedule is None or not c.types:
                continue
            ids = f"{ch.platform}|{ch.workspace_id}|{ch.channel_id}"
            wanted[f"digest|{ids}"] = ((str(c.schedule), c.timezone), PeriodTrigger(c.schedule, c.timezone))
            if c.nudges.behind and c.nudges.behind_days_before:
                days = c.nudges.behind_days_before
                wanted[f"behind|{ids}"] = (
                    (str(c.schedule), c.timezone, days),
                    PeriodTrigger(c.schedule, c.timezone, days),
                )
        for channel, _, schedule, tz in await rollup_targets(self.services, charters, self.poster.platforms):
            wanted[f"rollup|{channel.platform}|{channel.workspace_id}|{channel.channel_id}"] = (
                (str(schedule), tz.key),
                PeriodTrigger(schedule, tz.key),
            )
        for job_id in set(self._jobs) - set(wanted):
            self.aps.remove_job(job_id)
            del self._jobs[job_id]
        for job_id, (fingerprint, trigger) in wanted.items():
            if self._jobs.get(job_id) == fingerprint:
                continue
            self.aps.add_job(
                self._alarm, trigger, args=job_id.split("|"), id=job_id, replace_existing=True
            )
            self._jobs[job_id] = fingerprint

    def _submitted(self, event: JobSubmissionEvent) -> None:
        # How late the alarm clock rang: a busy event loop or a long pass shows here first.
        if event.scheduled_run_times:
            lag = datetime.now(UTC) - min(event.scheduled_run_times)
            self.services.observer.scheduler_lag(max(0.0, lag.total_seconds()))

    def job_ids(self) -> list[str]:
        return sorted(self._jobs)

    async def run(self) -> PassReport | None:
        """One pass now; if a pass is already running, it runs once more when done instead."""
        if self._lock.locked():
            self._again = True
            return None
        async with self._lock:
            report = PassReport()
            self._again = True
            while self._again:
                self._again = False
                one = await run_pass(
                    self.services,
                    self.poster,
                    self.services.clock.now(),
                    fanout=self.fanout,
                    lease_seconds=self.settings.lease_seconds,
                )
                self.passes += 1
                report.digests += one.digests
                report.nudges += one.nudges
                report.rollups += one.rollups
            log_report(report)
            return report

    async def _alarm(self, kind: str, platform: str, workspace_id: str, channel_id: str) -> None:
        log.debug("%s alarm for %s/%s/%s", kind, platform, workspace_id, channel_id)
        await self._guarded(self.run())

    async def _tick(self) -> None:
        await self._guarded(self.resync())
        await self._guarded(self.run())

    async def _guarded(self, work: Coroutine[Any, Any, object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            # Shielded: APScheduler's shutdown cancels the job's coroutine, but a pass in
            # flight gets `shutdown`'s grace period to record what it posted.
            await asyncio.shield(task)
        except asyncio.CancelledError:
            return  # the job itself was cancelled (shutdown); `task` is `shutdown`'s business
        except Exception:  # a database hiccup must not kill the alarm; the next tick retries
            log.exception("scheduler pass failed")

    def _charter_changed(self, channel: ChannelKey) -> None:
        log.debug("charter of %s changed: resync", channel.channel_id)
        task = asyncio.ensure_future(self._guarded(self.resync()))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
