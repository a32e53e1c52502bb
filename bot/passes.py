"""A scheduler pass: everything due at one moment, decided by the engine.

Whatever wakes a pass (APScheduler's alarms in `app.scheduler`, the console's clock,
`outputs-bot digest`), the pass itself asks the tables what is due, claims each item
atomically and posts it, so a doubled or missed wake-up can neither repeat nor drop a post.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.context import Services
from bot.digests import Outcome, Poster, next_due, post_due
from bot.fanout import Fanout, Posted
from bot.nudges import next_nudge, send_nudges
from bot.rollup import next_rollup, post_rollups

log = logging.getLogger(__name__)


@dataclass
class PassReport:
    digests: list[Outcome] = field(default_factory=list)
    nudges: list[Posted] = field(default_factory=list)
    rollups: list[Posted] = field(default_factory=list)


async def run_pass(
    services: Services,
    poster: Poster,
    now: datetime,
    *,
    fanout: Fanout | None = None,
    lease_seconds: int = 300,
) -> PassReport:
    """Everything due at `now`: the channel digests first, then nudges, then roll-ups."""
    fan = fanout or Fanout()
    report = PassReport()
    charters = await services.repo.list_charters()
    report.digests = await post_due(
        services, poster, now, lease_seconds=lease_seconds, fanout=fan, charters=charters
    )
    report.nudges = await send_nudges(services, poster, fan, now, report.digests, charters)
    report.rollups = await post_rollups(services, poster, fan, now, charters)
    return report


async def next_wakeup(services: Services, after: datetime) -> datetime | None:
    """The next moment anything may fall due (the console's clock steps through these)."""
    times = [
        t
        for t in (
            await next_due(services, after),
            await next_nudge(services, after),
            await next_rollup(services, after),
        )
        if t is not None
    ]
    return min(times, default=None)


def log_report(report: PassReport) -> None:
    for o in report.digests:
        if o.status in ("sent", "failed"):
            log.info(
                "digest %s/%s %s: %s%s",
                o.charter.channel.platform,
                o.charter.channel.channel_id,
                o.period.end.isoformat(),
                o.status,
                f" ({o.error})" if o.error else "",
            )
    for p in report.nudges + report.rollups:
        log.info("%s %s/%s: %s", p.kind, p.channel.platform, p.channel.channel_id, p.delivery.error or "sent")

