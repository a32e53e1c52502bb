"""The dashboard's pages: the engine's directory facts in, a complete HTML page out.

Templates lay out; every sentence is written here, in Python, because the catalogue's
extractor reads Python only: a template asks `w` (the page's `Words`) or `L` (the fixed
labels) and never holds English of its own. Autoescape is on for every template and an
undefined name is an error, so a typo fails a test instead of printing nothing.

The pages load one stylesheet from this server and nothing else: no script, no inline
style (the Content-Security-Policy forbids both), charts drawn as SVG by `charts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from adapters.dashboard import charts
from bot import render as text
from bot.charter import Charter
from bot.deliverable import Deliverable, Status
from bot.directory import (
    ChannelPage,
    ChannelQuarter,
    ChannelStanding,
    DeliverableFilter,
    QuarterReport,
    TypeStanding,
    Viewer,
)
from bot.i18n import Translator, translator
from bot.periods import Period
from bot.ports import ChannelInfo

TEMPLATES = Path(__file__).parent / "templates"
STYLESHEET = "/dashboard/static/dashboard.css"
# The statuses a reader can filter by: a deleted deliverable is never shown.
FILTER_STATUSES = (Status.COMPLETE, Status.DRAFT, Status.WITHDRAWN)
# Marks beside the status words, never instead of them: colour and shape only add to the word.
STATE_MARK = {"met": "✓", "behind": "◐", "nothing": "✗", "produced": "•"}


@cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def labels(t: Translator) -> dict[str, str]:
    """The fixed words of every page."""
    return {
        "app": t("Outputs dashboard"),
        "skip": t("Skip to content"),
        "nav": t("Dashboard"),
        "overview": t("Overview"),
        "quarter_report": t("Quarter report"),
        "sign_out": t("Sign out"),
        "search": t("Search"),
        "search_channels": t("Search channels"),
        "search_hint": t("Words from a purpose, an output type or its description"),
        "clear": t("Show all channels"),
        "private": t("private"),
        "purpose": t("Purpose"),
        "no_purpose": t("(no purpose set)"),
        "type": t("Type"),
        "target": t("Target"),
        "this_period": t("This period"),
        "status": t("Status"),
        "no_types": t("No output types declared yet."),
        "channels": t("Channels"),
        "no_channels": t("No channel with a charter matches."),
        "producing_nothing": t("Channels producing nothing"),
        "producing_nothing_intro": t("Nothing complete in any of the periods shown:"),
        "none_idle": t("Every channel shown produced something."),
        "back": t("Back to the overview"),
        "deliverables": t("Deliverables"),
        "filters": t("Filter the deliverables"),
        "any_type": t("Any type"),
        "any_status": t("Any status"),
        "period": t("Period"),
        "any_period": t("Any period"),
        "words": t("Words"),
        "apply": t("Apply"),
        "csv": t("CSV of what is shown"),
        "title": t("Title"),
        "author": t("Author"),
        "created": t("Created"),
        "completed": t("Completed"),
        "fields": t("Fields"),
        "nothing_matches": t("No deliverable matches."),
        "produced": t("Produced"),
        "declared": t("Declared"),
        "notable": t("Notable deliverables"),
        "contributors": t("Contributors"),
        "no_contributors": t("No complete deliverable this quarter."),
        "previous_quarter": t("Previous quarter"),
        "next_quarter": t("Next quarter"),
        "quarters": t("Other quarters"),
        "no_quarter_channels": t("No channel with a charter to report on."),
    }


def channel_path(channel_id: str) -> str:
    # Teams ids hold `:` and `@`: quoted whole, they stay one path segment
    return "/dashboard/channels/" + quote(channel_id, safe="")


def filter_query(flt: DeliverableFilter) -> str:
    """The channel page's query string for `flt` (empty values left out)."""
    pairs = [
        ("type", flt.type or ""),
        ("status", flt.status.value if flt.status else ""),
        ("period", flt.period.start.isoformat() if flt.period else ""),
        ("q", flt.words),
    ]
    return urlencode([(k, v) for k, v in pairs if v])


def quarter_param(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def quarter_url(year: int, quarter: int) -> str:
    return "/dashboard/quarter?" + urlencode({"q": quarter_param(year, quarter)})


def quarter_of(now: datetime) -> tuple[int, int]:
    return now.year, (now.month - 1) // 3 + 1


def shift_quarter(year: int, quarter: int, by: int) -> tuple[int, int]:
    index = year * 4 + quarter - 1 + by
    return index // 4, index % 4 + 1


def safe_link(url: str | None) -> str | None:
    """A permalink as a link target only when it is a web address (never `javascript:`)."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    return None


def type_label(charter: Charter, key: str) -> str:
    """A retired type keeps its key as its name."""
    ot = charter.type(key)
    return ot.label if ot else key


def type_state(ts: TypeStanding) -> str:
    """met, behind, nothing (a target and nothing towards it), or produced (no target)."""
    if ts.met is None:
        return "produced"
    if ts.met:
        return "met"
    return "nothing" if ts.produced == 0 else "behind"


class Words:
    """What one reader's page says, and how it writes names, dates and figures."""

    def __init__(self, t: Translator) -> None:
        self.t = t

    def channel_name(self, info: ChannelInfo) -> str:
        return f"#{info.name}" if info.name else info.key.channel_id

    def channel_url(self, info: ChannelInfo) -> str:
        return channel_path(info.key.channel_id)

    def target(self, ts: TypeStanding) -> str:
        return text.target_text(self.t, ts.type)

    def state(self, ts: TypeStanding) -> str:
        return type_state(ts)

    def mark_of(self, state: str) -> str:
        return STATE_MARK[state]

    def word_of(self, state: str) -> str:
        return self.t(text.STATUS_WORD[state])

    def number(self, n: float) -> str:
        return self.t.number(n)

    def produced_now(self, s: ChannelStanding) -> str:
        return self.t.n("{count} complete this period", "{count} complete this period", s.produced)

    def span(self, period: Period, tz: ZoneInfo) -> str:
        return charts.period_span(self.t, period, tz)

    def day(self, when: datetime | None, tz: ZoneInfo) -> str:
        return self.t.short_day(when.astimezone(tz)) if when else ""

    def iso(self, when: datetime | None) -> str:
        return when.astimezone(UTC).isoformat() if when else ""

    def period_value(self, period: Period) -> str:
        return period.start.isoformat()

    def chart(self, s: ChannelStanding) -> Markup:
        return charts.standing_chart(self.t, s)

    def type_label(self, charter: Charter, key: str) -> str:
        return type_label(charter, key)

    def status(self, status: Status) -> str:
        return self.t(text.DELIVERABLE_STATUS[status])

    def title(self, d: Deliverable) -> str:
        return d.title or self.t("(no text)")

    def link(self, d: Deliverable) -> str | None:
        return safe_link(d.permalink)

    def author(self, d: Deliverable) -> str:
        return d.author_id or d.tagged_by

    def fields(self, d: Deliverable, charter: Charter) -> list[tuple[str, str]]:
        ot = charter.type(d.type)
        out = []
        for name, value in d.fields.items():
            spec = ot.field(name) if ot else None
            out.append((spec.shown if spec else name, value))
        return out

    def shown(self, count: int, total: int) -> str:
        total_text = self.t.number(total)
        return self.t.n("{count} of {total} shown", "{count} of {total} shown", count, total=total_text)

    def contributed(self, count: int) -> str:
        return self.t.n("{count} complete deliverable", "{count} complete deliverables", count)

    def quarter_name(self, year: int, quarter: int) -> str:
        return self.t("Q{quarter} {year}", quarter=quarter, year=str(year))


def _page(template: str, t: Translator, **values: Any) -> str:
    values.setdefault("viewer", None)
    values.setdefault("nav_quarter", None)
    return (
        environment()
        .get_template(template)
        .render(t=t, w=Words(t), L=labels(t), stylesheet=STYLESHEET, **values)
    )


def _message(t: Translator, title: str, paragraphs: Sequence[str], home: bool) -> str:
    return _page("message.html", t, title=title, paragraphs=paragraphs, home=home)


def how_to_sign_in(t: Translator) -> list[str]:
    return [
        t("To get a sign-in link, type /outputs dashboard in Slack, or send dashboard to the bot in Teams."),
        t("The link is yours alone: it works once, within 10 minutes."),
    ]


def unauthorized(t: Translator) -> str:
    return _message(t, t("Sign in to see the dashboard"), how_to_sign_in(t), home=False)


def signed_out(t: Translator) -> str:
    return _message(t, t("You are signed out"), how_to_sign_in(t), home=False)


def not_found(t: Translator) -> str:
    return _message(
        t, t("Page not found"), [t("There is no such page, or it is not one you may see.")], home=True
    )


def bad_request(t: Translator, message: str) -> str:
    return _message(t, t("That request could not be understood"), [message], home=True)


def unavailable(t: Translator) -> str:
    why = t("It could not reach its data just now. Try again in a minute.")
    return _message(t, t("The dashboard is unavailable"), [why], home=False)


def overview(viewer: Viewer, standings: list[ChannelStanding], words: str, now: datetime) -> str:
    t = translator(viewer.language)
    return _page(
        "overview.html",
        t,
        viewer=viewer,
        nav_quarter=quarter_url(*quarter_of(now)),
        title=t("Overview"),
        standings=standings,
        idle=[s for s in standings if s.produced_nothing],
        words=words,
        updated=t("Updated {when} (UTC)", when=t.when(now.astimezone(UTC))),
    )


def channel(
    viewer: Viewer, page: ChannelPage, flt: DeliverableFilter, periods: list[Period], now: datetime
) -> str:
    t = translator(viewer.language)
    s = page.standing
    query = filter_query(flt)
    csv_url = channel_path(s.channel.key.channel_id) + ".csv" + (f"?{query}" if query else "")
    return _page(
        "channel.html",
        t,
        viewer=viewer,
        nav_quarter=quarter_url(*quarter_of(now)),
        title=Words(t).channel_name(s.channel),
        s=s,
        tz=s.charter.tz,
        page=page,
        flt=flt,
        selected_period=flt.period.start.isoformat() if flt.period else "",
        periods=sorted(periods, key=lambda p: p.start, reverse=True),  # newest first, as the table is
        statuses=FILTER_STATUSES,
        csv_url=csv_url,
        action=channel_path(s.channel.key.channel_id),
    )


def quarter(viewer: Viewer, report: QuarterReport) -> str:
    t = translator(viewer.language)
    w = Words(t)
    here = (report.year, report.quarter)
    last_day = (report.end - timedelta(microseconds=1)).date()
    return _page(
        "quarter.html",
        t,
        viewer=viewer,
        nav_quarter=quarter_url(*here),
        title=t("Quarter report: {quarter}", quarter=w.quarter_name(*here)),
        report=report,
        dates=t.span(report.start.date(), last_day) + " (UTC)",
        previous=(w.quarter_name(*shift_quarter(*here, -1)), quarter_url(*shift_quarter(*here, -1))),
        following=(w.quarter_name(*shift_quarter(*here, 1)), quarter_url(*shift_quarter(*here, 1))),
        rows=type_rows,
    )


def quarter_state(produced: int, declared: int | None) -> str:
    if declared is None:
        return "produced"
    if produced >= declared:
        return "met"
    return "nothing" if produced == 0 else "behind"


def type_rows(cq: ChannelQuarter) -> list[tuple[str, int, int | None, str]]:
    """(label, produced, declared or None, state) for each declared type, then any retired
    type that still produced in the quarter."""
    charter = cq.standing.charter
    keys = [ot.key for ot in charter.types]
    keys += sorted(k for k in cq.produced if k not in keys)
    rows = []
    for k in keys:
        produced, declared = cq.produced.get(k, 0), cq.declared.get(k)
        rows.append((type_label(charter, k), produced, declared, quarter_state(produced, declared)))
    return rows
