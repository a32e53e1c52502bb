"""Period arithmetic: the window a digest covers, in the charter's timezone.

A period runs from one scheduled digest time to the next. Fire times are computed from
local *dates* (the scheduled weekday, at the scheduled wall-clock time), so two neighbouring
periods share the very same boundary instant and the periods tile time without gap or
overlap, whatever DST does in between. Everything going in and out is an aware datetime;
everything coming out is in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.charter import Schedule

WEEK = timedelta(days=7)
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; the digest for this period is posted at `end`."""

    start: datetime
    end: datetime

    def contains(self, t: datetime) -> bool:
        return self.start <= _aware(t) < self.end

    def __str__(self) -> str:
        return f"{self.start.isoformat()} → {self.end.isoformat()}"


def fire_time(local_day: date, schedule: Schedule, tz: ZoneInfo) -> datetime:
    """The UTC instant of the digest on `local_day` at `schedule.at`, local time.

    `fold=0` decides the odd cases, as the spec asks: a wall time skipped by a spring-forward
    gap is read with the offset in force before the gap (02:30 CET on the transition night is
    01:30 UTC, i.e. 03:30 CEST), and a repeated fall-back time means its first occurrence.
    """
    local = datetime.combine(local_day, schedule.at.replace(tzinfo=None, fold=0), tzinfo=tz)
    return local.astimezone(UTC)


def period_at(schedule: Schedule, tz: ZoneInfo, t: datetime) -> Period:
    """The period with start <= t < end."""
    day = _end_day(schedule, tz, _aware(t))
    return _period_ending(day, schedule, tz)


def next_fire(schedule: Schedule, tz: ZoneInfo, t: datetime) -> datetime:
    """The first fire time strictly after `t`."""
    return period_at(schedule, tz, t).end


def last_closed(schedule: Schedule, tz: ZoneInfo, now: datetime) -> Period:
    """The most recent period whose end <= now (one ending exactly at `now` is closed)."""
    day = _end_day(schedule, tz, _aware(now)) - WEEK
    return _period_ending(day, schedule, tz)


def periods_back(schedule: Schedule, tz: ZoneInfo, period: Period, n: int) -> list[Period]:
    """`n` consecutive periods ending with `period`, oldest first (sparklines, trends).

    `period` is kept as given; the earlier ones are the schedule's periods closed by
    `period.start`. They meet `period` exactly unless the schedule changed since `period`
    was computed, and then history is still shown rather than refused.
    """
    if n <= 0:
        return []
    day = _end_day(schedule, tz, _aware(period.start)) - WEEK
    earlier = [_period_ending(day - k * WEEK, schedule, tz) for k in reversed(range(n - 1))]
    return [*earlier, period]


def periods_between(
    schedule: Schedule, tz: ZoneInfo, start: datetime, end: datetime
) -> list[Period]:
    """Every period whose end lies in (start, end], oldest first: the digests due since `start`."""
    start, end = _aware(start), _aware(end)
    out: list[Period] = []
    day = _end_day(schedule, tz, start)
    while (p := _period_ending(day, schedule, tz)).end <= end:
        out.append(p)
        day += WEEK
    return out


def month_start(tz: ZoneInfo, t: datetime) -> datetime:
    """The UTC instant of local midnight on the 1st of the (local) month containing `t`."""
    local = _aware(t).astimezone(tz)
    first = datetime(local.year, local.month, 1, tzinfo=tz)
    return first.astimezone(UTC)


def _period_ending(day: date, schedule: Schedule, tz: ZoneInfo) -> Period:
    return Period(fire_time(day - WEEK, schedule, tz), fire_time(day, schedule, tz))


def _end_day(schedule: Schedule, tz: ZoneInfo, t: datetime) -> date:
    """The scheduled local day D with fire(D - 7 days) <= t < fire(D)."""
    local = t.astimezone(tz).date()
    day = local - timedelta(days=(local.weekday() - schedule.weekday) % 7)
    # `day` is this local week's fire day; a gap shift of a few hours can move the instant
    # but never by a week, so at most one step either way is needed.
    while fire_time(day, schedule, tz) <= t:
        day += WEEK
    while fire_time(day - WEEK, schedule, tz) > t:
        day -= WEEK
    return day


def _aware(t: datetime) -> datetime:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()}: periods need aware datetimes")
    return t
