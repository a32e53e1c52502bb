"""The dashboard in a real headless Chromium, served by the real aiohttp app on a real database.

Signed in through a one-time link as a person would be, the browser loads the overview, a
channel page (and filters it), the quarter report (on screen and as printed) and the
overview at phone width. Any console error (a Content-Security-Policy violation is one), page
error, failed request or error answer fails the test. Screenshots are kept under
tests/artifacts/ for a person to look at.

Chromium is the Debian package (`/usr/bin/chromium`), never a download: without it the test
is skipped, except in CI, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from adapters.http import build_web_app
from app.bootstrap import App, assemble
from bot import signin
from bot.charter import ChannelKey, Charter, FieldSpec, OutputType, Target
from bot.config import load_settings
from bot.deliverable import NewDeliverable, Status, Via
from bot.directory import Viewer
from bot.ports import ChannelInfo
from storage.database import Database
from tests.clock import FakeClock

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
PLATFORM, WORKSPACE = "slack", "T1"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="chromium not found (apt-get install chromium); the browser test needs a real one",
)


def key(channel_id: str) -> ChannelKey:
    return ChannelKey(platform=PLATFORM, workspace_id=WORKSPACE, channel_id=channel_id)


async def seed(app: App) -> None:
    repo = app.repo
    channels = [
        ChannelInfo(key=key("C1"), name="newsletter"),
        ChannelInfo(key=key("C2"), name="secret-plans", is_private=True),
        ChannelInfo(key=key("C3"), name="quiet-corner"),
    ]
    types = (
        OutputType(key="post", label="Blog post", emoji="memo", fields=(FieldSpec(name="url"),),
                   target=Target(count=2, per="week")),
        OutputType(key="talk", label="Talk", emoji="microphone", target=Target(count=1, per="month")),
    )
    for info, purpose in zip(channels, ["Ship the weekly newsletter", '<script>alert("x")</script> plans',
                                        "Say little"], strict=True):
        await repo.upsert_channel(info)
        charter = Charter(channel=info.key, purpose=purpose, timezone="Europe/Paris", owners=("U1",),
                          types=types)
        await repo.save_charter(charter, "U1", "set up", NOW - timedelta(days=120))
    for n in range(30):
        created = NOW - timedelta(days=3 * n, hours=2)
        complete = n % 4 != 3
        await repo.capture(NewDeliverable(
            channel=key("C1" if n % 5 else "C2"),
            type="post" if n % 3 else "talk",
            status=Status.COMPLETE if complete else Status.DRAFT,
            title=f"Deliverable number {n}",
            text=f"Deliverable number {n}",
            author_id=f"U{n % 4 + 1}",
            tagged_by="U1",
            via=Via.REACTION,
            permalink=f"https://acme.slack.com/archives/C1/p{1764669600000000 + n}",
            message_id=f"1764669600.{n:06d}",
            thread_id=None,
            fields={"url": f"https://example.org/{n}"} if complete else {},
            created_at=created,
            completed_at=created + timedelta(hours=1) if complete else None,
        ))


@dataclass
class Watch:
    """Everything that went wrong while pages loaded."""

    problems: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: m.type in ("error", "warning") and self.problems.append(
            f"console {m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.problems.append(f"{r.status}: {r.url}"))


@pytest.fixture
async def server(db: Database) -> AsyncIterator[tuple[App, str]]:
    if CHROMIUM is None:
        pytest.fail("CI is set and chromium is not installed: .ci/run installs it")
    settings = load_settings(env={"DATABASE_URL": db.url, "OUTPUTS_CONFIG": ""})
    app = assemble(settings, db, FakeClock(NOW))
    await seed(app)
    srv = TestServer(build_web_app(app, []), host="127.0.0.1")
    await srv.start_server()
    try:
        yield app, str(srv.make_url("")).rstrip("/")
    finally:
        await srv.close()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        # Chromium refuses to start its sandbox as root (containers, CI)
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        b = await p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield b
        finally:
            await b.close()


async def sign_in(app: App, base: str, context: Any, language: str = "en") -> Any:
    viewer = Viewer(platform=PLATFORM, workspace_id=WORKSPACE, user_id="U1", language=language,
                    private_channels=frozenset({"C2"}))
    token = await signin.issue_link(app.engine.services, viewer)
    page = await context.new_page()
    response = await page.goto(f"{base}/dashboard/signin?token={token}")
    assert page.url == f"{base}/dashboard"
    # the policy the pages are checked against: a violation of it is a console error
    assert "default-src 'none'" in (await response.all_headers())["content-security-policy"]
    return page


async def charts_drawn(page: Any) -> int:
    """How many chart SVGs have a box of their own on the page (width and height > 0)."""
    sizes = await page.eval_on_selector_all(
        "svg.chart-svg",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })",
    )
    assert sizes and all(w > 0 and h > 0 for w, h in sizes), sizes
    return len(sizes)


async def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-{name}.png"), full_page=True)


async def test_the_dashboard_in_a_real_browser(server, browser, backend):
    app, base = server
    watch = Watch()
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.on("page", watch.attach)
    page = await sign_in(app, base, context)

    # the overview: three channels, each with its chart; the private one escaped, not run
    assert await page.text_content("h1") == "Overview"
    assert await charts_drawn(page) == 3
    assert "<script>" in (await page.text_content("body") or "")
    assert await page.locator("#idle-heading + p + ul.idle li").all_text_contents() == ["#quiet-corner"]
    # the keyboard's first stop is the skip link, and it is visibly outlined
    await page.keyboard.press("Tab")
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert await page.evaluate("document.activeElement.className") == "skip-link" and outline == "solid"
    await shot(page, f"overview-{backend}")

    # a channel page, then filtered through its form
    await page.click("a[href='/dashboard/channels/C1']")
    assert await page.text_content("h1") == "#newsletter"
    assert await charts_drawn(page) == 1
    rows = await page.locator("table.deliverables tbody tr").count()
    assert rows > 0
    await page.select_option("#f-type", "post")
    await page.select_option("#f-status", "complete")
    await page.click(".filters button[type=submit]")
    assert "type=post" in page.url and "status=complete" in page.url
    statuses = await page.locator("table.deliverables tbody td:nth-child(3)").all_text_contents()
    assert statuses and set(statuses) == {"complete"}
    permalink = await page.get_attribute("table.deliverables tbody tr:first-child td:first-child a", "href")
    assert permalink and permalink.startswith("https://acme.slack.com/archives/C1/")
    csv_href = await page.get_attribute("a[download]", "href")
    assert csv_href and csv_href.startswith("/dashboard/channels/C1.csv?") and "type=post" in csv_href
    csv = await context.request.get(base + csv_href)
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    assert len((await csv.text()).strip().splitlines()) == len(statuses) + 1  # a header and what is shown
    await shot(page, f"channel-{backend}")

    # the quarter report, on screen and as printed: no navigation, no forms
    await page.click(".site-nav a[href^='/dashboard/quarter']")
    assert (await page.text_content("h1") or "").startswith("Quarter report: Q4 2026")
    assert await charts_drawn(page) == 3
    await shot(page, f"quarter-{backend}")
    await page.emulate_media(media="print")
    assert not await page.is_visible(".site-nav") and not await page.is_visible(".sign-out")
    assert not await page.is_visible(".quarters")
    await shot(page, f"quarter-print-{backend}")
    breaks = await page.eval_on_selector_all(
        ".quarter-channel", "els => els.map(e => getComputedStyle(e).breakBefore)"
    )
    assert breaks == ["auto", "page", "page"]  # each channel after the first starts a page
    pdf = await page.pdf(path=str(ARTIFACTS / f"dashboard-quarter-{backend}.pdf"), format="A4")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3
    await page.emulate_media(media="screen")

    # at phone width: one column, nothing wider than the screen
    await page.set_viewport_size(PHONE)
    await page.goto(f"{base}/dashboard")
    assert await charts_drawn(page) == 3
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    lefts = await page.eval_on_selector_all(".card", "els => els.map(e => e.getBoundingClientRect().left)")
    assert len(set(lefts)) == 1
    await shot(page, f"overview-phone-{backend}")

    await context.close()
    assert watch.problems == []


async def test_signed_out_and_french_pages_in_a_real_browser(server, browser, backend):
    app, base = server
    watch = Watch()
    context = await browser.new_context(viewport=PHONE)
    context.on("page", watch.attach)
    page = await sign_in(app, base, context, language="fr")
    assert await page.get_attribute("html", "lang") == "fr"
    assert await page.text_content("h1") == "Vue d'ensemble"
    await page.click(".sign-out button")
    assert await page.text_content("h1") == "Vous êtes déconnecté"
    await shot(page, f"signed-out-{backend}")
    await context.close()
    assert watch.problems == []
