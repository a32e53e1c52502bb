"""The real Slack server (`build_web_app` + `SlackServer`) over real HTTP, its Web API faked.

Requests are signed exactly as Slack signs them: `v0=` + HMAC-SHA256 of `v0:{ts}:{body}`
with the signing secret, in X-Slack-Signature, beside X-Slack-Request-Timestamp.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from adapters.http import build_web_app
from adapters.platform import inbox_workers
from adapters.slack.server import SlackServer
from app.bootstrap import App, build
from bot.config import load_settings
from bot.inbox import Workers
from storage.database import Database
from tests.slack.fake_slack import FakeSlack

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-bot-token"
ADMIN = "WADMIN"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> dict[str, Any]:
    """A recorded payload (or a slash command's form fields), as a fresh copy. An event gets
    an event id of its own, as every event Slack sends has (its retries keep it)."""
    data = json.loads((FIXTURES / f"{name}.json").read_text())
    payload = copy.deepcopy(data.get("payload", data.get("form")))
    if isinstance(payload, dict) and "event_id" in payload:
        payload["event_id"] = f"Ev{uuid.uuid4().hex[:12].upper()}"
    return payload


def signature(body: str, ts: int, secret: str = SECRET) -> str:
    base = f"v0:{ts}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed(body: str, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = int(time.time()) if ts is None else ts
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": signature(body, ts, secret)}


@dataclass
class Slack:
    fake: FakeSlack
    app: App
    server: SlackServer
    http: TestClient
    workers: Workers

    @property
    def repo(self) -> Any:
        return self.app.repo

    async def post(
        self, body: str, content_type: str, headers: dict[str, str] | None = None, sign: bool = True
    ) -> ClientResponse:
        all_headers = {"Content-Type": content_type, **(signed(body) if sign else {}), **(headers or {})}
        return await self.http.post("/slack/events", data=body.encode(), headers=all_headers)

    async def event(self, payload: dict[str, Any], headers: dict[str, str] | None = None) -> ClientResponse:
        return await self.post(json.dumps(payload), "application/json", headers)

    async def interact(self, payload: dict[str, Any]) -> ClientResponse:
        return await self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )

    def command_body(self, text: str, user: str = ADMIN, channel: str = "C111") -> str:
        form = fixture("slash_command")
        form.update(
            command=self.server.settings.slack.command,
            text=text,
            user_id=user,
            channel_id=channel,
            team_id="T111",
            response_url=self.fake.response_url("cmd"),
            trigger_id=f"{uuid.uuid4().int % 10**13}.111.{uuid.uuid4().hex}",  # Slack's: one per invocation
        )
        return urlencode(form)

    async def command(self, text: str, user: str = ADMIN, channel: str = "C111") -> ClientResponse:
        resp = await self.post(self.command_body(text, user, channel), "application/x-www-form-urlencoded")
        await self.settle()
        return resp

    async def settle(self) -> None:
        await self.workers.drain()

    def replies(self) -> list[str]:
        """Texts sent back privately through response_url, oldest first."""
        return [body.get("text", "") for _, body in self.fake.responses]


def settings_env(fake: FakeSlack, url: str, **extra: str) -> dict[str, str]:
    return {
        "OUTPUTS_SLACK__API_BASE_URL": fake.api_url,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_BOT_TOKEN": TOKEN,
        "DATABASE_URL": url,
        "OUTPUTS_CONFIG": "",
        **extra,
    }


async def start_slack(fake: FakeSlack, url: str, **env: str) -> Slack:
    settings = load_settings(env=settings_env(fake, url, **env))
    app = await build(settings, url=url)
    server = SlackServer(app, settings)
    http = TestClient(TestServer(build_web_app(app, [server]), host="127.0.0.1"))
    await http.start_server()
    workers = inbox_workers(app, [server])
    workers.start()
    return Slack(fake, app, server, http, workers)


async def stop_slack(slack: Slack) -> None:
    await slack.workers.stop()
    await slack.server.stop()
    await slack.http.close()
    await slack.app.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    f = FakeSlack()
    f.users[ADMIN] = {"id": ADMIN, "name": "admin", "is_admin": True, "locale": "en-US"}
    await f.start()
    try:
        yield f
    finally:
        await f.close()


@pytest.fixture
async def slack(fake: FakeSlack, db: Database) -> AsyncIterator[Slack]:
    s = await start_slack(fake, db.url)
    try:
        yield s
    finally:
        await stop_slack(s)


async def declare(slack: Slack, *lines: str, channel: str = "C111") -> None:
    """Run owner commands (as the workspace admin) and forget their replies."""
    for line in lines:
        resp = await slack.command(line, channel=channel)
        assert resp.status == 200
    slack.fake.responses.clear()
    slack.fake.calls.clear()
