"""What a person's home shows (Slack's App Home; any personal page): their drafts to
complete, what they recently produced, and how the channels they own stand this period."""

from __future__ import annotations

from dataclasses import dataclass

from bot.charter import Charter
from bot.context import Services
from bot.deliverable import Deliverable
from bot.digest import Digest
from bot.digests import compute
from bot.periods import period_at


@dataclass(frozen=True)
class OwnedChannel:
    charter: Charter
    digest: Digest  # this period so far, as the digest would count it


@dataclass(frozen=True)
class Home:
    drafts: list[Deliverable]  # every draft waiting for the person
    recent: list[Deliverable]  # newest first
    owned: list[OwnedChannel]  # at most the number asked
    owned_total: int


async def home(
    services: Services, platform: str, workspace_id: str, user_id: str, *, recent: int, owned: int
) -> Home:
    repo = services.repo
    drafts = await repo.drafts_of(platform, workspace_id, user_id)
    latest = await repo.recent_of(platform, workspace_id, user_id, recent)
    charters = [c for c in await repo.list_charters(platform, workspace_id) if user_id in c.owners]
    now = services.clock.now()
    standing = []
    for charter in charters[:owned]:  # one statement each, and a home shows only a few
        period = period_at(charter.effective_schedule, charter.tz, now)
        standing.append(OwnedChannel(charter, await compute(services, charter, period)))
    return Home(drafts, latest, standing, len(charters))
