"""The directory and the dashboard's facts: which channels produce what, and how they stand.

Engine queries, read by the `channels` command and by the web dashboard alike, so that both
show the same thing to the same person. Who may see a channel is one rule (docs/rules.md,
rule 12): a public channel, anyone in its workspace; a private one, its members only; a
channel whose privacy is not known is private.

Each query reads a whole workspace in a fixed number of statements, however many channels
it has: the charters (with their channels' stored facts) in one, then every channel's
counts in one (`Repository.completed_counts`).

A quarter is cut in UTC: one report, one span, the same for every channel, so that its
totals add up across channels; each channel's chart still shows its own digest periods
(those ending in the quarter).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.charter import ChannelKey, Charter, OutputType
from bot.context import Services
from bot.deliverable import Deliverable, Status
from bot.periods import Period, month_start, period_at, periods_back, periods_between
from bot.ports import ChannelInfo, CharteredChannel, CountWindow, Gateway

# How many periods the dashboard's charts show.
CHART_PERIODS = 12
# Membership questions asked of the platform at once: a workspace of many private channels
# must not become a burst against its rate limits.
MEMBERSHIP_CHECKS = 8
NOTABLE = 5  # deliverables a quarter report shows per channel
CONTRIBUTORS = 10  # people a quarter report names per channel
# The month-so-far window's bucket, beside the periods' own (0..n-1)
_MONTH = -1
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Viewer:
    """One person reading: their workspace, and the private channels they are a member of.

    `private_channels` is what the platform said when it was asked (at sign-in for the
    dashboard, when the command runs in chat); a channel it did not confirm is not in it.
    """

    platform: str
    workspace_id: str
    user_id: str
    language: str
    private_channels: frozenset[str] = frozenset()

    def may_see(self, channel: ChannelInfo) -> bool:
        if (channel.key.platform, channel.key.workspace_id) != (self.platform, self.workspace_id):
            return False
        return not channel.is_private or channel.key.channel_id in self.private_channels


@dataclass(frozen=True)
class TypeStanding:
    """One declared output type: its target and what was produced against it."""

    type: OutputType
    # Complete deliverables of this type in the target's window now: this digest period for a
    # weekly target (or no target), this calendar month (charter's timezone) for a monthly one.
    produced: int
    # Complete deliverables of this type in each of `ChannelStanding.periods`, oldest first.
    history: tuple[int, ...]

    @property
    def met(self) -> bool | None:
        """None when no target is declared."""
        t = self.type.target
        return None if t is None else self.produced >= t.count


@dataclass(frozen=True)
class ChannelStanding:
    """A channel with a charter, as the directory and the overview show it."""

    channel: ChannelInfo
    charter: Charter
    period: Period  # this digest period
    periods: tuple[Period, ...]  # the last CHART_PERIODS digest periods, oldest first (or fewer)
    types: tuple[TypeStanding, ...]  # the charter's declared types, in its order

    @property
    def produced(self) -> int:
        """Complete deliverables of every type this digest period."""
        return sum(h.history[-1] for h in self.types if h.history)

    @property
    def produced_by_period(self) -> tuple[int, ...]:
        return tuple(sum(col) for col in zip(*(h.history for h in self.types), strict=True)) or tuple(
            0 for _ in self.periods
        )

    @property
    def declared_per_period(self) -> float:
        """Weekly targets, plus monthly ones spread over the weeks (×12/52)."""
        total = 0.0
        for h in self.types:
            t = h.type.target
            if t is not None:
                total += t.count if t.per == "week" else t.count * 12 / 52
        return total

    @property
    def produced_nothing(self) -> bool:
        """Nothing complete in any of the periods shown."""
        return not any(self.produced_by_period)


@dataclass(frozen=True)
class DeliverableFilter:
    type: str | None = None
    status: Status | None = None
    period: Period | None = None  # bounds created_at
    words: str = ""


@dataclass(frozen=True)
class ChannelPage:
    standing: ChannelStanding
    deliverables: tuple[Deliverable, ...]  # newest first, at most the limit asked
    total: int  # how many match the filter in all


@dataclass(frozen=True)
class ChannelQuarter:
    standing: ChannelStanding  # `periods` are the quarter's digest periods
    produced: dict[str, int]  # type key → complete deliverables completed in the quarter
    declared: dict[str, int]  # type key → what its target asks over the quarter (types with one)
    notable: tuple[Deliverable, ...]  # a few, most tagged first
    contributors: tuple[tuple[str, int], ...]  # (user id, complete deliverables), most first


@dataclass(frozen=True)
class QuarterReport:
    year: int
    quarter: int  # 1..4
    start: datetime  # UTC
    end: datetime  # UTC, exclusive
    channels: tuple[ChannelQuarter, ...]


def channel_of(found: CharteredChannel) -> ChannelInfo:
    """The channel's stored facts; none stored means its privacy is not known: private."""
    if found.channel is not None:
        return found.channel
    return ChannelInfo(key=found.charter.channel, is_private=True, privacy_known=False)


async def private_memberships(
    services: Services, gateway: Gateway, platform: str, workspace_id: str, user_id: str
) -> frozenset[str]:
    """The private channels with a charter in the workspace that `user_id` is a member of.

    The platform is asked channel by channel, a few at a time. As for `search`, its "no"
    and any answer it could not read are "not a member" (the gateway decides that), and a
    fault that may pass is raised, so that the inbox runs the request again instead of
    quietly showing less."""
    found = await services.repo.chartered_channels(platform, workspace_id)
    private = [c.charter.channel for c in found if channel_of(c).is_private]
    turns = asyncio.Semaphore(MEMBERSHIP_CHECKS)

    async def member(key: ChannelKey) -> bool:
        async with turns:
            return await gateway.is_member(key, user_id)

    tasks = [asyncio.ensure_future(member(key)) for key in private]
    try:
        answers = await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:  # one fault decides the answer: the other questions are moot
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return frozenset(key.channel_id for key, yes in zip(private, answers, strict=True) if yes)


def _periods(charter: Charter, now: datetime, n: int) -> list[Period]:
    schedule, tz = charter.effective_schedule, charter.tz
    return periods_back(schedule, tz, period_at(schedule, tz, now), max(1, n))


def _windows(charter: Charter, periods: list[Period]) -> list[CountWindow]:
    """Each period, and for a monthly target the month so far, as bot/digest.py counts it."""
    cid = charter.channel.channel_id
    windows = [CountWindow(cid, i, p.start, p.end) for i, p in enumerate(periods)]
    if any(t.target is not None and t.target.per == "month" for t in charter.types):
        last = periods[-1]
        # a period that straddles two months also counts its own days, as the digest does
        month = min(month_start(charter.tz, last.end - _TICK), last.start)
        windows.append(CountWindow(cid, _MONTH, month, last.end))
    return windows


def _standing(
    info: ChannelInfo, charter: Charter, periods: list[Period], counts: dict[tuple[str, int], dict[str, int]]
) -> ChannelStanding:
    cid = charter.channel.channel_id
    types = []
    for t in charter.types:
        history = tuple(counts.get((cid, i), {}).get(t.key, 0) for i in range(len(periods)))
        produced = history[-1]
        if t.target is not None and t.target.per == "month":
            produced = counts.get((cid, _MONTH), {}).get(t.key, 0)
        types.append(TypeStanding(type=t, produced=produced, history=history))
    return ChannelStanding(
        channel=info, charter=charter, period=periods[-1], periods=tuple(periods), types=tuple(types)
    )


def _visible(viewer: Viewer, found: list[CharteredChannel]) -> list[tuple[ChannelInfo, Charter]]:
    seen = [(channel_of(c), c.charter) for c in found]
    return [(info, charter) for info, charter in seen if viewer.may_see(info)]


def _by_name(s: ChannelStanding) -> tuple[str, str]:
    return ((s.channel.name or s.channel.key.channel_id).casefold(), s.channel.key.channel_id)


async def directory(
    services: Services, viewer: Viewer, words: str = "", periods: int = 1
) -> list[ChannelStanding]:
    """Every chartered channel `viewer` may see, by name; with `words`, those whose purpose
    or types' keys, labels or descriptions hold all of them. Each type's history holds
    `periods` digest periods, this one last. Two statements, however many channels."""
    repo = services.repo
    found = await repo.chartered_channels(viewer.platform, viewer.workspace_id, words=words)
    visible = _visible(viewer, found)
    now = services.clock.now()
    spans = {charter.channel.channel_id: _periods(charter, now, periods) for _, charter in visible}
    windows = [w for _, c in visible for w in _windows(c, spans[c.channel.channel_id])]
    counts = await repo.completed_counts(viewer.platform, viewer.workspace_id, windows)
    standings = [_standing(info, c, spans[c.channel.channel_id], counts) for info, c in visible]
    return sorted(standings, key=_by_name)


async def overview(services: Services, viewer: Viewer, words: str = "") -> list[ChannelStanding]:
    """The dashboard's overview: the directory with a chart's worth of history."""
    return await directory(services, viewer, words, periods=CHART_PERIODS)


async def visible_charter(services: Services, viewer: Viewer, channel_id: str) -> Charter | None:
    """The charter of `channel_id` when `viewer` may see the channel; None alike when it has
    none or they may not, so that the answer does not reveal which. One statement."""
    repo = services.repo
    found = await repo.chartered_channels(viewer.platform, viewer.workspace_id, channel_id=channel_id)
    visible = _visible(viewer, found)
    return visible[0][1] if visible else None


async def channel_page(
    services: Services, viewer: Viewer, channel_id: str, flt: DeliverableFilter, limit: int = 200
) -> ChannelPage | None:
    """One channel's standing and deliverables (newest first); None when it has no charter
    or `viewer` may not see it, alike, so that the answer does not reveal which.
    Three statements."""
    repo = services.repo
    found = await repo.chartered_channels(viewer.platform, viewer.workspace_id, channel_id=channel_id)
    visible = _visible(viewer, found)
    if not visible:
        return None
    info, charter = visible[0]
    periods = _periods(charter, services.clock.now(), CHART_PERIODS)
    counts = await repo.completed_counts(viewer.platform, viewer.workspace_id, _windows(charter, periods))
    statuses = [flt.status] if flt.status is not None else [Status.DRAFT, Status.COMPLETE]
    rows, total = await repo.deliverables_page(
        charter.channel,
        statuses=statuses,
        type=flt.type,
        since=flt.period.start if flt.period else None,
        until=flt.period.end if flt.period else None,
        words=flt.words,
        limit=limit,
    )
    return ChannelPage(
        standing=_standing(info, charter, periods, counts), deliverables=tuple(rows), total=total
    )


def quarter_bounds(year: int, quarter: int) -> tuple[datetime, datetime]:
    """[start, end) of a calendar quarter, in UTC."""
    if not 1 <= quarter <= 4:
        raise ValueError(f"a quarter is 1 to 4, not {quarter}")
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
    end = (
        datetime(year + 1, 1, 1, tzinfo=UTC)
        if quarter == 4
        else datetime(year, 3 * quarter + 1, 1, tzinfo=UTC)
    )
    return start, end


def _quarter_periods(charter: Charter, start: datetime, end: datetime) -> list[Period]:
    """The digest periods ending in the quarter: the digests it saw."""
    schedule, tz = charter.effective_schedule, charter.tz
    return periods_between(schedule, tz, start, end) or [period_at(schedule, tz, start)]


def declared_over(t: OutputType, periods: int) -> int | None:
    """What a type's target asks over a quarter of `periods` digest periods (None: no target)."""
    if t.target is None:
        return None
    return t.target.count * (periods if t.target.per == "week" else 3)


async def quarter_report(services: Services, viewer: Viewer, year: int, quarter: int) -> QuarterReport:
    """Every chartered channel `viewer` may see, over a calendar quarter cut in UTC: per type
    what was completed in it and what the targets asked (a weekly target times the digest
    periods ending in it, a monthly one times 3), the most tagged deliverables and the
    contributors. Four statements, however many channels."""
    start, end = quarter_bounds(year, quarter)
    repo, platform, workspace = services.repo, viewer.platform, viewer.workspace_id
    visible = _visible(viewer, await repo.chartered_channels(platform, workspace))
    spans = {c.channel.channel_id: _quarter_periods(c, start, end) for _, c in visible}
    windows = [w for _, c in visible for w in _windows(c, spans[c.channel.channel_id])]
    counts = await repo.completed_counts(platform, workspace, windows)
    whole = [CountWindow(c.channel.channel_id, 0, start, end) for _, c in visible]
    facts = await repo.quarter_facts(platform, workspace, whole, notable=NOTABLE, contributors=CONTRIBUTORS)
    channels = []
    for info, c in visible:
        cid, periods = c.channel.channel_id, spans[c.channel.channel_id]
        produced = {t.key: 0 for t in c.types} | facts.produced.get(cid, {})
        declared = {t.key: n for t in c.types if (n := declared_over(t, len(periods))) is not None}
        channels.append(
            ChannelQuarter(
                standing=_standing(info, c, periods, counts),
                produced=produced,
                declared=declared,
                notable=tuple(facts.notable.get(cid, ())),
                contributors=tuple(facts.contributors.get(cid, ())),
            )
        )
    channels.sort(key=lambda q: _by_name(q.standing))
    return QuarterReport(year=year, quarter=quarter, start=start, end=end, channels=tuple(channels))


__all__ = [
    "CHART_PERIODS",
    "channel_of",
    "channel_page",
    "declared_over",
    "directory",
    "overview",
    "private_memberships",
    "quarter_bounds",
    "quarter_report",
    "ChannelKey",
    "ChannelPage",
    "ChannelQuarter",
    "ChannelStanding",
    "DeliverableFilter",
    "QuarterReport",
    "TypeStanding",
    "Viewer",
]
