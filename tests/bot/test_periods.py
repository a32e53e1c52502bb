from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.charter import WEEKDAYS, Schedule
from bot.periods import (
    Period,
    fire_time,
    last_closed,
    month_start,
    next_fire,
    period_at,
    periods_back,
    periods_between,
)

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sched(day: str, hh: int, mm: int = 0) -> Schedule:
    return Schedule(weekday=WEEKDAYS.index(day), at=time(hh, mm))


def walk(schedule: Schedule, tz: ZoneInfo, start: datetime, weeks: int) -> list[Period]:
    out = [period_at(schedule, tz, start)]
    for _ in range(weeks - 1):
        out.append(period_at(schedule, tz, out[-1].end))
    return out


def assert_tiling(periods: list[Period], schedule: Schedule, tz: ZoneInfo) -> None:
    for a, b in zip(periods, periods[1:], strict=False):
        assert a.end == b.start  # no gap, no overlap
    for p in periods:
        assert p.start.tzinfo is UTC and p.end.tzinfo is UTC
        assert p.start < p.end
        assert abs(p.end - p.start - timedelta(days=7)) <= HOUR
        assert period_at(schedule, tz, p.start) == p
        assert period_at(schedule, tz, p.end - US) == p
        assert period_at(schedule, tz, p.end).start == p.end
        assert p.contains(p.start) and not p.contains(p.end)
        assert next_fire(schedule, tz, p.start) == p.end
        # the end is the schedule's fire time on the scheduled weekday (a gap may push it
        # past midnight, hence the day before is a candidate too)
        local_day = p.end.astimezone(tz).date()
        days = [local_day - timedelta(days=k) for k in (0, 1)]
        assert any(
            d.weekday() == schedule.weekday and fire_time(d, schedule, tz) == p.end for d in days
        )


# --- fire_time: the odd wall-clock cases ------------------------------------------------


def test_fire_time_plain() -> None:
    assert fire_time(date(2026, 1, 2), sched("fri", 16), PARIS) == utc(2026, 1, 2, 15)
    assert fire_time(date(2026, 7, 3), sched("fri", 16), PARIS) == utc(2026, 7, 3, 14)


def test_fire_time_in_spring_forward_gap_lands_after_the_gap() -> None:
    # Paris skips 02:00–03:00 on 2026-03-29: 02:30 "CET" is 01:30 UTC, i.e. 03:30 CEST.
    t = fire_time(date(2026, 3, 29), sched("sun", 2, 30), PARIS)
    assert t == utc(2026, 3, 29, 1, 30)
    assert t.astimezone(PARIS).strftime("%H:%M %Z") == "03:30 CEST"
    # New York skips 02:00–03:00 on 2026-03-08.
    assert fire_time(date(2026, 3, 8), sched("sun", 2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 30)


def test_fire_time_on_fall_back_takes_the_first_occurrence() -> None:
    # New York repeats 01:00–02:00 on 2026-11-01: the first 01:30 is EDT (05:30 UTC).
    assert fire_time(date(2026, 11, 1), sched("sun", 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    # Paris repeats 02:00–03:00 on 2026-10-25: the first 02:30 is CEST (00:30 UTC).
    assert fire_time(date(2026, 10, 25), sched("sun", 2, 30), PARIS) == utc(2026, 10, 25, 0, 30)


# --- weekly periods across the DST transitions of 2026 and 2027 -------------------------

TRANSITION_CASES = [
    (PARIS, sched("fri", 16)),
    (PARIS, sched("sun", 2, 30)),  # inside the spring gap and the autumn overlap
    (PARIS, sched("sun", 1, 30)),
    (PARIS, sched("mon", 0)),
    (NEW_YORK, sched("fri", 16)),
    (NEW_YORK, sched("sun", 2, 30)),  # inside the spring gap
    (NEW_YORK, sched("sun", 1, 30)),  # inside the autumn overlap
    (NEW_YORK, sched("sat", 23, 59)),
]


@pytest.mark.parametrize(("tz", "schedule"), TRANSITION_CASES, ids=str)
def test_weekly_periods_tile_across_dst_2026_2027(tz: ZoneInfo, schedule: Schedule) -> None:
    periods = walk(schedule, tz, utc(2026, 1, 1), weeks=110)  # through early 2028
    assert periods[-1].end > utc(2028, 1, 1)
    assert_tiling(periods, schedule, tz)
    lengths = {p.end - p.start for p in periods}
    assert timedelta(days=7) in lengths
    # Both DST shifts of both years happen inside some period, which is then 1 hour off.
    assert timedelta(days=7) - HOUR in lengths and timedelta(days=7) + HOUR in lengths


@pytest.mark.parametrize(("tz", "schedule"), TRANSITION_CASES, ids=str)
def test_every_instant_is_in_exactly_one_period(tz: ZoneInfo, schedule: Schedule) -> None:
    periods = walk(schedule, tz, utc(2026, 3, 1), weeks=12)
    periods += walk(schedule, tz, utc(2026, 10, 10), weeks=6)
    periods += walk(schedule, tz, utc(2027, 3, 1), weeks=6)
    periods += walk(schedule, tz, utc(2027, 10, 20), weeks=3)
    t = utc(2026, 3, 20)
    while t < utc(2026, 4, 10):  # every 10 minutes through the spring transitions
        owners = [p for p in periods if p.contains(t)]
        assert owners == [period_at(schedule, tz, t)]
        t += timedelta(minutes=10)
    for day in (utc(2026, 10, 24), utc(2026, 10, 31), utc(2027, 3, 13), utc(2027, 10, 30)):
        for minute in range(0, 3 * 24 * 60, 7):
            t = day + timedelta(minutes=minute)
            assert [p for p in periods if p.contains(t)] == [period_at(schedule, tz, t)]


def test_schedule_inside_gap_on_the_transition_sunday() -> None:
    s = sched("sun", 2, 30)
    spring = period_at(s, PARIS, utc(2026, 3, 28))
    assert spring.end == utc(2026, 3, 29, 1, 30)  # 03:30 CEST, the gap's far side
    assert spring.start == utc(2026, 3, 22, 1, 30)  # 02:30 CET a week earlier
    assert spring.end - spring.start == timedelta(days=7)
    after = period_at(s, PARIS, spring.end)
    assert after.end == utc(2026, 4, 5, 0, 30)  # 02:30 CEST
    assert after.end - after.start == timedelta(days=7) - HOUR


def test_schedule_on_fall_back_day_at_repeated_time() -> None:
    s = sched("sun", 1, 30)
    p = period_at(s, NEW_YORK, utc(2026, 11, 1, 5, 0))
    assert p.end == utc(2026, 11, 1, 5, 30)  # first 01:30 (EDT)
    t = utc(2026, 11, 1, 6, 30)  # the second 01:30 (EST) is inside the next period
    assert period_at(s, NEW_YORK, t).start == p.end
    assert period_at(s, NEW_YORK, t).end == utc(2026, 11, 8, 6, 30)


# --- many weeks in many timezones ----------------------------------------------------------

ZONES = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kolkata",  # +05:30, no DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/Santiago",  # DST transitions at midnight
    "UTC",
]
TIMES = [time(0, 0), time(1, 30), time(2, 0), time(2, 15), time(2, 45), time(16, 0), time(23, 59)]


@pytest.mark.parametrize("zone", ZONES)
def test_property_walk_many_weeks(zone: str) -> None:
    tz = ZoneInfo(zone)
    for weekday in range(7):
        for at in TIMES:
            schedule = Schedule(weekday=weekday, at=at)
            periods = walk(schedule, tz, utc(2025, 12, 20), weeks=120)
            assert_tiling(periods, schedule, tz)
            ends = [p.end for p in periods]
            assert ends == sorted(set(ends))  # fire times strictly increasing
            assert periods_between(schedule, tz, periods[0].start, periods[-1].end) == periods


# --- last_closed, periods_back, periods_between, month_start -------------------------------


def test_last_closed_on_exact_fire_instant() -> None:
    s = sched("fri", 16)
    fire = utc(2026, 6, 5, 14)  # Fri 16:00 CEST
    closed = last_closed(s, PARIS, fire)
    assert closed.end == fire
    assert closed.start == utc(2026, 5, 29, 14)
    assert last_closed(s, PARIS, fire - US).end == utc(2026, 5, 29, 14)
    assert last_closed(s, PARIS, fire + US) == closed
    assert period_at(s, PARIS, fire).start == fire


def test_periods_back() -> None:
    s = sched("fri", 16)
    p = period_at(s, PARIS, utc(2026, 4, 1))
    back = periods_back(s, PARIS, p, 8)
    assert len(back) == 8 and back[-1] == p
    assert all(a.end == b.start for a, b in zip(back, back[1:], strict=False))
    assert back[0].start == utc(2026, 2, 6, 15)  # before the March change: CET
    assert periods_back(s, PARIS, p, 1) == [p]
    assert periods_back(s, PARIS, p, 0) == []
    # a period from an older schedule is kept; history before it comes from the schedule
    odd = Period(p.start + HOUR, p.end + HOUR)
    assert periods_back(s, PARIS, odd, 3) == [*back[-3:-1], odd]


def test_periods_between() -> None:
    s = sched("mon", 9)
    start = utc(2026, 3, 2, 8)  # exactly Monday 09:00 CET: that period is not "between"
    end = utc(2026, 3, 30, 7)  # exactly Monday 09:00 CEST: included
    got = periods_between(s, PARIS, start, end)
    assert [p.end for p in got] == [
        utc(2026, 3, 9, 8),
        utc(2026, 3, 16, 8),
        utc(2026, 3, 23, 8),
        utc(2026, 3, 30, 7),
    ]
    assert got[0].start == start
    assert periods_between(s, PARIS, start, start + HOUR) == []
    assert periods_between(s, PARIS, end, start) == []
    assert periods_between(s, PARIS, end - US, end) == [got[-1]]


def test_month_start_across_dst() -> None:
    assert month_start(PARIS, utc(2026, 3, 31, 12)) == utc(2026, 2, 28, 23)  # CET midnight
    assert month_start(PARIS, utc(2026, 4, 15)) == utc(2026, 3, 31, 22)  # CEST midnight
    assert month_start(PARIS, utc(2026, 3, 31, 22)) == utc(2026, 3, 31, 22)  # exactly
    assert month_start(PARIS, utc(2026, 3, 31, 21, 59)) == utc(2026, 2, 28, 23)
    assert month_start(NEW_YORK, utc(2026, 11, 1, 3)) == utc(2026, 10, 1, 4)  # still Oct 31 local
    assert month_start(NEW_YORK, utc(2026, 11, 15)) == utc(2026, 11, 1, 4)  # EDT on the 1st
    assert month_start(NEW_YORK, utc(2026, 12, 15)) == utc(2026, 12, 1, 5)  # EST
    assert month_start(ZoneInfo("UTC"), utc(2026, 1, 1)) == utc(2026, 1, 1)
    assert month_start(PARIS, utc(2026, 4, 15)).tzinfo is UTC


def test_results_are_utc_whatever_the_input_zone() -> None:
    s = sched("fri", 16)
    local = datetime(2026, 6, 3, 12, tzinfo=NEW_YORK)
    assert period_at(s, PARIS, local) == period_at(s, PARIS, local.astimezone(UTC))
    assert period_at(s, PARIS, local).end.tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        period_at(sched("fri", 16), PARIS, datetime(2026, 1, 1))
