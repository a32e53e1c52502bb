"""The dashboard over real HTTP: the real aiohttp application on a real database, a clock
the test moves, and a few chartered channels in two workspaces.

Cookies are carried by hand (no cookie jar): a test says which session it presents, and a
forged or stale one is just another string.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import ClientResponse, DummyCookieJar
from aiohttp.test_utils import TestClient, TestServer

from adapters.http import build_web_app
from app.bootstrap import App, assemble
from bot import signin
from bot.charter import ChannelKey, Charter, OutputType, Target
from bot.config import load_settings
from bot.context import Services
from bot.deliverable import NewDeliverable, Status, Via, make_title
from bot.directory import Viewer
from bot.ports import ChannelInfo
from storage.database import Database
from tests.clock import FakeClock
from tests.engine.harness import PLATFORM

PUBLIC_URL = "https://outputs.example"
W1, W2 = "T1", "T2"
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, in 2026-Q4
COOKIE = "outputs_session"
SESSION_COOKIE = re.compile(rf"{COOKIE}=([^;]*)")


def key(channel_id: str, workspace: str = W1) -> ChannelKey:
    return ChannelKey(platform=PLATFORM, workspace_id=workspace, channel_id=channel_id)


@dataclass
class Site:
    app: App
    http: TestClient
    clock: FakeClock

    @property
    def services(self) -> Services:
        return self.app.engine.services

    async def channel(
        self, channel_id: str, name: str, purpose: str, *, private: bool = False, workspace: str = W1
    ) -> None:
        """A chartered channel with one complete deliverable, titled after the channel."""
        repo = self.app.repo
        ch = key(channel_id, workspace)
        await repo.upsert_channel(ChannelInfo(key=ch, name=name, is_private=private))
        charter = Charter(
            channel=ch,
            purpose=purpose,
            owners=("UOWNER",),
            types=(OutputType(key="solution", label="Problem solved", target=Target(count=2)),),
            created_at=self.clock.now(),
        )
        await repo.save_charter(charter, "UOWNER", "test", self.clock.now())
        text = f"Deliverable of {name}"
        await repo.capture(
            NewDeliverable(
                channel=ch,
                type="solution",
                status=Status.COMPLETE,
                title=make_title(text, {}),
                text=text,
                author_id="U9",
                tagged_by="U9",
                via=Via.COMMAND,
                permalink=None,
                message_id=None,
                thread_id=None,
                fields={},
                created_at=self.clock.now(),
                completed_at=self.clock.now(),
            )
        )

    async def link(
        self, user: str = "U1", workspace: str = W1, private: frozenset[str] = frozenset(), lang: str = "en"
    ) -> str:
        viewer = Viewer(PLATFORM, workspace, user, lang, private)
        return await signin.issue_link(self.services, viewer)

    async def open_link(self, token: str) -> ClientResponse:
        return await self.http.get("/dashboard/signin", params={"token": token}, allow_redirects=False)

    async def sign_in(self, **who: object) -> str:
        """A new session's cookie value, through the sign-in link as a browser opens it."""
        resp = await self.open_link(await self.link(**who))  # type: ignore[arg-type]
        assert resp.status == 303, await resp.text()
        return session_of(resp)

    async def get(
        self, path: str, session: str | None = None, params: Mapping[str, str] | None = None
    ) -> ClientResponse:
        headers = {"Cookie": f"{COOKIE}={session}"} if session is not None else {}
        return await self.http.get(path, headers=headers, params=params, allow_redirects=False)

    async def page(self, path: str, session: str | None, params: Mapping[str, str] | None = None) -> str:
        """The body of a page that must answer 200."""
        resp = await self.get(path, session, params)
        body = await resp.text()
        assert resp.status == 200, (resp.status, body)
        return body


def session_of(resp: ClientResponse) -> str:
    found = [m.group(1) for h in resp.headers.getall("Set-Cookie", []) if (m := SESSION_COOKIE.match(h))]
    assert len(found) == 1, resp.headers
    return found[0]


@asynccontextmanager
async def open_site(db: Database, clock: FakeClock | None = None) -> AsyncIterator[Site]:
    env = {"DATABASE_URL": db.url, "OUTPUTS_CONFIG": "", "OUTPUTS_SERVER__PUBLIC_URL": PUBLIC_URL}
    clock = clock or FakeClock(NOW)
    app = assemble(load_settings(env=env), db, clock)
    http = TestClient(TestServer(build_web_app(app, [])), cookie_jar=DummyCookieJar())
    await http.start_server()
    try:
        yield Site(app, http, clock)
    finally:
        await http.close()
