"""Reading the dashboard's query strings: what a value means, or why it cannot be read.

A value that cannot be read raises `BadQuery`, answered with a 400 page that says which
one: a filter silently dropped would show more than the person asked for, as if it held.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from bot.charter import Charter
from bot.deliverable import Status
from bot.directory import DeliverableFilter
from bot.periods import period_at

MAX_WORDS = 200  # characters of search words; a longer query is no one's search
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
# years a quarter may be asked for: beyond these no deliverable exists, and datetime's own
# bounds (year 1..9999) are never reached
YEARS = (2000, 2999)


class BadQuery(ValueError):
    """`name` holds a value that cannot be read."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def clean(text: str) -> str:
    """No database stores a NUL (PostgreSQL refuses the statement): typed in an address,
    it is nothing."""
    return text.replace("\x00", "")


def words(query: Mapping[str, str]) -> str:
    return " ".join(clean(query.get("q", "")).split())[:MAX_WORDS]


def instant(text: str) -> datetime | None:
    """An ISO 8601 instant with its offset; None for anything else (a naive time included:
    which zone it meant is a guess)."""
    text = text.strip()
    # a link whose `+00:00` was not percent-encoded arrives with a space for the plus
    for candidate in (text, text.replace(" ", "+")):
        try:
            t = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return t if t.tzinfo is not None and t.utcoffset() is not None else None
    return None


def deliverable_filter(query: Mapping[str, str], charter: Charter) -> DeliverableFilter:
    """The channel page's filter; the period is the charter's digest period holding the
    instant given (its start, as the page's links give it)."""
    status: Status | None = None
    if raw := query.get("status", "").strip():
        try:
            status = Status(raw.lower())
        except ValueError:
            raise BadQuery("status") from None
    period = None
    if raw := query.get("period", "").strip():
        t = instant(raw)
        if t is None:
            raise BadQuery("period")
        try:
            period = period_at(charter.effective_schedule, charter.tz, t)
        except (ValueError, OverflowError):  # an instant at the very ends of the calendar
            raise BadQuery("period") from None
    kind = clean(query.get("type", "")).strip()[:MAX_WORDS] or None
    return DeliverableFilter(type=kind, status=status, period=period, words=words(query))


def quarter(query: Mapping[str, str], now: datetime) -> tuple[int, int]:
    """(year, quarter) asked for as `?q=2026-Q4`; this quarter (UTC) when none is."""
    raw = query.get("q", "").strip()
    if not raw:
        return now.year, (now.month - 1) // 3 + 1
    m = _QUARTER.match(raw)
    if m is None or not YEARS[0] <= int(m.group(1)) <= YEARS[1]:
        raise BadQuery("q")
    return int(m.group(1)), int(m.group(2))
