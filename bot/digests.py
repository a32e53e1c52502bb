"""Computing and posting digests: what is due, claimed once, posted through the adapter.

Used by `digest post`, `outputs-bot digest`, the console's clock and the scheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from bot.charter import ChannelKey, Charter
from bot.context import Services
from bot.digest import Digest, build_digest
from bot.events import Audience, Reply
from bot.fanout import Fanout
from bot.i18n import translator
from bot.periods import Period, last_closed, next_fire, period_at, periods_between
from bot.render import digest_text

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=15)


class Poster(Protocol):
    """Posts for the scheduler and the CLI, on the platforms it serves.

    `reply.audience` is CHANNEL (digests, roll-ups, behind-target reminders: post in
    `reply.channel_id`) or DIRECT (draft reminders, idle alerts: a private message to
    `reply.user_id`; `channel` is still the channel it is about).
    """

    platforms: frozenset[str]

    async def post(self, reply: Reply, channel: ChannelKey) -> str:
        """Post `reply`; return the platform's message id.

        Raises `bot.fanout.RateLimited(retry_after)` on a 429 the poster did not absorb
        itself, and any other exception on a platform error (recorded as the reason).
        """
        ...


@dataclass(frozen=True)
class Outcome:
    charter: Charter
    period: Period
    status: str  # sent | failed | skipped | preview
    message_id: str | None = None
    error: str | None = None
    text: str = ""
    digest: Digest | None = None  # what was posted (the idle alert reads its history)


async def compute(
    services: Services, charter: Charter, period: Period, *, late: bool = False, missed: int = 0
) -> Digest:
    """The digest of `charter` for `period`: one repository call, which also reads the
    channel's name (one connection, one statement)."""
    s = services.settings
    return await build_digest(
        services.repo,
        charter,
        period,
        max_items=s.max_items,
        history=s.sparkline_periods,
        late=late,
        missed=missed,
    )


def as_reply(digest: Digest) -> Reply:
    """The post for the channel, in the charter's language."""
    t = translator(digest.charter.language)
    return Reply(
        Audience.CHANNEL,
        digest.charter.channel.channel_id,
        digest_text(t, digest),
        None,
        digest,
        t.lang,
        "digest",
    )


async def due(
    services: Services,
    now: datetime,
    platforms: frozenset[str] | None = None,
    *,
    lease_seconds: int | None = None,
    channel_id: str | None = None,
    charters: list[Charter] | None = None,
) -> list[tuple[Charter, Period, int]]:
    """Charters whose latest closed period has no digest run yet, with how many were missed.

    A run still `claimed` whose lease (when `lease_seconds` is given) has expired belongs to
    a replica that died mid-post: its period counts as due again, and `claim_digest` lets
    exactly one taker have it.
    """
    out = []
    live_after = now - timedelta(seconds=lease_seconds) if lease_seconds is not None else None
    last_end = await services.repo.last_digest_ends(live_after)
    if charters is None:
        charters = await services.repo.list_charters()
    for charter in charters:
        if charter.schedule is None or not charter.types:
            continue
        if platforms is not None and charter.channel.platform not in platforms:
            continue
        if channel_id is not None and charter.channel.channel_id != channel_id:
            continue
        period = last_closed(charter.schedule, charter.tz, now)
        if charter.is_paused(period.end.astimezone(charter.tz).date()):
            continue
        if charter.created_at is not None and period.end <= charter.created_at:
            continue  # a period that closed before the charter existed has nothing to report
        previous = last_end.get(charter.channel)
        found = due_period(charter, period, previous)
        if found is None:
            continue
        # Periods that closed since the last digest (or since the charter was made) and got none.
        since = _latest(previous, charter.schedule_since) or charter.created_at or period.start
        missed = max(0, len(periods_between(charter.schedule, charter.tz, since, found.end)) - 1)
        out.append((charter, found, missed))
    return out


def due_period(charter: Charter, closed: Period, previous: datetime | None) -> Period | None:
    """The period to post now, given the last closed one and the last posted end, or None.

    The first period after a digest starts where that digest's period ended, and ends at the
    first time of the current schedule after both that end and the last schedule change: so
    a changed schedule never reports again what was posted, nor a period that closed before
    the change (which would be posted late, though the bot was running).
    """
    assert charter.schedule is not None
    anchor = _latest(previous, charter.schedule_since)
    if anchor is None:
        return closed
    first = next_fire(charter.schedule, charter.tz, anchor)
    if closed.end < first:
        return None
    if closed.end == first and previous is not None:
        return Period(previous, closed.end)
    return closed


def current_period(charter: Charter, now: datetime, previous: datetime | None) -> Period:
    """The period running at `now`: as `due_period` cuts it, so a preview shows what will be posted."""
    schedule = charter.effective_schedule
    period = period_at(schedule, charter.tz, now)
    anchor = _latest(previous, charter.schedule_since)
    if anchor is None or previous is None or previous >= period.end:
        return period
    if next_fire(schedule, charter.tz, anchor) == period.end:
        return Period(previous, period.end)
    return period


def _latest(*times: datetime | None) -> datetime | None:
    return max((t for t in times if t is not None), default=None)


async def post_due(
    services: Services,
    poster: Poster,
    now: datetime,
    *,
    lease_seconds: int = 300,
    dry_run: bool = False,
    fanout: Fanout | None = None,
    channel_id: str | None = None,
    charters: list[Charter] | None = None,
) -> list[Outcome]:
    """Claim and post every due digest through `fanout` (paced); one Outcome per charter.

    Each channel is claimed right before its own post, not all up front: with a paced
    fan-out of hundreds of channels the last ones would otherwise outlive their lease.
    """
    found = await due(
        services, now, poster.platforms, lease_seconds=lease_seconds, channel_id=channel_id, charters=charters
    )
    if dry_run:
        previews = []
        for charter, period, missed in found:
            late = now - period.end > LATE_AFTER
            reply = as_reply(await compute(services, charter, period, late=late, missed=missed))
            previews.append(Outcome(charter, period, "preview", text=reply.text))
        return previews
    fan = fanout or Fanout()

    def job(charter: Charter, period: Period, missed: int) -> Callable[[], Awaitable[Outcome]]:
        return lambda: _claim_and_post(services, poster, fan, charter, period, missed, now, lease_seconds)

    return await fan.run([job(c, p, m) for c, p, m in found])


async def _claim_and_post(
    services: Services,
    poster: Poster,
    fanout: Fanout,
    charter: Charter,
    period: Period,
    missed: int,
    now: datetime,
    lease_seconds: int,
) -> Outcome:
    # The lease runs from the real moment of the claim (a long fan-out reaches the last
    # channels well after the pass began).
    at = max(now, services.clock.now())
    late = at - period.end > LATE_AFTER
    claimed = await services.repo.claim_digest(
        charter.channel, period.start, period.end, at, lease_seconds, late
    )
    if not claimed:
        return Outcome(charter, period, "skipped")
    try:
        digest = await compute(services, charter, period, late=late, missed=missed)
    except Exception as exc:  # a broken digest must not leave the claim hanging
        log.exception("digest for %s could not be computed", charter.channel.channel_id)
        return await _finish(services, charter, period, None, f"{type(exc).__name__}: {exc}")
    reply = as_reply(digest)
    ch = charter.channel
    delivery = await fanout.send(ch.platform, ch.workspace_id, ch.channel_id, partial(poster.post, reply, ch))
    return await _finish(services, charter, period, delivery.message_id, delivery.error, digest, reply.text)


async def _finish(
    services: Services,
    charter: Charter,
    period: Period,
    message_id: str | None,
    error: str | None,
    digest: Digest | None = None,
    text: str = "",
) -> Outcome:
    status = "sent" if error is None else "failed"
    if error is not None:
        log.warning("digest for %s failed: %s", charter.channel.channel_id, error)
    await services.repo.finish_digest(
        charter.channel,
        period.end,
        status=status,
        at=services.clock.now(),
        message_id=message_id,
        error=None if error is None else error[:500],
    )
    services.observer.digest_finished(charter.channel.platform, status)
    return Outcome(charter, period, status, message_id, error, text, digest)


async def next_due(services: Services, after: datetime) -> datetime | None:
    """The earliest digest time after `after` over all charters (the console's clock steps to it)."""
    times = [
        next_fire(c.schedule, c.tz, after)
        for c in await services.repo.list_charters()
        if c.schedule is not None and c.types
    ]
    return min(times, default=None)
