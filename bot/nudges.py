"""Nudges (docs/rules.md rule 7): behind-target reminders, draft reminders and idle alerts.

Each is decided from our tables at the time of a pass, then claimed with `claim_once`, so
any number of replicas and passes give at most one per kind and channel (or draft) and
period. Each kind can be switched off in the charter (`Charter.nudges`); a paused charter
gets none. A reminder in the channel is in the charter's language; a private one is in its
reader's stored language (bot.languages), else the charter's.

- **behind**: from `behind_days_before` days before the digest (same local time) until the
  digest, a channel whose weekly targets are not met yet (and month targets in the month's
  last period) gets one reminder in the channel of what is missing.
- **draft**: a draft still incomplete `draft_hours` after it was tagged gets one private
  reminder to its tagger.
- **idle**: when a channel's streak of empty periods reaches `idle_periods` (and again at
  each multiple of it while it lasts), its owners get one private alert. It goes with the
  digest: the pass that posted a channel's digest checks that digest's history.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from bot.charter import Charter
from bot.context import Services
from bot.deliverable import Status
from bot.digest import Digest, TypeLine
from bot.digests import Outcome, Poster, compute
from bot.events import Audience, Reply
from bot.fanout import Fanout, Posted
from bot.i18n import Translator, translator
from bot.languages import readers
from bot.markup import escape
from bot.periods import WEEK, Period, fire_time, period_at
from bot.rollup import idle_streak

log = logging.getLogger(__name__)

BEHIND, DRAFT, IDLE = "nudge-behind", "nudge-draft", "nudge-idle"


@dataclass(frozen=True)
class Nudge:
    kind: str
    charter: Charter
    subject: str  # what it is about within the channel: a draft id, or ""
    period: str  # the marker's period: the period end (ISO), or "" for once ever
    replies: tuple[Reply, ...]


def behind_time(charter: Charter, period: Period) -> datetime:
    """When the behind-target reminder for `period` is due: N local days before its end."""
    assert charter.schedule is not None
    day = period.end.astimezone(charter.tz).date() - timedelta(days=charter.nudges.behind_days_before)
    return fire_time(day, charter.schedule, charter.tz)


def missing_lines(lines: tuple[TypeLine, ...], charter: Charter, period: Period) -> list[TypeLine]:
    """Targets not met yet: weekly ones, and monthly ones in the month's last period."""
    end = period.end.astimezone(charter.tz)
    month_ends = (end + WEEK).month != end.month
    return [
        line
        for line in lines
        if line.target is not None
        and line.produced < line.target.count
        and (line.target.per == "week" or month_ends)
    ]


async def due_nudges(
    services: Services,
    now: datetime,
    platforms: frozenset[str] | None = None,
    digests: Sequence[Outcome] = (),
    charters: list[Charter] | None = None,
) -> list[Nudge]:
    """Behind and draft reminders due at `now`, and idle alerts for the `digests` just posted."""
    out: list[Nudge] = []
    for charter in charters if charters is not None else await services.repo.list_charters():
        if not charter.types or (platforms is not None and charter.channel.platform not in platforms):
            continue
        if charter.is_paused(now.astimezone(charter.tz).date()):
            continue
        n = charter.nudges
        if n.behind and charter.schedule is not None:
            out += await _behind(services, charter, now)
        if n.drafts:
            out += await _drafts(services, charter, now)
    for o in digests:
        c = o.charter
        if o.digest is not None and c.nudges.idle and c.owners:
            out += await _idle(services, o.digest)
    return out


async def _name(services: Services, charter: Charter) -> str:
    info = await services.repo.get_channel(charter.channel)
    return info.name if info and info.name else charter.channel.channel_id


async def _behind(services: Services, charter: Charter, now: datetime) -> list[Nudge]:
    assert charter.schedule is not None
    period = period_at(charter.schedule, charter.tz, now)
    at = behind_time(charter, period)
    if not at <= now < period.end or (charter.created_at is not None and charter.created_at > at):
        return []
    digest = await compute(services, charter, period)
    missing = missing_lines(digest.lines, charter, period)
    if not missing:
        return []
    t = translator(charter.language)
    text = t(
        "*Reminder:* the digest for #{channel} is posted {when}. Still missing: {missing}.",
        channel=escape(await _name(services, charter)),
        when=f"{t.when(period.end.astimezone(charter.tz))} ({charter.timezone})",
        missing=t.list([_shortfall(t, line) for line in missing]),
    )
    reply = Reply(Audience.CHANNEL, charter.channel.channel_id, text, None, None, t.lang, "nudge")
    return [Nudge(BEHIND, charter, "", period.end.isoformat(), (reply,))]


def _shortfall(t: Translator, line: TypeLine) -> str:
    assert line.target is not None
    return t(
        "{label} ({produced} of {target})",
        label=escape(line.label),
        produced=t.number(line.produced),
        target=t.number(line.target.count),
    )


async def _idle(services: Services, digest: Digest) -> list[Nudge]:
    charter, period = digest.charter, digest.period
    streak = idle_streak(digest)
    every = charter.nudges.idle_periods
    if streak < every or streak % every:
        return []
    langs = await readers(services.repo, charter, charter.owners)
    replies = []
    for owner in charter.owners:
        t = translator(langs[owner])
        text = t.n(
            "#{channel} has produced nothing for {count} period in a row. It declared: {types}.",
            "#{channel} has produced nothing for {count} periods in a row. It declared: {types}.",
            streak,
            channel=escape(digest.channel_name or charter.channel.channel_id),
            types=t.list([escape(ot.label) for ot in charter.types]),
        )
        replies.append(Reply(Audience.DIRECT, charter.channel.channel_id, text, owner, None, t.lang, "nudge"))
    return [Nudge(IDLE, charter, "", period.end.isoformat(), tuple(replies))]


async def _drafts(services: Services, charter: Charter, now: datetime) -> list[Nudge]:
    # tagged at or before the cutoff (`until` is exclusive)
    cutoff = now - timedelta(hours=charter.nudges.draft_hours) + timedelta(microseconds=1)
    drafts = await services.repo.list_deliverables(charter.channel, statuses=[Status.DRAFT], until=cutoff)
    if not drafts:
        return []
    name = await _name(services, charter)
    langs = await readers(services.repo, charter, [d.tagged_by for d in drafts])
    out = []
    for d in drafts:
        ot = charter.type(d.type)
        if ot is None or d.id is None:
            continue
        t = translator(langs[d.tagged_by])
        text = t(
            "Your draft #{id} in #{channel} ({title}) still needs: {fields}. "
            "Complete it with `{prefix} complete {id} field=value`.",
            id=d.id,
            channel=escape(name),
            title=escape(d.title) or t("(no text)"),
            fields=", ".join(f.shown for f in ot.missing(d.fields)),
            prefix=services.settings.command_prefix,
        )
        reply = Reply(Audience.DIRECT, charter.channel.channel_id, text, d.tagged_by, None, t.lang, "nudge")
        out.append(Nudge(DRAFT, charter, str(d.id), "", (reply,)))
    return out


async def send_nudges(
    services: Services,
    poster: Poster,
    fanout: Fanout,
    now: datetime,
    digests: Sequence[Outcome] = (),
    charters: list[Charter] | None = None,
) -> list[Posted]:
    """Claim each due nudge once, across replicas, then send it through the fan-out."""
    out: list[Posted] = []
    for nudge in await due_nudges(services, now, poster.platforms, digests, charters):
        ch = nudge.charter.channel
        if not await services.repo.claim_once(nudge.kind, ch, nudge.subject, nudge.period):
            continue
        for reply in nudge.replies:
            to = reply.user_id if reply.audience == Audience.DIRECT else None
            delivery = await fanout.send(
                ch.platform,
                ch.workspace_id,
                f"@{to}" if to else ch.channel_id,
                partial(poster.post, reply, ch),
            )
            if not delivery.ok:
                log.warning("%s for %s failed: %s", nudge.kind, ch.channel_id, delivery.error)
            out.append(Posted(nudge.kind, ch, to, delivery, reply.text))
    return out


async def next_nudge(services: Services, after: datetime) -> datetime | None:
    """The next moment a nudge could fall due (the console's clock stops there)."""
    times: list[datetime] = []
    for c in await services.repo.list_charters():
        if not c.types:
            continue
        if c.nudges.behind and c.schedule is not None:
            period = period_at(c.schedule, c.tz, after)
            following = period_at(c.schedule, c.tz, period.end)
            times += [at for p in (period, following) if (at := behind_time(c, p)) > after][:1]
        if c.nudges.drafts:
            hours = timedelta(hours=c.nudges.draft_hours)
            fresh = await services.repo.list_deliverables(
                c.channel, statuses=[Status.DRAFT], since=after - hours
            )
            times += [d.created_at + hours for d in fresh if d.created_at + hours > after]
    return min(times, default=None)
