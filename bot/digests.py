"""Computing and posting digests: what is due, claimed once, posted through the adapter.

Used by `digest post`, `outputs-bot digest`, the console's clock and the scheduler.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.charter import ChannelKey, Charter
from bot.context import Services
from bot.digest import Digest, build_digest
from bot.events import Audience, Reply
from bot.i18n import translator
from bot.periods import Period, last_closed, next_fire, periods_between
from bot.render import digest_text

log = logging.getLogger(__name__)

LATE_AFTER = timedelta(minutes=15)


class Poster(Protocol):
    """Posts for the scheduler and the CLI, on the platforms it serves."""

    platforms: frozenset[str]

    async def post(self, reply: Reply, channel: ChannelKey) -> str:
        """Post `reply`; return the platform's message id. Raises on a platform error."""
        ...


@dataclass(frozen=True)
class Outcome:
    charter: Charter
    period: Period
    status: str  # sent | failed | skipped | preview
    message_id: str | None = None
    error: str | None = None
    text: str = ""


async def compute(
    services: Services, charter: Charter, period: Period, *, late: bool = False, missed: int = 0
) -> Digest:
    info = await services.repo.get_channel(charter.channel)
    s = services.settings
    return await build_digest(
        services.repo,
        charter,
        period,
        channel_name=info.name if info else "",
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
    services: Services, now: datetime, platforms: frozenset[str] | None = None
) -> list[tuple[Charter, Period, int]]:
    """Charters whose latest closed period has no digest run yet, with how many were missed."""
    out = []
    runs = await services.repo.digest_runs()
    last_end: dict[tuple[str, str, str], datetime] = {}
    for r in runs:
        k = (r.channel.platform, r.channel.workspace_id, r.channel.channel_id)
        last_end[k] = max(last_end.get(k, r.period_end), r.period_end)
    for charter in await services.repo.list_charters():
        if charter.schedule is None or not charter.types:
            continue
        if platforms is not None and charter.channel.platform not in platforms:
            continue
        period = last_closed(charter.schedule, charter.tz, now)
        if charter.is_paused(period.end.astimezone(charter.tz).date()):
            continue
        k = (charter.channel.platform, charter.channel.workspace_id, charter.channel.channel_id)
        previous = last_end.get(k)
        if previous is not None and previous >= period.end:
            continue
        if charter.created_at is not None and period.end <= charter.created_at:
            continue  # a period that closed before the charter existed has nothing to report
        # Periods that closed since the last digest (or since the charter was made) and got none.
        since = previous or charter.created_at or period.start
        missed = max(0, len(periods_between(charter.schedule, charter.tz, since, period.end)) - 1)
        out.append((charter, period, missed))
    return out


async def post_due(
    services: Services, poster: Poster, now: datetime, *, lease_seconds: int = 300, dry_run: bool = False
) -> list[Outcome]:
    results = []
    for charter, period, missed in await due(services, now, poster.platforms):
        late = now - period.end > LATE_AFTER
        digest = await compute(services, charter, period, late=late, missed=missed)
        reply = as_reply(digest)
        if dry_run:
            results.append(Outcome(charter, period, "preview", text=reply.text))
            continue
        claimed = await services.repo.claim_digest(
            charter.channel, period.start, period.end, now, lease_seconds, late
        )
        if not claimed:
            results.append(Outcome(charter, period, "skipped"))
            continue
        results.append(await _post(services, poster, charter, period, reply))
    return results


async def _post(
    services: Services, poster: Poster, charter: Charter, period: Period, reply: Reply
) -> Outcome:
    try:
        message_id = await poster.post(reply, charter.channel)
    except Exception as exc:  # a platform error must not stop the other channels
        log.warning("digest for %s failed: %s", charter.channel.channel_id, exc)
        await services.repo.finish_digest(
            charter.channel, period.end, status="failed", at=services.clock.now(), error=str(exc)[:500]
        )
        return Outcome(charter, period, "failed", error=str(exc), text=reply.text)
    await services.repo.finish_digest(
        charter.channel, period.end, status="sent", at=services.clock.now(), message_id=message_id
    )
    return Outcome(charter, period, "sent", message_id, text=reply.text)


async def next_due(services: Services, after: datetime) -> datetime | None:
    """The earliest digest time after `after` over all charters (the console's clock steps to it)."""
    times = [
        next_fire(c.schedule, c.tz, after)
        for c in await services.repo.list_charters()
        if c.schedule is not None and c.types
    ]
    return min(times, default=None)
