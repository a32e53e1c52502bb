"""Who sees what on the dashboard, over real HTTP: one's own workspace only, a private
channel only when a member (docs/rules.md rule 12), and a hidden channel answered exactly
as one that does not exist."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestClient, TestServer

from adapters.http import build_web_app
from app.bootstrap import assemble
from bot.config import load_settings
from bot.export import FIELDS
from bot.periods import period_at
from bot.ports import ChannelInfo
from storage.database import Database
from tests.dashboard.site import W2, Site, key, open_site

PUBLIC = ("C1", "alpha", "Alpha ships the weekly newsletter")
PRIVATE = ("C2", "hush", "Hush plans the reorganisation")
HIDDEN_WORDS = ("hush", "reorganisation", "Deliverable of hush")


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with open_site(db) as s:
        await s.channel(*PUBLIC)
        await s.channel(*PRIVATE, private=True)
        await s.channel("C7", "gamma", "Gamma answers the other workspace's customers", workspace=W2)
        yield s


def shows_none_of(body: str, words: tuple[str, ...]) -> bool:
    return not any(w in body for w in words)


async def test_a_session_of_another_workspace_sees_none_of_its_channels(site: Site) -> None:
    w2 = await site.sign_in(user="U1", workspace=W2, private=frozenset({"C2"}))
    overview = await site.page("/dashboard", w2)
    assert "Gamma" in overview and shows_none_of(overview, ("alpha", "newsletter", *HIDDEN_WORDS))
    searched = await site.page("/dashboard", w2, {"q": "newsletter"})
    assert shows_none_of(searched, ("alpha", "Alpha ships"))
    quarter = await site.page("/dashboard/quarter", w2)
    assert shows_none_of(quarter, ("alpha", "newsletter", *HIDDEN_WORDS))
    unknown = await site.get("/dashboard/channels/C404", w2)
    for path in ("/dashboard/channels/C1", "/dashboard/channels/C2", "/dashboard/channels/C1.csv"):
        resp = await site.get(path, w2)
        assert resp.status == 404
        assert await resp.text() == await unknown.text()


async def test_a_private_channel_is_hidden_from_a_non_member(site: Site) -> None:
    outsider = await site.sign_in(user="U2")
    overview = await site.page("/dashboard", outsider)
    assert "newsletter" in overview and shows_none_of(overview, HIDDEN_WORDS)
    searched = await site.page("/dashboard", outsider, {"q": "plans"})  # the words are shown back
    assert shows_none_of(searched, HIDDEN_WORDS)
    quarter = await site.page("/dashboard/quarter", outsider)
    assert "newsletter" in quarter and shows_none_of(quarter, HIDDEN_WORDS)
    unknown = await site.get("/dashboard/channels/C404", outsider)
    unknown_csv = await site.get("/dashboard/channels/C404.csv", outsider)
    page = await site.get("/dashboard/channels/C2", outsider)
    sheet = await site.get("/dashboard/channels/C2.csv", outsider)
    assert (page.status, sheet.status, unknown.status, unknown_csv.status) == (404, 404, 404, 404)
    assert await page.text() == await unknown.text()
    assert await sheet.text() == await unknown_csv.text()
    # a filter that cannot be read tells nothing either: the channel is not found first
    bad = await site.get("/dashboard/channels/C2", outsider, {"period": "soon"})
    assert bad.status == 404


async def test_a_private_channel_is_shown_to_a_member(site: Site) -> None:
    member = await site.sign_in(user="U3", private=frozenset({"C2"}))
    assert "reorganisation" in await site.page("/dashboard", member)
    assert "reorganisation" in await site.page("/dashboard", member, {"q": "plans"})
    assert "reorganisation" in await site.page("/dashboard/quarter", member)
    assert "Deliverable of hush" in await site.page("/dashboard/channels/C2", member)
    rows = list(csv.reader(io.StringIO(await site.page("/dashboard/channels/C2.csv", member))))
    assert [r[FIELDS.index("title")] for r in rows[1:]] == ["Deliverable of hush"]


async def test_a_channel_without_a_charter_is_not_found(site: Site) -> None:
    await site.app.repo.upsert_channel(ChannelInfo(key=key("C3"), name="plain", is_private=False))
    session = await site.sign_in()
    unknown = await site.get("/dashboard/channels/C404", session)
    resp = await site.get("/dashboard/channels/C3", session)
    assert resp.status == 404 and await resp.text() == await unknown.text()


async def test_the_csv_holds_what_the_page_selects_in_the_export_format(site: Site) -> None:
    session = await site.sign_in()
    resp = await site.get("/dashboard/channels/C1.csv", session)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="outputs-alpha.csv"'
    rows = list(csv.reader(io.StringIO(await resp.text())))
    assert tuple(rows[0]) == FIELDS
    assert [(r[FIELDS.index("channel_id")], r[FIELDS.index("status")]) for r in rows[1:]] == [
        ("C1", "complete")
    ]
    drafts = await site.page("/dashboard/channels/C1.csv", session, {"status": "draft"})
    assert list(csv.reader(io.StringIO(drafts))) == [list(FIELDS)]


async def test_a_period_is_the_digest_period_holding_the_instant_given(site: Site) -> None:
    session = await site.sign_in()
    charter = await site.app.repo.get_charter(key("C1"))
    assert charter is not None
    now = period_at(charter.effective_schedule, charter.tz, site.clock.now())
    earlier = period_at(charter.effective_schedule, charter.tz, now.start - timedelta(days=7))
    this_week = await site.page("/dashboard/channels/C1.csv", session, {"period": now.start.isoformat()})
    last_week = await site.page("/dashboard/channels/C1.csv", session, {"period": earlier.start.isoformat()})
    assert len(list(csv.reader(io.StringIO(this_week)))) == 2
    assert len(list(csv.reader(io.StringIO(last_week)))) == 1
    # an instant inside the period selects it too
    inside = await site.page(
        "/dashboard/channels/C1.csv", session, {"period": (now.start + timedelta(days=2)).isoformat()}
    )
    assert len(list(csv.reader(io.StringIO(inside)))) == 2


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/dashboard/channels/C1", {"status": "bogus"}),
        ("/dashboard/channels/C1", {"period": "last tuesday"}),
        ("/dashboard/channels/C1", {"period": "2026-11-20T16:00:00"}),  # no offset: which zone?
        ("/dashboard/channels/C1.csv", {"period": "0001-01-01T00:00:00+00:00"}),
        ("/dashboard/quarter", {"q": "2026-Q7"}),
        ("/dashboard/quarter", {"q": "Q4"}),
        ("/dashboard/quarter", {"q": "99999-Q1"}),
    ],
)
async def test_a_value_that_cannot_be_read_is_a_400_page(
    site: Site, path: str, params: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    session = await site.sign_in()
    resp = await site.get(path, session, params)
    body = await resp.text()
    assert resp.status == 400 and "<html" in body and "Traceback" not in body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize(
    "params",
    [
        {"type": "no-such-type"},
        {"q": "x" * 5000},
        {"status": "COMPLETE"},
        {"q": "\"'<>%"},
        {"q": "a\x00b", "type": "\x00"},
        {"q": "\ud800 🚀 مرحبا"},
    ],
)
async def test_odd_but_readable_values_answer_200(site: Site, params: dict[str, str]) -> None:
    session = await site.sign_in()
    await site.page("/dashboard/channels/C1", session, params)
    await site.page("/dashboard", session, {"q": params.get("q", "")})


@pytest.mark.parametrize("channel_id", ["%00", "C1%00", "x" * 300, "%F0%9F%9A%80", "..", "C1.csv.csv"])
async def test_an_odd_channel_id_is_not_found(
    site: Site, channel_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    session = await site.sign_in()
    for path in (f"/dashboard/channels/{channel_id}", f"/dashboard/channels/{channel_id}.csv"):
        resp = await site.get(path, session)
        assert resp.status == 404, path
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_quarter_asked_for_is_shown(site: Site) -> None:
    session = await site.sign_in()
    assert "newsletter" in await site.page("/dashboard/quarter", session, {"q": "2026-Q4"})
    assert (await site.get("/dashboard/quarter", session, {"q": "2025-q1"})).status == 200


async def test_the_database_away_is_a_503_page_without_an_error_log(caplog: pytest.LogCaptureFixture) -> None:
    env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/outputs", "OUTPUTS_CONFIG": ""}
    settings = load_settings(env=env)
    app = assemble(settings, Database(settings.database.url))
    http = TestClient(TestServer(build_web_app(app, [])), cookie_jar=DummyCookieJar())
    await http.start_server()
    try:
        for path in ("/dashboard", "/dashboard/channels/C1", "/dashboard/quarter"):
            resp = await http.get(path, headers={"Cookie": "outputs_session=whoever"})
            body = await resp.text()
            assert resp.status == 503 and "<html" in body and "Traceback" not in body
            assert resp.headers["Cache-Control"] == "no-store"
        resp = await http.get("/dashboard/signin", params={"token": "whatever"})
        assert resp.status == 503
    finally:
        await http.close()
        await app.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_stylesheet_needs_no_session(site: Site) -> None:
    resp = await site.get("/dashboard/static/dashboard.css")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/css")
    assert len(await resp.read()) > 0
