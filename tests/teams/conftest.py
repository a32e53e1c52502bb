"""The real Teams server (aiohttp app from `serve`) against a fake Bot Framework connector.

`teams` posts recorded activities over HTTP to `/api/messages`, with their `serviceUrl`
pointed at the fake connector, on a real SQLite / PostgreSQL database. The inbox's workers
run beside the server, as `serve` runs them; `Teams.post` waits until they have worked what
the request kept.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from adapters.http import build_web_app
from adapters.platform import inbox_workers
from adapters.teams.server import TeamsServer
from app.bootstrap import App, assemble
from bot.config import Settings, load_settings
from bot.inbox import Workers
from storage.database import Database
from tests.clock import FakeClock
from tests.teams.fake_connector import FakeConnector

FIXTURES = Path(__file__).parent / "fixtures"
ADMIN = "admin-aad-id"
# Edits and deletions carry the id of the message they are about; every other activity Teams
# sends has an id of its own, which a delivery of it again keeps.
ABOUT_A_MESSAGE = ("messageUpdate", "messageDelete")


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class Teams:
    """One Teams deployment under test: the server, its client and the fake connector."""

    def __init__(
        self,
        server: TeamsServer,
        client: TestClient,
        connector: FakeConnector,
        url: str,
        app: App,
        workers: Workers,
        clock: FakeClock,
    ):
        self.server = server
        self.clock = clock
        self.client = client
        self.connector = connector
        self.service_url = url
        self.app = app
        self.workers = workers

    def activity(self, fixture_name: str, /, **changes: Any) -> dict[str, Any]:
        """A recorded activity, with an id of its own (unless it is about a message)."""
        a = copy.deepcopy(fixture(fixture_name))
        a["serviceUrl"] = self.service_url
        if a.get("type") not in ABOUT_A_MESSAGE and a.get("id"):
            a["id"] = f"{a['id']}-{uuid.uuid4().hex[:8]}"
        a.update(changes)
        return a

    async def post(
        self, activity: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> ClientResponse:
        body = self.activity(activity) if isinstance(activity, str) else activity
        resp = await self.client.post("/api/messages", json=body, headers=headers or {})
        await resp.read()
        await self.settle()
        return resp

    async def settle(self) -> None:
        """Wait until the inbox's workers have worked everything kept."""
        await self.workers.drain()

    async def command(
        self, text: str, user: str = ADMIN, name: str = "message_channel_mention"
    ) -> ClientResponse:
        a = self.activity(name)
        a["text"] = f"<at>Outputs</at> {text}" if name == "message_channel_mention" else text
        a["from"] = {"id": f"29:{user}", "name": user.title(), "aadObjectId": user}
        return await self.post(a)


async def start_teams(db: Database, settings: Settings, **server_options: Any) -> AsyncIterator[Teams]:
    connector = FakeConnector()
    fake = TestServer(connector.app())
    await fake.start_server()
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # a Monday
    app = assemble(settings, db, clock)
    server = TeamsServer(app, settings, graph_url=str(fake.make_url("/graph")), **server_options)
    client = TestClient(TestServer(build_web_app(app, [server])))
    await client.start_server()
    workers = inbox_workers(app, [server])
    workers.start()
    try:
        yield Teams(server, client, connector, str(fake.make_url("/")), app, workers, clock)
    finally:
        await workers.stop()
        await server.stop()
        await client.close()
        await fake.close()


def anonymous_settings(**env: str) -> Settings:
    return load_settings(
        env={
            "OUTPUTS_TEAMS__ALLOW_UNAUTHENTICATED": "true",
            "OUTPUTS_ACCESS__ADMINS": json.dumps([ADMIN]),
            **env,
        }
    )


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their number and order; only the waits between them shrink."""
    monkeypatch.setattr("adapters.teams.adapter.BACKOFF_SECONDS", 0.001)


@pytest.fixture
async def teams(db: Database) -> AsyncIterator[Teams]:
    async for t in start_teams(db, anonymous_settings()):
        yield t


# A team whose owners Graph knows (resource-specific consent): the first channel has the
# team's id, and Graph names its group and owner.
TEAM = "19:efa9296d959346209fea44151c742e73@thread.skype"
GROUP = "02ce3874-dd86-41ba-bddc-013f34019978"
OWNER = "owner-aad-id"
graph_tokens: list[str] = []  # the tenants a Graph token was asked for


async def _graph_token(tenant: str) -> str:
    graph_tokens.append(tenant)
    return "graph-token"


@pytest.fixture
async def with_graph(db: Database) -> AsyncIterator[Teams]:
    async for t in start_teams(db, anonymous_settings(), graph_token=_graph_token):
        t.connector.team_groups[TEAM] = GROUP
        t.connector.team_owners[GROUP] = {OWNER}
        yield t
