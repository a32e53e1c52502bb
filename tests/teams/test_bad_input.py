"""Malformed activities, unknown types and invokes, missing fields: 4xx or an empty 200."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.teams.adapter import MAX_BODY_BYTES
from tests.teams.conftest import Teams


async def raw(teams: Teams, data: bytes, content_type: str = "application/json") -> int:
    resp = await teams.client.post("/api/messages", data=data, headers={"Content-Type": content_type})
    await resp.read()
    return resp.status


async def test_bodies_that_are_not_activities_get_4xx(teams: Teams) -> None:
    assert await raw(teams, b"{not json") == 400
    assert await raw(teams, b"\xff\xfe") == 400
    assert await raw(teams, b"[1, 2]") == 400
    assert await raw(teams, b'"text"') == 400
    assert await raw(teams, b"{}") == 400
    assert await raw(teams, b"type=message", "application/x-www-form-urlencoded") == 415
    assert await raw(teams, b'{"type": "message", "text": "' + b"x" * MAX_BODY_BYTES + b'"}') in (400, 413)
    get = await teams.client.get("/api/messages")
    assert get.status == 405


@pytest.mark.parametrize(
    "change",
    [
        {"type": None},
        {"type": 12},
        {"conversation": None},
        {"conversation": {"name": "no id"}},
        {"serviceUrl": None},
        {"serviceUrl": "ftp://nope"},
        {"from": "someone"},
        {"channelId": ["msteams"]},
    ],
)
async def test_missing_or_odd_required_fields_get_400(teams: Teams, change: dict[str, Any]) -> None:
    a = teams.activity("message_channel_mention", **change)
    resp = await teams.post(a)
    assert resp.status == 400
    assert teams.connector.calls == []


@pytest.mark.parametrize(
    "change",
    [
        {"type": "messageReaction", "reactionsAdded": [{"type": "like"}]},
        {"type": "typing"},
        {"type": "endOfConversation"},
        {"type": "event", "name": "application/vnd.microsoft.meetingStart"},
        {"type": "somethingNew"},
        {"type": "message", "text": None, "entities": None},
        {"type": "message", "value": {"outputs": "setup"}, "text": ""},
        {"type": "message", "value": {"outputs": "fields", "deliverable": "x"}, "text": ""},
        {"type": "message", "text": "<at>Outputs</at> " + "é" * 40_000},
        {"type": "message", "text": "<at>Outputs</at> deliver x \"'; DROP TABLE charters; --"},
        {"type": "conversationUpdate", "membersAdded": "everyone"},
        {"type": "installationUpdate", "action": None},
        {"type": "invoke", "name": "composeExtension/fetchTask", "value": None},
        {"type": "invoke", "name": "composeExtension/submitAction", "value": {"data": "oops"}},
        {"type": "invoke", "name": "adaptiveCard/action", "value": {"action": "oops"}},
        {"type": "invoke", "name": None},
        {"from": {}},
        {"entities": [{"type": "mention"}, "junk", 3]},
    ],
)
async def test_unknown_or_odd_activities_get_200_or_400_never_5xx(
    teams: Teams, change: dict[str, Any]
) -> None:
    a = teams.activity("message_channel_mention", **change)
    resp = await teams.post(a)
    # 400 when the SDK cannot even read it as an activity (a list where an object belongs)
    assert resp.status in (200, 400), await resp.text()
