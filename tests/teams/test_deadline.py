"""Invokes are answered in time (Teams waits 5 seconds). Work kept in the inbox that its
worker has not finished by the adapter's deadline gets a "still working" answer, and its
answer comes as a message when the worker is done; opening the capture dialog, which runs in
the request, is given up past the deadline and the person is asked to open it again.

The slow step waits for the test's go-ahead, so it cannot finish before the deadline whatever
the machine's speed; nothing here asserts on durations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.charter import ChannelKey
from tests.teams.conftest import Teams
from tests.teams.test_capture import CHANNEL, TENANT, declare
from tests.teams.test_invokes import setup_action

KEY = ChannelKey(platform="teams", workspace_id=TENANT, channel_id=CHANNEL)
STILL_WORKING = "Still working on it: you will get a message when it is done."


def held(step: Callable[..., Awaitable[Any]], release: asyncio.Event) -> Callable[..., Awaitable[Any]]:
    async def slow(*args: Any, **kwargs: Any) -> Any:
        await release.wait()
        return await step(*args, **kwargs)

    return slow


async def post_now(teams: Teams, activity: dict[str, Any]) -> dict[str, Any]:
    """POST without waiting for the inbox's workers (unlike `Teams.post`)."""
    resp = await teams.client.post("/api/messages", json=activity)
    assert resp.status == 200
    body: dict[str, Any] = await resp.json()
    return body


@pytest.fixture
def release(teams: Teams) -> asyncio.Event:
    teams.server.adapter.invoke_deadline = 0.01
    return asyncio.Event()


async def test_a_slow_submit_action_answers_still_working_and_records_afterwards(
    teams: Teams, release: asyncio.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    await declare(teams)
    engine = teams.server.bot.engine
    monkeypatch.setattr(engine, "handle", held(engine.handle, release))
    body = await post_now(teams, teams.activity("submit_action_message"))
    assert body == {"task": {"type": "message", "value": STILL_WORKING}}
    assert await teams.app.repo.list_deliverables(KEY) == []  # the work is still held
    release.set()
    await teams.settle()
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.message_id == "1111111111" and d.fields == {"problem": "Login loop"}
    # what the closed dialog would have said, in the person's chat with the bot
    late = [c for c in teams.connector.activities() if "#1" in str(c.body.get("text"))]
    assert late and all(c.conversation.startswith("a:personal-") for c in late)


async def test_a_slow_card_action_answers_still_working_and_sends_its_card_afterwards(
    teams: Teams, release: asyncio.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = teams.server.bot.engine
    monkeypatch.setattr(engine, "handle", held(engine.handle, release))
    values = {
        "purpose": "We ship answers",
        "types": "",
        "schedule": "off",
        "timezone": "UTC",
        "language": "en",
    }
    body = await post_now(teams, setup_action(teams, values))
    assert body["type"] == "application/vnd.microsoft.activity.message" and body["value"] == STILL_WORKING
    release.set()
    await teams.settle()
    assert [c.purpose for c in await teams.app.repo.list_charters("teams")] == ["We ship answers"]
    [card] = teams.connector.cards()
    assert "We ship answers" in " ".join(b.get("text", "") for b in card["body"])


async def test_a_slow_fetch_task_is_given_up_and_the_person_asked_to_open_it_again(
    teams: Teams, release: asyncio.Event, monkeypatch: pytest.MonkeyPatch
) -> None:
    await declare(teams)
    repo = teams.server.bot.engine.repo
    monkeypatch.setattr(repo, "get_charter", held(repo.get_charter, release))
    a = teams.activity("fetch_task_message", locale="fr-FR")
    body = await post_now(teams, a)
    assert body["task"]["type"] == "message"
    assert body["task"]["value"] == (
        "Cela a pris trop de temps : choisissez de nouveau « Enregistrer comme livrable » sur le message."
    )
    release.set()
    await teams.settle()
    assert teams.connector.activities() == []  # the dialog is not for later: nothing else comes


async def test_work_within_the_deadline_answers_as_before(teams: Teams) -> None:
    await declare(teams)
    body = await post_now(teams, teams.activity("submit_action_message"))
    assert body["task"]["type"] == "message" and "#1" in body["task"]["value"]
    await teams.settle()
