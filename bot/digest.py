"""The digest of one channel and period, as a platform-neutral model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.charter import Charter, OutputType, Target
from bot.deliverable import Deliverable
from bot.periods import Period, month_start, periods_back
from bot.ports import Repository

SPARK = "▂▃▄▅▆▇█"
MAX_DRAFTS = 20  # drafts listed in a digest, newest first; the rest are counted
ZERO = "▁"


@dataclass(frozen=True)
class TypeLine:
    key: str
    label: str
    emoji: str | None
    produced: int
    target: Target | None
    status: str  # met | behind | nothing | produced (no target)
    counts: tuple[int, ...]  # last N periods, oldest first, this one last

    @property
    def sparkline(self) -> str:
        return sparkline(self.counts)


@dataclass(frozen=True)
class DraftLine:
    deliverable: Deliverable
    missing: tuple[str, ...]  # labels of the required fields still empty


@dataclass(frozen=True)
class Digest:
    charter: Charter
    channel_name: str
    period: Period
    lines: tuple[TypeLine, ...]
    items: tuple[Deliverable, ...]
    more: int
    drafts: tuple[DraftLine, ...]
    contributors: tuple[str, ...]
    late: bool = False
    missed: int = 0
    more_drafts: int = 0  # drafts waiting beyond the ones listed

    @property
    def produced(self) -> int:
        return len(self.items) + self.more

    @property
    def nothing(self) -> bool:
        return self.produced == 0


def sparkline(counts: tuple[int, ...] | list[int]) -> str:
    top = max(counts, default=0)
    if top == 0:
        return ZERO * len(counts)
    return "".join(
        ZERO if c == 0 else SPARK[min(len(SPARK) - 1, (c * len(SPARK) - 1) // top)] for c in counts
    )


def status_of(produced: int, target: Target | None) -> str:
    if target is None:
        return "produced"  # nothing was asked for: no count can be a shortfall
    if produced == 0:
        return "nothing"
    return "met" if produced >= target.count else "behind"


async def build_digest(
    repo: Repository,
    charter: Charter,
    period: Period,
    *,
    channel_name: str | None = None,
    max_items: int = 10,
    history: int = 8,
    late: bool = False,
    missed: int = 0,
    max_drafts: int = MAX_DRAFTS,
) -> Digest:
    """One repository call: the per-period counts, the period's rows, the drafts and the
    channel's stored name (used unless `channel_name` is given). The caller has the charter.
    """
    periods = periods_back(charter.effective_schedule, charter.tz, period, history)
    bounds = [p.start for p in periods] + [period.end]
    # Month targets count month-to-date; a period that straddles two months also counts its
    # own days, so a digest never says "nothing" next to the deliverables it lists.
    month = min(month_start(charter.tz, period.end - timedelta(microseconds=1)), period.start)
    declared = [t.key for t in charter.types]
    # Drafts of a retired type are neither listed nor counted; only the newest are listed.
    facts = await repo.digest_facts(
        charter.channel, bounds, month, draft_types=declared, max_drafts=max_drafts
    )
    lines = tuple(
        _line(t, facts.bucket_counts.get(t.key, [0] * history), facts.month_counts) for t in charter.types
    )
    # Deliverables of a retired type still count as produced: they were real work.
    current = sorted(facts.current, key=lambda d: (d.completed_at or d.created_at, d.id or 0))
    drafts = tuple(
        DraftLine(d, tuple(f.shown for f in t.missing(d.fields)) if (t := charter.type(d.type)) else ())
        for d in sorted(facts.drafts, key=lambda d: (d.created_at, d.id or 0))
        if d.type in declared
    )
    contributors: list[str] = []
    for d in current:
        for who in (d.author_id, d.tagged_by):
            if who and who not in contributors:
                contributors.append(who)
    return Digest(
        charter=charter,
        channel_name=facts.channel_name if channel_name is None else channel_name,
        period=period,
        lines=lines,
        items=tuple(current[:max_items]),
        more=max(0, len(current) - max_items),
        drafts=drafts,
        contributors=tuple(contributors),
        late=late,
        missed=missed,
        more_drafts=max(0, facts.draft_count - len(drafts)),
    )


def _line(t: OutputType, counts: list[int], month_counts: dict[str, int]) -> TypeLine:
    produced = counts[-1] if counts else 0
    if t.target is not None and t.target.per == "month":
        produced = month_counts.get(t.key, 0)
    return TypeLine(
        key=t.key,
        label=t.label,
        emoji=t.emoji,
        produced=produced,
        target=t.target,
        status=status_of(produced, t.target),
        counts=tuple(counts),
    )
