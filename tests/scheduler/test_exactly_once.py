"""Several replicas on one database, a replica killed after its claim, catch-up after downtime."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from app.scheduler import Scheduler
from bot.config import SchedulerSettings
from storage.database import Database
from storage.repository import SqlRepository
from tests.scheduler.helpers import Clock, RecordingPoster, add_charter, services

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 16:00 in Paris: the digest time
FAST = SchedulerSettings(slack_rate_per_second=1000, teams_rate_per_second=1000)


async def test_three_replicas_firing_together_post_once_per_channel(db, repo):
    channels = [f"C{i}" for i in range(12)]
    for ch in channels:
        await add_charter(repo, ch, MONDAY)
    poster = RecordingPoster()
    clock = Clock(FRIDAY)
    handles = [Database(db.url) for _ in range(3)]
    try:
        replicas = [Scheduler(services(SqlRepository(h), clock), poster, FAST) for h in handles]
        reports = await asyncio.gather(*(r.run() for r in replicas))
    finally:
        for h in handles:
            await h.dispose()
    assert poster.digests_per_channel() == {ch: 1 for ch in channels}
    statuses = [o.status for rep in reports if rep for o in rep.digests]
    # a replica that read the runs after the others finished does not even try
    assert statuses.count("sent") == 12 and set(statuses) <= {"sent", "skipped"}
    runs = await repo.digest_runs()
    assert len(runs) == 12 and {r.status for r in runs} == {"sent"}
    assert sorted(r.message_id for r in runs) == sorted(f"m{i}" for i in range(1, 13))


async def test_a_replica_killed_after_its_claim_is_covered_after_the_lease(db, repo):
    await add_charter(repo, "C1", MONDAY)
    clock = Clock(FRIDAY)
    dying = RecordingPoster(block=True)
    a = Scheduler(services(repo, clock), dying, FAST)
    doomed = asyncio.ensure_future(a.run())
    await asyncio.wait_for(dying.started.wait(), 10)  # claimed, and in the middle of posting
    doomed.cancel()  # the process is killed: no finish, the claim stays
    [run] = await repo.digest_runs()
    assert run.status == "claimed"

    survivor = RecordingPoster()
    other = Database(db.url)
    try:
        b = Scheduler(services(SqlRepository(other), clock), survivor, FAST)
        clock.advance(seconds=FAST.lease_seconds - 1)  # the lease still holds: hands off
        await b.run()
        assert survivor.sent == []
        clock.advance(seconds=2)  # lease expired: exactly one taker posts it
        await asyncio.gather(b.run(), Scheduler(services(SqlRepository(other), clock), survivor, FAST).run())
    finally:
        await other.dispose()
    assert survivor.digests_per_channel() == {"C1": 1} and dying.sent == []
    [run] = await repo.digest_runs()
    assert run.status == "sent" and run.message_id == "m1"
    [(reply, _)] = survivor.sent
    assert "What we produced" in reply.text


async def test_catch_up_after_downtime_posts_only_the_newest_late(repo):
    await add_charter(repo, "C1", MONDAY)
    clock = Clock(MONDAY)
    poster = RecordingPoster()
    s = Scheduler(services(repo, clock), poster, FAST)
    await s.run()
    assert poster.sent == []
    clock.set(FRIDAY + timedelta(weeks=3, days=1))  # down for three digests and a day
    await s.run()
    [(reply, _)] = poster.of_kind("digest")
    assert "Posted late" in reply.text and "3 earlier digests were missed" in reply.text
    [run] = await repo.digest_runs()
    assert run.late and run.period_end == FRIDAY + timedelta(weeks=3)
    await s.run()
    assert len(poster.of_kind("digest")) == 1


async def test_start_catches_up_at_once_and_failures_keep_their_reason(repo):
    await add_charter(repo, "C1", MONDAY)
    await add_charter(repo, "C2", MONDAY)
    clock = Clock(FRIDAY + timedelta(hours=2))
    poster = RecordingPoster(fail_on={"C2"})
    s = Scheduler(services(repo, clock), poster, FAST)
    await s.start()
    try:
        await asyncio.wait_for(poster.got.wait(), 10)  # the start-up pass, on the real loop
        for _ in range(200):
            if {r.status for r in await repo.digest_runs()} <= {"sent", "failed"}:
                break
            await asyncio.sleep(0.05)
    finally:
        await s.shutdown()
    runs = {r.channel.channel_id: r for r in await repo.digest_runs()}
    assert runs["C1"].status == "sent" and runs["C1"].late
    assert runs["C2"].status == "failed" and "channel_not_found" in (runs["C2"].error or "")
