"""The roll-up: the workspace's portfolio, posted in its roll-up channel after the digests.

Every channel the bot knows in the workspace gets a line: its status for its latest closed
period (met, behind, nothing, no charter, paused), its counts against targets and how many
periods in a row it produced nothing. The roll-up keeps its own weekly time: the roll-up
channel's own charter schedule when it has one, else the configured default schedule; it is
claimed once per (workspace, roll-up period) like any other at-most-once post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from bot.charter import ChannelKey, Charter, Schedule
from bot.context import Services
from bot.digest import Digest, TypeLine
from bot.digests import Poster, compute
from bot.events import Audience, Reply
from bot.fanout import Fanout, Posted
from bot.i18n import N_, Translator, translator
from bot.markup import escape
from bot.periods import Period, last_closed, next_fire, periods_between
from bot.ports import ChannelInfo

ROLLUP = "rollup"
STATUSES = ("met", "behind", "nothing", "no_charter", "paused")
STATUS_MARK = {"met": "✅", "behind": "🟡", "nothing": "🔴", "no_charter": "⚪", "paused": "⏸️"}
STATUS_WORD = {
    "met": N_("met"),
    "behind": N_("behind"),
    "nothing": N_("nothing"),
    "no_charter": N_("no charter"),
    "paused": N_("paused"),
}


@dataclass(frozen=True)
class ChannelStatus:
    channel: ChannelInfo
    status: str  # one of STATUSES
    lines: tuple[TypeLine, ...] = ()
    idle: int = 0  # consecutive closed periods with nothing produced, the latest included


@dataclass(frozen=True)
class Rollup:
    channel: ChannelKey  # where it is posted
    period: Period
    tz: ZoneInfo
    channels: tuple[ChannelStatus, ...]

    def count(self, status: str) -> int:
        return sum(1 for c in self.channels if c.status == status)


def idle_streak(digest: Digest) -> int:
    """Closed periods in a row, ending with the digest's, in which nothing was completed.

    Bounded by the sparkline's history and by the periods since the charter was created.
    """
    totals = [sum(col) for col in zip(*(line.counts for line in digest.lines), strict=True)]
    streak = 0
    for total in reversed(totals):
        if total:
            break
        streak += 1
    c = digest.charter
    if c.created_at is not None and c.schedule is not None:
        streak = min(streak, len(periods_between(c.schedule, c.tz, c.created_at, digest.period.end)))
    return streak


def channel_status(digest: Digest) -> str:
    if digest.nothing:
        return "nothing"
    targeted = [line for line in digest.lines if line.target is not None]
    return "behind" if any(line.status != "met" for line in targeted) else "met"


def rollup_schedule(services: Services, here: Charter | None) -> tuple[Schedule, ZoneInfo]:
    if here is not None and here.schedule is not None:
        return here.schedule, here.tz
    s = services.settings
    return s.default_schedule, ZoneInfo(s.default_timezone)


async def build_rollup(services: Services, channel: ChannelKey, now: datetime) -> Rollup:
    repo = services.repo
    schedule, tz = rollup_schedule(services, await repo.get_charter(channel))
    charters = {
        c.channel.channel_id: c for c in await repo.list_charters(channel.platform, channel.workspace_id)
    }
    known = {i.key.channel_id: i for i in await repo.list_channels(channel.platform, channel.workspace_id)}
    for cid, c in charters.items():
        known.setdefault(cid, ChannelInfo(key=c.channel))
    lines: list[ChannelStatus] = []
    for cid, info in known.items():
        charter = charters.get(cid)
        if cid == channel.channel_id and (charter is None or not charter.types):
            continue  # the roll-up channel itself, when it only hosts the roll-up
        if charter is None or not charter.types:
            lines.append(ChannelStatus(info, "no_charter"))
            continue
        period = last_closed(charter.schedule or schedule, charter.tz, now)
        digest = await compute(services, charter, period)
        if charter.is_paused(now.astimezone(charter.tz).date()):
            lines.append(ChannelStatus(info, "paused", digest.lines, idle_streak(digest)))
            continue
        lines.append(ChannelStatus(info, channel_status(digest), digest.lines, idle_streak(digest)))
    order = {s: i for i, s in enumerate(("nothing", "behind", "met", "paused", "no_charter"))}
    lines.sort(key=lambda c: (order[c.status], c.channel.name or c.channel.key.channel_id))
    return Rollup(channel, last_closed(schedule, tz, now), tz, tuple(lines))


async def rollup_targets(
    services: Services, charters: list[Charter], platforms: frozenset[str] | None = None
) -> list[tuple[ChannelKey, list[Charter], Schedule, ZoneInfo]]:
    """Each workspace with a roll-up channel: that channel, the workspace's charters, its time."""
    by_workspace: dict[tuple[str, str], list[Charter]] = {}
    for c in charters:
        if platforms is None or c.channel.platform in platforms:
            by_workspace.setdefault((c.channel.platform, c.channel.workspace_id), []).append(c)
    out = []
    for (platform, workspace_id), theirs in by_workspace.items():
        ws = await services.repo.get_workspace(platform, workspace_id)
        if ws.rollup_channel_id is None:
            continue
        channel = ChannelKey(platform=platform, workspace_id=workspace_id, channel_id=ws.rollup_channel_id)
        here = next((c for c in theirs if c.channel == channel), None)
        out.append((channel, theirs, *rollup_schedule(services, here)))
    return out


async def due_rollups(
    services: Services,
    now: datetime,
    platforms: frozenset[str] | None = None,
    charters: list[Charter] | None = None,
) -> list[tuple[ChannelKey, Period]]:
    """Roll-ups whose latest period has closed; whether posted already is `claim_once`'s
    business. A roll-up period that closed before any charter of the workspace existed is
    not due."""
    out = []
    if charters is None:
        charters = await services.repo.list_charters()
    for channel, theirs, schedule, tz in await rollup_targets(services, charters, platforms):
        period = last_closed(schedule, tz, now)
        born = [c.created_at for c in theirs if c.types and c.created_at is not None]
        if born and min(born) >= period.end:
            continue
        out.append((channel, period))
    return out


async def next_rollup(services: Services, after: datetime) -> datetime | None:
    targets = await rollup_targets(services, await services.repo.list_charters())
    return min((next_fire(schedule, tz, after) for _, _, schedule, tz in targets), default=None)


async def post_rollups(
    services: Services, poster: Poster, fanout: Fanout, now: datetime, charters: list[Charter] | None = None
) -> list[Posted]:
    """Claim and post each due roll-up (after the channel digests of the same pass)."""
    out = []
    for channel, period in await due_rollups(services, now, poster.platforms, charters):
        if not await services.repo.claim_once(ROLLUP, channel, "portfolio", period.end.isoformat()):
            continue
        here = await services.repo.get_charter(channel)
        reply = as_reply(
            await build_rollup(services, channel, now),
            here.language if here else services.settings.default_language,
        )
        delivery = await fanout.send(
            channel.platform, channel.workspace_id, channel.channel_id, partial(poster.post, reply, channel)
        )
        out.append(Posted(ROLLUP, channel, None, delivery, reply.text))
    return out


def as_reply(rollup: Rollup, lang: str) -> Reply:
    t = translator(lang)
    return Reply(
        Audience.CHANNEL, rollup.channel.channel_id, rollup_text(t, rollup), None, rollup, t.lang, ROLLUP
    )


def rollup_text(t: Translator, r: Rollup) -> str:
    end = r.period.end.astimezone(r.tz)
    out = [t("*Portfolio* of this workspace, week ending {day}", day=t.day(end))]
    counts = [
        f"{STATUS_MARK[s]} {t(STATUS_WORD[s])}: {t.number(r.count(s))}" for s in STATUSES if r.count(s)
    ]
    out.append(" · ".join(counts) if counts else t("No channel is known yet."))
    for c in r.channels:
        out.append(_channel_line(t, c))
    return "\n".join(out)


def _channel_line(t: Translator, c: ChannelStatus) -> str:
    name = f"#{escape(c.channel.name)}" if c.channel.name else f"<#{c.channel.key.channel_id}>"
    head = f"{STATUS_MARK[c.status]} {name} — {t(STATUS_WORD[c.status])}"
    parts = [_count(t, line) for line in c.lines]
    if c.idle:
        parts.append(
            t.n("nothing for {count} period in a row", "nothing for {count} periods in a row", c.idle)
        )
    return head + (": " + "; ".join(parts) if parts else "")


def _count(t: Translator, line: TypeLine) -> str:
    if line.target is None:
        return t("{label} {produced}", label=escape(line.label), produced=t.number(line.produced))
    return t(
        "{label} {produced}/{target}",
        label=escape(line.label),
        produced=t.number(line.produced),
        target=t.number(line.target.count),
    )
