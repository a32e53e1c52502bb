"""Charts drawn on the server: inline SVG, no script, nothing fetched from anywhere.

A chart is bars of what was produced in each period and a dashed line at what was declared.
It scales with its container (a viewBox and width 100%), so it stays readable at phone
width. A picture alone tells a screen reader nothing: the SVG carries a one-sentence summary
(`role="img"`, `aria-label`, `<title>`), and a visually hidden table beside it holds every
figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from markupsafe import Markup

from bot.directory import ChannelStanding
from bot.i18n import Translator
from bot.periods import Period

WIDTH = 300
HEIGHT = 150
LEFT = 30  # room for the y-axis figures
RIGHT = 12  # half a date under the last bar
TOP = 22  # room for the legend
BOTTOM = 20  # room for the period labels
BAR_SHARE = 0.7  # of each period's slot; the rest is the gap between bars
TICK_EVERY = 3  # date every third bar, the latest included: twelve dates do not fit a phone


def _num(x: float) -> str:
    """SVG coordinates: short, and never in a locale's notation."""
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _scale_top(produced: Sequence[int], declared: float) -> int:
    return max(1, max(produced, default=0), math.ceil(declared))


def summary(t: Translator, produced: Sequence[int], declared: float) -> str:
    """The chart in one sentence: what a screen reader says instead of the picture."""
    count = len(produced)
    text = t.n(
        "{count} period: {total} complete in all, {last} in the latest.",
        "{count} periods: {total} complete in all, {last} in the latest.",
        count,
        total=t.number(sum(produced)),
        last=t.number(produced[-1] if produced else 0),
    )
    if declared:
        text += " " + t("Declared: {declared} per period.", declared=t.number(round(declared, 1)))
    return text


def period_span(t: Translator, period: Period, tz: ZoneInfo) -> str:
    """`20 – 26 Nov`: a period's local days, the last one included."""
    last = (period.end.astimezone(tz) - timedelta(microseconds=1)).date()
    return t.span(period.start.astimezone(tz).date(), last)


def standing_chart(t: Translator, s: ChannelStanding) -> Markup:
    """A channel's periods: complete deliverables in each, against what its targets declare."""
    tz = s.charter.tz
    # the series and the periods end together; should one be longer, its oldest are dropped
    n = min(len(s.periods), len(s.produced_by_period))
    periods = s.periods[len(s.periods) - n:]
    produced = s.produced_by_period[len(s.produced_by_period) - n:]
    ticks = [
        "" if (n - 1 - i) % TICK_EVERY else format_skeleton("MMMd", p.start.astimezone(tz), locale=t.locale)
        for i, p in enumerate(periods)
    ]
    return period_chart(
        t,
        t("Complete deliverables per period, against what is declared"),
        [period_span(t, p, tz) for p in periods],
        ticks,
        produced,
        s.declared_per_period,
    )


def period_chart(
    t: Translator,
    caption: str,
    labels: Sequence[str],
    ticks: Sequence[str],
    produced: Sequence[int],
    declared: float,
) -> Markup:
    """A `<figure>`: the SVG and its data table. `labels` name each period in full (the
    table), `ticks` briefly (under the bars; an empty tick leaves that bar unlabelled)."""
    if len(labels) != len(produced) or len(ticks) != len(produced):
        raise ValueError("one label, one tick and one figure per period")
    alt = summary(t, produced, declared)
    parts = [
        Markup('<figure class="chart">'),
        Markup("<figcaption>{}</figcaption>").format(caption),
        _svg(t, alt, ticks, produced, declared) if produced else Markup(""),
        _table(t, caption, labels, produced, declared) if produced else Markup(""),
        Markup('<p class="chart-summary">{}</p>').format(alt) if not produced else Markup(""),
        Markup("</figure>"),
    ]
    return Markup("").join(parts)


def _svg(t: Translator, alt: str, ticks: Sequence[str], produced: Sequence[int], declared: float) -> Markup:
    top = _scale_top(produced, declared)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    slot = plot_w / len(produced)
    bar_w = slot * BAR_SHARE

    def y(value: float) -> float:
        return base - plot_h * value / top

    out = [
        Markup(
            '<svg class="chart-svg" role="img" aria-label="{alt}" viewBox="0 0 {w} {h}" width="100%" '
            'focusable="false">'
        ).format(alt=alt, w=WIDTH, h=HEIGHT),
        Markup("<title>{}</title>").format(alt),
        # the legend: a swatch and a word each, so colour is never the only clue
        Markup('<rect class="bar" x="{x}" y="4" width="10" height="10" fill="#2f5d9e"/>').format(x=LEFT),
        Markup('<text x="{x}" y="13" font-size="11" fill="#1a1a1a">{w}</text>').format(
            x=LEFT + 14, w=t("complete")
        ),
    ]
    if declared:
        out += [
            Markup(
                '<line class="declared" x1="{a}" y1="9" x2="{b}" y2="9" stroke="#a33a00" '
                'stroke-width="2" stroke-dasharray="4 2"/>'
            ).format(a=LEFT + 90, b=LEFT + 104),
            Markup('<text x="{x}" y="13" font-size="11" fill="#1a1a1a">{w}</text>').format(
                x=LEFT + 108, w=t("declared")
            ),
        ]
    # axes: the baseline and the scale's top, each with its figure
    out += [
        Markup(
            '<line class="axis" x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="#595959" stroke-width="1"/>'
        ).format(l=LEFT, r=WIDTH - RIGHT, y=_num(base)),
        Markup(
            '<line class="grid" x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="#d0d0d0" stroke-width="1"/>'
        ).format(l=LEFT, r=WIDTH - RIGHT, y=_num(TOP)),
        Markup('<text x="{x}" y="{y}" font-size="11" text-anchor="end" fill="#1a1a1a">{v}</text>').format(
            x=LEFT - 4, y=_num(base), v=t.number(0)
        ),
        Markup('<text x="{x}" y="{y}" font-size="11" text-anchor="end" fill="#1a1a1a">{v}</text>').format(
            x=LEFT - 4, y=_num(TOP + 8), v=t.number(top)
        ),
    ]
    for i, value in enumerate(produced):
        x = LEFT + i * slot + (slot - bar_w) / 2
        if value:
            out.append(
                Markup('<rect class="bar" x="{x}" y="{y}" width="{w}" height="{h}" fill="#2f5d9e"/>').format(
                    x=_num(x), y=_num(y(value)), w=_num(bar_w), h=_num(base - y(value))
                )
            )
        if ticks[i]:
            out.append(
                Markup(
                    '<text x="{x}" y="{y}" font-size="11" text-anchor="middle" fill="#1a1a1a">{v}</text>'
                ).format(x=_num(x + bar_w / 2), y=_num(base + 14), v=ticks[i])
            )
    if declared:
        out.append(
            Markup(
                '<line class="declared" x1="{l}" y1="{y}" x2="{r}" y2="{y}" stroke="#a33a00" '
                'stroke-width="2" stroke-dasharray="4 2"/>'
            ).format(l=LEFT, r=WIDTH - RIGHT, y=_num(y(declared)))
        )
    out.append(Markup("</svg>"))
    return Markup("").join(out)


def _table(
    t: Translator, caption: str, labels: Sequence[str], produced: Sequence[int], declared: float
) -> Markup:
    rows = [
        Markup('<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>').format(
            label, t.number(value), t.number(round(declared, 1))
        )
        for label, value in zip(labels, produced, strict=True)
    ]
    return Markup(
        # hidden by its box: a table given the class itself still widens a phone's page
        '<div class="visually-hidden"><table class="chart-data"><caption>{caption}</caption>'
        '<thead><tr><th scope="col">{period}</th><th scope="col">{complete}</th>'
        '<th scope="col">{declared}</th></tr></thead><tbody>{rows}</tbody></table></div>'
    ).format(
        caption=caption,
        period=t("Period"),
        complete=t("Complete"),
        declared=t("Declared"),
        rows=Markup("").join(rows),
    )
