"""Signing in to the dashboard over real HTTP: a link works once, within 10 minutes; a
session lasts 8 hours, until sign-out; without one, nothing is shown."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.signin import token_hash
from storage.database import Database
from storage.models import DashboardLinkRow, DashboardSessionRow
from storage.repository import SqlRepository
from tests.dashboard.site import COOKIE, PUBLIC_URL, W1, Site, open_site, session_of
from tests.engine.harness import Dialog

PAGES = ("/dashboard", "/dashboard/channels/C1", "/dashboard/channels/C1.csv", "/dashboard/quarter")


@pytest.fixture
async def site(db: Database) -> AsyncIterator[Site]:
    async with open_site(db) as s:
        await s.channel("C1", "alpha", "Alpha ships the weekly newsletter")
        yield s


async def test_a_link_signs_in_once_and_its_second_opening_is_refused(site: Site) -> None:
    token = await site.link()
    first = await site.open_link(token)
    assert first.status == 303 and first.headers["Location"] == "/dashboard"
    cookie = first.headers["Set-Cookie"]
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in cookie.split(";")[1:]}
    assert attributes.keys() >= {"httponly", "samesite", "path", "secure", "max-age"}
    assert attributes["samesite"] == "SameSite=Lax" and attributes["path"] == "Path=/dashboard"
    assert attributes["max-age"] == f"Max-Age={8 * 3600}"
    session = session_of(first)
    assert "alpha" in await site.page("/dashboard", session)

    second = await site.open_link(token)
    body = await second.text()
    assert second.status == 401 and "Set-Cookie" not in second.headers
    assert "alpha" not in body and "newsletter" not in body


async def test_a_link_is_refused_after_10_minutes(site: Site) -> None:
    late, in_time = await site.link(), await site.link()
    site.clock.advance(minutes=9)
    assert (await site.open_link(in_time)).status == 303
    site.clock.advance(minutes=2)
    assert (await site.open_link(late)).status == 401


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 5000])
async def test_unknown_tokens_are_refused(site: Site, token: str) -> None:
    resp = await site.open_link(token)
    assert resp.status == 401 and "Set-Cookie" not in resp.headers


async def test_a_missing_token_is_refused(site: Site) -> None:
    resp = await site.get("/dashboard/signin")
    assert resp.status == 401


async def test_two_openings_at_once_start_one_session(site: Site) -> None:
    token = await site.link()
    answers = await asyncio.gather(*(site.open_link(token) for _ in range(4)))
    assert sorted(r.status for r in answers) == [303, 401, 401, 401]
    async with site.app.db.read() as conn:
        sessions = await conn.scalar(sa.select(sa.func.count()).select_from(DashboardSessionRow))
    assert sessions == 1


@pytest.mark.parametrize("path", PAGES)
async def test_no_session_no_data(site: Site, path: str) -> None:
    resp = await site.get(path)
    body = await resp.text()
    assert resp.status == 401
    assert "alpha" not in body and "newsletter" not in body and "Deliverable" not in body
    assert "dashboard" in body  # how to get a link


@pytest.mark.parametrize("path", PAGES)
async def test_a_forged_cookie_is_refused(site: Site, path: str) -> None:
    await site.sign_in()  # a real session exists; the forged one is not it
    for forged in (secrets.token_urlsafe(32), "", "a;b", "é" * 10):
        resp = await site.get(path, forged)
        assert resp.status == 401
        assert "alpha" not in await resp.text()


async def test_a_link_token_is_not_a_session(site: Site) -> None:
    token = await site.link()
    assert (await site.get("/dashboard", token)).status == 401
    assert (await site.open_link(token)).status == 303  # and looking did not use it


async def test_a_session_ends_8_hours_after_sign_in(site: Site) -> None:
    session = await site.sign_in()
    site.clock.advance(hours=7, minutes=59)
    assert (await site.get("/dashboard", session)).status == 200
    site.clock.advance(minutes=1)
    resp = await site.get("/dashboard", session)
    assert resp.status == 401 and "alpha" not in await resp.text()


async def test_signing_out_ends_the_session(site: Site) -> None:
    session, other = await site.sign_in(), await site.sign_in()
    resp = await site.http.post("/dashboard/signout", headers={"Cookie": f"{COOKIE}={session}"})
    assert resp.status == 200
    cleared = resp.headers["Set-Cookie"]
    assert cleared.startswith(f'{COOKIE}=""') and "Max-Age=0" in cleared and "Path=/dashboard" in cleared
    for path in PAGES:
        assert (await site.get(path, session)).status == 401
    assert (await site.get("/dashboard", other)).status == 200  # another browser's session stays


async def test_signing_out_without_a_session_is_harmless(site: Site) -> None:
    resp = await site.http.post("/dashboard/signout")
    assert resp.status == 200


async def test_only_hashes_are_stored_and_expired_rows_are_swept(site: Site) -> None:
    first = await site.link()
    session = await site.sign_in()
    async with site.app.db.read() as conn:
        links = (await conn.execute(sa.select(DashboardLinkRow.token_hash))).scalars().all()
        sessions = (await conn.execute(sa.select(DashboardSessionRow.token_hash))).scalars().all()
    assert token_hash(first) in links and first not in links
    assert sessions == [token_hash(session)]

    site.clock.advance(hours=9)  # every link and the session have expired
    fresh = await site.link()  # issuing a link sweeps them
    async with site.app.db.read() as conn:
        links = (await conn.execute(sa.select(DashboardLinkRow.token_hash))).scalars().all()
        sessions = (await conn.execute(sa.select(DashboardSessionRow.token_hash))).scalars().all()
    assert links == [token_hash(fresh)] and sessions == []


async def test_every_answer_carries_the_security_headers(site: Site) -> None:
    session = await site.sign_in()
    answers = [
        await site.get("/dashboard", session),
        await site.get("/dashboard/channels/C1", session),
        await site.get("/dashboard/channels/C1.csv", session),
        await site.get("/dashboard/quarter", session),
        await site.get("/dashboard/channels/NOPE", session),
        await site.get("/dashboard/no/such/page", session),
        await site.get("/dashboard"),
        await site.get("/dashboard/static/dashboard.css"),
        await site.open_link(await site.link()),
        await site.http.post("/dashboard/quarter"),
    ]
    assert [r.status for r in answers] == [200, 200, 200, 200, 404, 404, 401, 200, 303, 405]
    for resp in answers:
        h = resp.headers
        assert h["Cache-Control"] == "no-store"
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        csp = {part.strip() for part in h["Content-Security-Policy"].split(";")}
        assert csp == {
            "default-src 'none'",
            "style-src 'self'",
            "img-src 'self' data:",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        }


async def test_the_dashboard_command_gives_a_link_that_works(db: Database) -> None:
    dialog = Dialog(SqlRepository(db), public_url=PUBLIC_URL + "/")
    dialog.workspace = W1
    async with open_site(db, dialog.clock) as site:
        await site.channel("C1", "alpha", "Alpha ships the weekly newsletter")
        await site.channel("C2", "hush", "Hush plans the reorganisation", private=True)
        dialog.gateway.members["C2"] = {"U1"}
        dialog.private = {"C2"}
        replies = await dialog.cmd("U1", "dashboard", channel="C1")
        assert len(replies) == 1 and "10 minutes" in replies[0] and "once" in replies[0]
        assert [r.user_id for r in dialog.last] == ["U1"]  # for the asker alone
        found = re.search(rf"{re.escape(PUBLIC_URL)}/dashboard/signin\?token=([A-Za-z0-9_-]+)", replies[0])
        assert found is not None, replies[0]
        resp = await site.open_link(found.group(1))
        assert resp.status == 303
        overview = await site.page("/dashboard", session_of(resp))
        # by purpose: the command, run in C1, renamed it to what the fake platform calls it
        assert "newsletter" in overview and "reorganisation" in overview  # U1 is in the private one

        outsider = await dialog.cmd("U2", "dashboard", channel="C1")
        token = re.search(r"token=([A-Za-z0-9_-]+)", outsider[0])
        assert token is not None
        resp = await site.open_link(token.group(1))
        overview = await site.page("/dashboard", session_of(resp))
        assert "newsletter" in overview and "reorganisation" not in overview


async def test_without_a_public_url_the_command_says_what_to_set(db: Database) -> None:
    dialog = Dialog(SqlRepository(db))
    [reply] = await dialog.cmd("U1", "dashboard")
    assert "public_url" in reply and "OUTPUTS_SERVER__PUBLIC_URL" in reply and "token" not in reply
