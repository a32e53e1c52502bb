"""The dashboard's pages rendered from hand-built directory facts (the engine's contract)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatch
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from adapters.dashboard import charts, render
from bot.charter import ChannelKey, Charter, FieldSpec, OutputType, Target
from bot.deliverable import Deliverable, Status, Via
from bot.directory import (
    ChannelPage,
    ChannelQuarter,
    ChannelStanding,
    DeliverableFilter,
    QuarterReport,
    TypeStanding,
    Viewer,
)
from bot.i18n import translator
from bot.periods import period_at, periods_back
from bot.ports import ChannelInfo

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PERMALINK = "https://acme.slack.com/archives/C1/p1764669600000100"
HOSTILE = '<script>alert("x")</script>'


def key(channel_id: str) -> ChannelKey:
    return ChannelKey(platform="slack", workspace_id="T1", channel_id=channel_id)


def viewer(language: str = "en") -> Viewer:
    return Viewer(platform="slack", workspace_id="T1", user_id="U1", language=language,
                  private_channels=frozenset({"C2"}))


def standing(channel_id: str, name: str, history: tuple[int, ...], *, private: bool = False,
             purpose: str = "Ship the weekly newsletter") -> ChannelStanding:
    charter = Charter(
        channel=key(channel_id),
        purpose=purpose,
        timezone="Europe/Paris",
        types=(
            OutputType(key="post", label="Blog post", emoji="memo", description="Long form",
                       fields=(FieldSpec(name="url"), FieldSpec(name="audience", required=False)),
                       target=Target(count=2, per="week")),
            OutputType(key="talk", label="Talk", target=Target(count=1, per="month")),
            OutputType(key="idea", label="Idea"),
        ),
    )
    period = period_at(charter.effective_schedule, charter.tz, NOW)
    periods = tuple(periods_back(charter.effective_schedule, charter.tz, period, len(history)))
    zeros = tuple(0 for _ in history)
    return ChannelStanding(
        channel=ChannelInfo(key=key(channel_id), name=name, is_private=private),
        charter=charter,
        period=period,
        periods=periods,
        types=(
            TypeStanding(type=charter.types[0], produced=history[-1], history=history),
            TypeStanding(type=charter.types[1], produced=0, history=zeros),
            TypeStanding(type=charter.types[2], produced=0, history=zeros),
        ),
    )


def deliverable(n: int, **changes: object) -> Deliverable:
    values: dict[str, object] = dict(
        id=n, channel=key("C1"), type="post", status=Status.COMPLETE, title=f"Post number {n}",
        author_id=f"U{n}00", tagged_by="U1", via=Via.REACTION, permalink=PERMALINK,
        fields={"url": "https://example.org/post", "audience": "all"},
        created_at=NOW - timedelta(days=n), completed_at=NOW - timedelta(days=n, hours=-1),
    )
    values.update(changes)
    return Deliverable.model_validate(values)


class Collector(HTMLParser):
    """Every tag with its attributes, and the page's visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    return c


@pytest.fixture
def busy() -> ChannelStanding:
    return standing("C1", "newsletter", (1, 0, 2, 3, 0, 1, 2, 2, 4, 1, 0, 3))


@pytest.fixture
def idle() -> ChannelStanding:
    return standing("C2", "secret-plans", (0,) * 12, private=True, purpose=HOSTILE)


def test_overview_lists_every_channel_with_its_link_types_targets_and_chart(busy, idle):
    html = render.overview(viewer(), [busy, idle], "", NOW)
    page = parse(html)
    hrefs = [a.get("href") for tag, a in page.tags if tag == "a"]
    assert "/dashboard/channels/C1" in hrefs and "/dashboard/channels/C2" in hrefs
    assert "#newsletter" in html and "#secret-plans" in html
    assert "Ship the weekly newsletter" in html
    assert "Blog post" in html and "2 per week" in html and "1 per month" in html
    assert html.count('role="img"') == 2
    # this period: 3 of 2 posts is met, no talk against a monthly target is nothing
    assert "✓</span> met" in html and "✗</span> nothing" in html and "no target" in html
    assert '<html lang="en">' in html


def test_channels_producing_nothing_are_listed_apart(busy, idle):
    html = render.overview(viewer(), [busy, idle], "", NOW)
    section = html.split('id="idle-heading"', 1)[1]
    assert "#secret-plans" in section and "#newsletter" not in section
    assert "private" in section


def test_a_purpose_is_escaped_never_run(idle):
    html = render.overview(viewer(), [idle], "", NOW)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_search_words_are_kept_in_the_form_and_escaped(busy):
    html = render.overview(viewer(), [busy], '"><b>news', NOW)
    assert 'value="&#34;&gt;&lt;b&gt;news"' in html
    assert "<b>news" not in html
    forms = [a for tag, a in parse(html).tags if tag == "form"]
    assert {"method": "get", "action": "/dashboard", "class": "search", "role": "search"} in forms


def test_the_chart_has_a_text_alternative_and_its_figures_in_a_table(busy):
    html = render.overview(viewer(), [busy], "", NOW)
    svg = html[html.index("<svg"):html.index("</svg>")]
    label = re.search(r'aria-label="([^"]+)"', svg)
    assert label and "12 periods: 19 complete in all, 3 in the latest." in label.group(1)
    assert "Declared: 2.2 per period." in label.group(1)  # 2/week + 1/month spread over the weeks
    assert "<title>" in svg
    table = html[html.index('<div class="visually-hidden"><table class="chart-data">'):]
    rows = re.findall(r'<tr><th scope="row">[^<]+</th><td>(\d+)</td>', table.split("</table>")[0])
    assert rows == ["1", "0", "2", "3", "0", "1", "2", "2", "4", "1", "0", "3"]
    # the tallest bar (4) reaches the top of the plot; a period with nothing draws no bar
    assert svg.count('class="bar"') == 1 + 9  # the legend's swatch and the non-empty periods


def test_a_chart_without_history_says_so_in_words():
    t = translator("en")
    html = charts.period_chart(t, "Nothing yet", [], [], [], 0.0)
    assert "<svg" not in html and "0 periods: 0 complete in all" in html


def test_the_chart_refuses_mismatched_series():
    with pytest.raises(ValueError):
        charts.period_chart(translator("en"), "x", ["a"], [], [1], 0.0)


def test_pages_load_nothing_from_another_host(busy, idle):
    page = ChannelPage(standing=busy, deliverables=(deliverable(1), deliverable(2)), total=2)
    pages = [
        render.overview(viewer(), [busy, idle], "", NOW),
        render.channel(viewer(), page, DeliverableFilter(), list(busy.periods), NOW),
        render.quarter(viewer(), quarter_report(busy)),
        render.unauthorized(translator("en")),
    ]
    for html in pages:
        parsed = parse(html)
        for tag, attrs in parsed.tags:
            # the deliverables' own permalinks are the only web addresses in any attribute
            for name, value in attrs.items():
                if value and re.search(r"https?://", value):
                    assert (tag, name, value) == ("a", "href", PERMALINK)
            assert "style" not in attrs, tag
            assert tag not in ("script", "style", "iframe", "img")
            if tag == "link":
                assert attrs["href"] in (render.STYLESHEET, "data:,")


def test_the_stylesheet_fetches_nothing():
    css = (render.TEMPLATES.parent / "static" / "dashboard.css").read_text(encoding="utf-8")
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert not re.search(r"https?:", css)


def test_a_field_value_that_looks_like_a_link_is_text_not_a_link(busy):
    page = ChannelPage(standing=busy, deliverables=(deliverable(1),), total=1)
    html = render.channel(viewer(), page, DeliverableFilter(), [], NOW)
    hrefs = [a.get("href") for tag, a in parse(html).tags if tag == "a"]
    assert PERMALINK in hrefs and "https://example.org/post" not in hrefs
    assert "https://example.org/post" in html  # shown as the field's value


def test_channel_page_shows_the_deliverables_filters_and_csv_of_the_same_query(busy):
    chosen = busy.periods[-2]
    flt = DeliverableFilter(type="post", status=Status.COMPLETE, period=chosen, words="launch & co")
    page = ChannelPage(
        standing=busy,
        deliverables=(deliverable(1), deliverable(2, permalink=None, title="", author_id=None)),
        total=7,
    )
    html = render.channel(viewer(), page, flt, list(busy.periods), NOW)
    parsed = parse(html)
    csv = [a["href"] for tag, a in parsed.tags if tag == "a" and ".csv" in (a.get("href") or "")]
    assert len(csv) == 1
    path, query = urlsplit(csv[0])[2:4]
    assert path == "/dashboard/channels/C1.csv"
    assert parse_qs(query) == {
        "type": ["post"], "status": ["complete"], "period": [chosen.start.isoformat()], "q": ["launch & co"]
    }
    assert "2 of 7 shown" in html
    selected = [a.get("value") for tag, a in parsed.tags if tag == "option" and "selected" in a]
    assert selected == ["post", "complete", chosen.start.isoformat()]
    assert 'value="launch &amp; co"' in html
    hrefs = [a.get("href") for tag, a in parsed.tags if tag == "a"]
    assert hrefs.count(PERMALINK) == 1  # the second has no permalink: its title is plain text
    assert "(no text)" in html and "<code>U1</code>" in html  # tagger stands in for no author
    assert "<code>U100</code>" in html and "Blog post" in html and "audience" in html
    assert "/dashboard" in hrefs


def test_an_empty_filter_links_the_whole_csv(busy):
    page = ChannelPage(standing=busy, deliverables=(), total=0)
    html = render.channel(viewer(), page, DeliverableFilter(), list(busy.periods), NOW)
    assert 'href="/dashboard/channels/C1.csv"' in html
    assert "No deliverable matches." in html


def test_a_teams_channel_id_stays_one_path_segment():
    assert render.channel_path("19:abc@thread.tacv2") == "/dashboard/channels/19%3Aabc%40thread.tacv2"


def test_a_permalink_that_is_not_a_web_address_is_not_a_link(busy):
    hostile = deliverable(1, permalink="javascript:alert(1)")
    page = ChannelPage(standing=busy, deliverables=(hostile,), total=1)
    html = render.channel(viewer(), page, DeliverableFilter(), [], NOW)
    assert "javascript:" not in html


def quarter_report(s: ChannelStanding) -> QuarterReport:
    cq = ChannelQuarter(
        standing=s,
        produced={"post": 19, "talk": 0, "retired": 2},
        declared={"post": 26, "talk": 3},
        notable=(deliverable(1), deliverable(3)),
        contributors=(("U100", 5), ("U300", 1)),
    )
    return QuarterReport(year=2026, quarter=4, start=datetime(2026, 10, 1, tzinfo=UTC),
                         end=datetime(2027, 1, 1, tzinfo=UTC), channels=(cq,))


def test_quarter_report_has_types_notable_contributors_and_neighbouring_quarters(busy):
    html = render.quarter(viewer(), quarter_report(busy))
    assert "Quarter report: Q4 2026" in html
    hrefs = [a.get("href") for tag, a in parse(html).tags if tag == "a"]
    assert "/dashboard/quarter?q=2026-Q3" in hrefs and "/dashboard/quarter?q=2027-Q1" in hrefs
    rows = re.findall(
        r'<th scope="row">([^<]+)</th>\s*<td class="num">(\d+)</td>\s*<td class="num">([^<]+)</td>', html
    )
    assert rows == [("Blog post", "19", "26"), ("Talk", "0", "3"), ("Idea", "0", "–"), ("retired", "2", "–")]
    states = re.findall(r'<span class="state state-(\w+)">', html)
    assert states == ["behind", "nothing", "produced", "produced"]
    assert "<code>U100</code> — 5 complete deliverables" in html
    assert "<code>U300</code> — 1 complete deliverable" in html
    assert hrefs.count(PERMALINK) == 2 and 'role="img"' in html


def test_quarter_numbers_wrap_around_the_year():
    assert render.shift_quarter(2026, 1, -1) == (2025, 4)
    assert render.shift_quarter(2026, 4, 1) == (2027, 1)
    assert render.quarter_of(NOW) == (2026, 4)


def test_french_pages_are_in_french(busy, idle):
    html = render.overview(viewer("fr"), [busy, idle], "", NOW)
    assert '<html lang="fr">' in html
    for french in ("Déconnexion", "Canaux qui ne produisent rien", "2 par semaine", "atteint", "privé"):
        assert french in html, french
    for english in ("Sign out", "Channels producing nothing", "per week"):
        assert english not in html, english
    page = ChannelPage(standing=busy, deliverables=(deliverable(1),), total=4)
    html = render.channel(viewer("fr"), page, DeliverableFilter(), list(busy.periods), NOW)
    assert "1 affiché sur 4" in html and "CSV de ce qui est affiché" in html
    html = render.quarter(viewer("fr"), quarter_report(busy))
    assert "T4 2026" in html and "Trimestre précédent" in html


@pytest.mark.parametrize(
    "page",
    [
        lambda t: render.unauthorized(t),
        lambda t: render.signed_out(t),
        lambda t: render.not_found(t),
        lambda t: render.bad_request(t, "bad <period>"),
        lambda t: render.unavailable(t),
    ],
)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_message_pages_are_complete_and_show_no_navigation(page, lang):
    html = page(translator(lang))
    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert f'<html lang="{lang}">' in html
    assert "/dashboard/signout" not in html and "<nav" not in html
    assert "<period>" not in html


def test_the_401_page_tells_how_to_get_a_link():
    html = render.unauthorized(translator("en"))
    assert "/outputs dashboard" in html and "Teams" in html
    assert "/outputs dashboard" in render.unauthorized(translator("fr"))


def test_signed_in_pages_offer_sign_out_by_post(busy):
    html = render.overview(viewer(), [busy], "", NOW)
    forms = [a for tag, a in parse(html).tags if tag == "form"]
    assert {"class": "sign-out", "method": "post", "action": "/dashboard/signout"} in forms


def test_templates_and_stylesheet_ship_in_the_package():
    root = render.TEMPLATES.parents[2]
    with (root / "pyproject.toml").open("rb") as fh:
        patterns = tomllib.load(fh)["tool"]["setuptools"]["package-data"]["adapters"]
    dashboard = render.TEMPLATES.parent
    files = [p for p in dashboard.rglob("*") if p.is_file() and p.suffix in (".html", ".css")]
    assert len(files) > 5
    for path in files:
        relative = path.relative_to(dashboard.parent).as_posix()
        assert any(fnmatch(relative, p) for p in patterns), relative


def test_a_history_longer_than_its_periods_is_cut_to_the_periods(busy):
    longer = replace(busy, periods=busy.periods[-4:])
    html = str(charts.standing_chart(translator("en"), longer))
    assert "4 periods: 8 complete in all, 3 in the latest." in html  # the last four: 4 + 1 + 0 + 3
