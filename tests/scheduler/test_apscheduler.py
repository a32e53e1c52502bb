"""The real AsyncIOScheduler: one job per charter, rebuilt on change, and an alarm that posts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

from app.scheduler import Scheduler
from bot.config import SchedulerSettings
from bot.periods import next_fire
from tests.engine.harness import ADMIN, Dialog
from tests.scheduler.helpers import Clock, RecordingPoster, add_charter, services

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
HOUR = 3600.0


async def test_one_job_per_charter_at_its_own_time_and_an_alarm_that_posts(repo):
    c = await add_charter(repo, "C1", MONDAY, weekday=0, at=time(9, 30), tz="America/New_York")
    clock = Clock(MONDAY)  # before the first digest: the start-up pass has nothing to do
    poster = RecordingPoster()
    s = Scheduler(services(repo, clock), poster, SchedulerSettings(), tick_seconds=HOUR)
    await s.start()
    try:
        assert s.job_ids() == ["behind|test|W1|C1", "digest|test|W1|C1"]
        job = s.aps.get_job("digest|test|W1|C1")
        assert job.args == ("digest", "test", "W1", "C1")  # ids only
        now = datetime.now(UTC)
        assert job.next_run_time == next_fire(c.schedule, c.tz, now)
        assert job.next_run_time.astimezone(c.tz).time() == time(9, 30)
        assert job.misfire_grace_time is None and job.coalesce
        # Time passes to the digest; the alarm rings (now, instead of next Monday).
        clock.set(next_fire(c.schedule, c.tz, MONDAY))
        job.modify(next_run_time=datetime.now(UTC))
        s.aps.wakeup()
        await asyncio.wait_for(poster.got.wait(), 10)
    finally:
        await s.shutdown()  # lets the pass in flight record its outcome
    [(reply, channel)] = poster.sent
    assert reply.kind == "digest" and channel.channel_id == "C1"
    [run] = await repo.digest_runs()
    assert run.status == "sent" and run.period_end == clock.now()


async def test_charter_changes_reach_the_jobs(repo):
    d = Dialog(repo, now=MONDAY)
    await d.setup_charter()  # Friday 16:00 Paris
    s = Scheduler(d.engine.services, RecordingPoster(), SchedulerSettings(), tick_seconds=HOUR)
    await s.start()
    try:
        job = s.aps.get_job("digest|test|W1|C1")
        assert str(job.trigger) == "period[fri 16:00 Europe/Paris]"
        await d.text(ADMIN, "schedule mon 09:00 Asia/Tokyo")
        for _ in range(100):  # the hook resyncs in a task of its own
            await asyncio.sleep(0.01)
            if str(s.aps.get_job("digest|test|W1|C1").trigger) != str(job.trigger):
                break
        assert str(s.aps.get_job("digest|test|W1|C1").trigger) == "period[mon 09:00 Asia/Tokyo]"
        await d.text(ADMIN, "rollup here")
        await d.text(ADMIN, "schedule off")
        for _ in range(100):
            await asyncio.sleep(0.01)
            if "digest|test|W1|C1" not in s.job_ids():
                break
        assert s.job_ids() == ["rollup|test|W1|C1"]  # no schedule: no digest; the roll-up stays
        await d.text(ADMIN, "rollup off")
        for _ in range(100):
            await asyncio.sleep(0.01)
            if not s.job_ids():
                break
        assert s.job_ids() == []
    finally:
        await s.shutdown()
    d.engine.services.charter_changed(d.info().key)
    assert not s._tasks  # unhooked after shutdown: a change starts no resync


async def test_catch_up_runs_on_start_even_with_no_alarm_left(repo):
    await add_charter(repo, "C1", MONDAY)
    clock = Clock(FRIDAY + timedelta(weeks=2, hours=3))
    poster = RecordingPoster()
    s = Scheduler(services(repo, clock), poster, SchedulerSettings(), tick_seconds=HOUR)
    await s.start()
    try:
        await asyncio.wait_for(poster.got.wait(), 10)
    finally:
        await s.shutdown()
    [(reply, _)] = poster.of_kind("digest")
    assert "Posted late" in reply.text and "2 earlier digests were missed" in reply.text
