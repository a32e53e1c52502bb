"""100 simulated weeks across both DST transitions: exactly one digest per channel and period."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from app.scheduler import PeriodTrigger
from bot.passes import run_pass
from bot.periods import periods_between
from tests.scheduler.helpers import Clock, RecordingPoster, add_charter, services

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday; 100 weeks reach December 2027
WEEKS = 100
SUNDAY = 6  # every transition in both zones falls on a Sunday
TRANSITION_FIRES = {
    # 02:30 does not exist on spring nights: read with the offset before the gap.
    ("Europe/Paris", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 3, 8, 7, 30, tzinfo=UTC)),
    # 02:30 happens twice in Paris on the autumn night: the first one, once.
    ("Europe/Paris", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, 7, 30, tzinfo=UTC)),
    ("Europe/Paris", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
    ("Europe/Paris", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),
    ("America/New_York", datetime(2027, 3, 14, 7, 30, tzinfo=UTC)),
    ("America/New_York", datetime(2027, 11, 7, 7, 30, tzinfo=UTC)),
}


async def test_hundred_weeks_one_digest_per_channel_and_period(repo):
    clock = Clock(START)
    svc = services(repo, clock)
    poster = RecordingPoster()
    zones = {"paris": "Europe/Paris", "newyork": "America/New_York"}
    charters = {
        name: await add_charter(repo, name, START, weekday=SUNDAY, at=time(2, 30), tz=tz)
        for name, tz in zones.items()
    }

    # The alarms, as APScheduler computes them from our trigger, for the whole stretch.
    end = START + timedelta(weeks=WEEKS)
    fires: set[tuple[str, datetime]] = set()
    for c in charters.values():
        trigger, previous = PeriodTrigger(c.schedule, c.timezone), None
        while (at := trigger.get_next_fire_time(previous, START if previous is None else previous)) <= end:
            fires.add((c.timezone, at))
            previous = at
    assert fires >= TRANSITION_FIRES

    # A scheduler's life: a pass an hour before each alarm (a tick), at the alarm, and a
    # doubled alarm half an hour later (another replica, a coalesced misfire).
    shifts = (timedelta(hours=-1), timedelta(0), timedelta(minutes=30))
    moments = sorted({t + d for _, t in fires for d in shifts})
    for moment in moments:
        clock.set(moment)
        await run_pass(svc, poster, moment)

    runs = await repo.digest_runs()
    for name, c in charters.items():
        expected = [p.end for p in periods_between(c.schedule, c.tz, START, end)]
        got = sorted(r.period_end for r in runs if r.channel.channel_id == name)
        assert got == expected, name
        assert len(expected) == WEEKS
        assert poster.digests_per_channel()[name] == WEEKS
        ours = [r for r in runs if r.channel.channel_id == name]
        assert all(r.status == "sent" and not r.late for r in ours)
        # nothing was produced and the target is 2/week: one reminder per period, never two
        nudges = poster.of_kind("nudge")
        reminders = [r for r, ch in nudges if ch.channel_id == name and r.audience == "channel"]
        assert len(reminders) == WEEKS
    texts = [r.text for r, ch in poster.of_kind("digest")]
    assert not any("Posted late" in t or "missed" in t for t in texts)
