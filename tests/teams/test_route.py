"""Rule 8 on Teams: a completed deliverable of a routed type is announced, once, in the route
channel, through the conversation reference the bot stored when it was installed there.

Two channels of one team: General (the route; the bot was added to the team there, so its
reference is stored) and Support, where deliverables are captured. Everything goes over
HTTP into the real server; posts are read back from the fake connector.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest

from bot.charter import ChannelKey
from bot.deliverable import Status
from tests.teams.conftest import ADMIN, Teams

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
TEAM = "19:efa9296d959346209fea44151c742e73@thread.skype"
GENERAL = TEAM  # a team's first channel has the team's id
SUPPORT = "19:4a1e2b3c4d5e46f7a8b9c0d1e2f3a4b5@thread.tacv2"
NOWHERE = "19:0f9e8d7c6b5a49382716f5e4d3c2b1a0@thread.tacv2"  # the bot was never added there
SUPPORT_KEY = ChannelKey(platform="teams", workspace_id=TENANT, channel_id=SUPPORT)
DELIVER = 'deliver solution Login loop fixed problem="Login loop" fix="Clear the cookie"'
MESSAGE_LINK = f"https://teams.microsoft.com/l/message/{SUPPORT}/1111111111"


def in_support(activity: dict[str, Any], message_id: str = "1111111111") -> dict[str, Any]:
    """The activity as if it came from the Support channel of the fixtures' team."""
    a = copy.deepcopy(activity)
    a["conversation"] = {
        "isGroup": True,
        "conversationType": "channel",
        "id": f"{SUPPORT};messageid={message_id}",
        "tenantId": TENANT,
    }
    data = a.setdefault("channelData", {})
    data["channel"] = {"id": SUPPORT, "name": "Support"}
    data["team"] = {"id": TEAM}
    data["tenant"] = {"id": TENANT}
    data.pop("teamsChannelId", None)
    return a


async def say(teams: Teams, text: str, user: str = ADMIN) -> str:
    """`@Outputs <text>` typed in Support; returns what the bot answered there."""
    before = len(teams.connector.activities())
    a = in_support(teams.activity("message_channel_mention"))
    a["text"] = f"<at>Outputs</at> {text}"
    a["from"] = {"id": f"29:{user}", "name": user.title(), "aadObjectId": user}
    resp = await teams.post(a)
    assert resp.status == 200
    return "\n".join(str(c.body.get("text") or c.body) for c in teams.connector.activities()[before:])


def record(teams: Teams, problem: str, fix: str, message_id: str = "1111111111") -> dict[str, Any]:
    """The message action "Record as deliverable" on a Support message, as a `solution`."""
    a = in_support(teams.activity("submit_action_message"), message_id)
    payload = a["value"]["messagePayload"]
    payload["id"] = message_id
    payload["linkToMessage"] = f"https://teams.microsoft.com/l/message/{SUPPORT}/{message_id}"
    a["value"]["data"] = {
        "outputs": "capture",
        "type": "solution",
        "field:solution:problem": problem,
        "field:solution:fix": fix,
    }
    return a


def announcements(teams: Teams, channel: str = GENERAL) -> list[str]:
    return [
        str(c.body.get("text") or "")
        for c in teams.connector.activities()
        if c.conversation == channel and "New Problem solved" in str(c.body.get("text") or "")
    ]


async def declare(teams: Teams, route: str, expected: str | None = None) -> None:
    await teams.post("conversation_update_bot_added")  # the bot joins the team: General's reference
    await say(teams, "purpose We solve customer problems")
    answer = await say(teams, f'type add solution "Problem solved" fields=problem,fix route={route}')
    assert "Declared output type" in answer, answer
    charter = await teams.app.repo.get_charter(SUPPORT_KEY)
    assert charter is not None and charter.types[0].route == (expected or route.split("#")[1][:-4])
    teams.connector.calls.clear()


def channel_ref(channel: str) -> str:
    """`<#19:…>` as Teams sends it when typed: its message text is HTML, `<` arrives escaped."""
    return f"&lt;#{channel}&gt;"


@pytest.fixture
async def routed(teams: Teams) -> Teams:
    await declare(teams, channel_ref(GENERAL))
    return teams


async def test_a_complete_capture_is_announced_in_the_route_channel(routed: Teams) -> None:
    resp = await routed.post(record(routed, "Login loop", "Clear the cookie"))
    assert resp.status == 200
    body = await resp.json()
    assert "#1" in body["task"]["value"]
    [d] = await routed.app.repo.list_deliverables(SUPPORT_KEY)
    assert d.status is Status.COMPLETE
    [text] = announcements(routed)
    assert "#Support" in text and MESSAGE_LINK in text
    # the channel itself (its stored reference), not a thread of it; nothing else was posted there
    assert [c.conversation for c in routed.connector.activities() if GENERAL in c.conversation] == [GENERAL]


async def test_a_complete_deliver_command_is_announced_too(routed: Teams) -> None:
    answer = await say(routed, DELIVER)
    assert "Recorded" in answer
    assert len(announcements(routed)) == 1


async def test_a_draft_is_announced_only_once_completed(routed: Teams) -> None:
    await routed.post(record(routed, "Login loop", ""))
    [d] = await routed.app.repo.list_deliverables(SUPPORT_KEY)
    assert d.status is Status.DRAFT
    assert announcements(routed) == []
    answer = await say(routed, f'complete {d.id} fix="Clear the cookie"')
    assert "Updated" in answer
    [text] = announcements(routed)
    assert "Problem solved" in text and MESSAGE_LINK in text


async def test_announced_once(routed: Teams) -> None:
    await routed.post(record(routed, "Login loop", "Clear the cookie"))
    await routed.post(record(routed, "Login loop", "Clear the cookie"))  # the same message again
    [d] = await routed.app.repo.list_deliverables(SUPPORT_KEY)
    await say(routed, f'complete {d.id} fix="Clear the cookies and retry"')  # completed again
    assert len(announcements(routed)) == 1
    await routed.post(record(routed, "Crash on save", "Update", message_id="2222222222"))
    assert len(announcements(routed)) == 2  # another deliverable: its own announcement


async def test_a_route_channel_without_reference_fails_the_announcement_not_the_capture(
    teams: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    await declare(teams, channel_ref(NOWHERE))
    with caplog.at_level(logging.WARNING):
        resp = await teams.post(record(teams, "Login loop", "Clear the cookie"))
    assert resp.status == 200
    body = await resp.json()
    assert "#1" in body["task"]["value"]
    [d] = await teams.app.repo.list_deliverables(SUPPORT_KEY)
    assert d.status is Status.COMPLETE
    assert not [c for c in teams.connector.activities() if c.conversation == NOWHERE]
    assert "no conversation reference" in caplog.text and NOWHERE in caplog.text
    assert told_it_failed(teams)


async def test_the_same_with_a_command(teams: Teams, caplog: pytest.LogCaptureFixture) -> None:
    await declare(teams, channel_ref(NOWHERE))
    with caplog.at_level(logging.WARNING):
        answer = await say(teams, DELIVER)
    assert "Recorded" in answer
    [d] = await teams.app.repo.list_deliverables(SUPPORT_KEY)
    assert d.status is Status.COMPLETE
    assert "no conversation reference" in caplog.text and NOWHERE in caplog.text
    assert told_it_failed(teams)


def told_it_failed(teams: Teams) -> bool:
    """The person who captured it hears, privately, that the announcement did not go out."""
    return any(
        f"I could not post in {NOWHERE}: Outputs is not in that channel" in text.replace("`", "")
        for text in teams.connector.texts()
    )


async def test_a_route_by_channel_name_once_the_bot_knows_the_name(teams: Teams) -> None:
    await teams.command("help")  # someone spoke to the bot in General: its name is known
    await declare(teams, "#General", expected=GENERAL)
    await teams.post(record(teams, "Login loop", "Clear the cookie"))
    assert len(announcements(teams)) == 1


async def test_a_route_by_channel_mention(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    await say(teams, "purpose We solve customer problems")
    a = in_support(teams.activity("message_channel_mention"))
    a["text"] = '<at>Outputs</at> type add solution "Problem solved" route=<at>General</at>'
    a["from"] = {"id": "29:admin", "aadObjectId": ADMIN}
    a["entities"].append(
        {"type": "mention", "text": "<at>General</at>", "mentioned": {"id": GENERAL, "name": "General"}}
    )
    await teams.post(a)
    charter = await teams.app.repo.get_charter(SUPPORT_KEY)
    assert charter is not None and charter.types and charter.types[0].route == GENERAL
