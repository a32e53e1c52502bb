"""Teams' share of /metrics: activities by type, connector errors and retries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.events import Audience, Reply
from storage.database import Database
from tests.ship.helpers import total, value
from tests.teams.conftest import Teams, anonymous_settings, start_teams
from tests.teams.test_proactive import GENERAL, KEY


@pytest.fixture(autouse=True)
def _quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("adapters.teams.adapter.BACKOFF_SECONDS", 0.001)


@pytest.fixture
async def teams(sqlite_db: Database) -> AsyncIterator[Teams]:
    async for t in start_teams(sqlite_db, anonymous_settings()):
        yield t


async def metrics(teams: Teams) -> str:
    resp = await teams.client.get("/metrics")
    assert resp.status == 200
    return await resp.text()


async def test_activities_are_counted_by_type(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    await teams.command("help")
    text = await metrics(teams)
    requests = "outputs_requests_total"
    assert value(text, requests, platform="teams", kind="conversationUpdate", status="200") == 1
    assert value(text, requests, platform="teams", kind="message", status="200") == 1
    assert value(text, "outputs_ack_seconds_count", platform="teams") == 2


async def test_connector_retries_and_errors_are_counted(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    teams.connector.fail_next = [429, 503]
    await teams.server.poster.post(Reply(Audience.CHANNEL, GENERAL, "hello"), KEY)
    text = await metrics(teams)
    assert value(text, "outputs_platform_api_retries_total", platform="teams", reason="ratelimited") == 1
    assert value(text, "outputs_platform_api_retries_total", platform="teams", reason="http_503") == 1
    assert total(text, "outputs_platform_api_errors_total", platform="teams") == 0  # delivered in the end

    teams.connector.fail_next = [503] * 10
    with pytest.raises(Exception):  # noqa: B017  # msrest's HttpOperationError
        await teams.server.poster.post(Reply(Audience.CHANNEL, GENERAL, "hello"), KEY)
    text = await metrics(teams)
    assert value(text, "outputs_platform_api_errors_total", platform="teams", error="http_503") == 1
