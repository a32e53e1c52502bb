"""Search shows a private chat's deliverables to its members only, whatever the chat's id.

Chats whose ids are too long for the tables are keyed by a digest (`convert.channel_id`);
the membership question must still reach the connector with the chat's real id."""

from __future__ import annotations

from typing import Any

from adapters.teams import convert
from tests.teams.conftest import ADMIN, Teams

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
# A meeting chat's id as Teams gives it: longer than the 64 characters a channel key keeps.
LONG_CHAT = "19:meeting_MjdhNjM4YzUtYzExZi00OTFkLTkzYTAtNTVlNmZmMDhiZmRj@thread.v2"
SHORT_CHAT = "19:2f3e1b0c5a@thread.v2"
MEMBER, STRANGER = "member-aad-id", "stranger-aad-id"


def in_chat(teams: Teams, chat: str, text: str, user: str) -> dict[str, Any]:
    a = teams.activity("message_channel_mention")
    a["conversation"] = {"isGroup": True, "conversationType": "groupChat", "tenantId": TENANT, "id": chat}
    a["channelData"] = {"tenant": {"id": TENANT}}
    a["text"] = f"<at>Outputs</at> {text}"
    a["from"] = {"id": f"29:{user}", "name": user.title(), "aadObjectId": user}
    return a


async def record_in(teams: Teams, chat: str) -> None:
    for line in [
        "purpose Our meeting's decisions",
        'type add decision "Decision"',
        "deliver decision Move the launch to March",
    ]:
        await teams.post(in_chat(teams, chat, line, ADMIN))
    teams.connector.calls.clear()


async def search_as(teams: Teams, user: str) -> str:
    teams.connector.calls.clear()
    await teams.command("search launch", user=user)
    return " ".join(teams.connector.texts())


def asked_about(teams: Teams) -> list[str]:
    return [c.conversation for c in teams.connector.calls if "/members/" in c.path]


async def test_a_long_chat_id_is_keyed_by_a_digest() -> None:
    assert convert.channel_id({"conversation": {"id": LONG_CHAT}}).startswith("~")


async def test_members_of_a_long_id_chat_see_its_deliverables_in_search(teams: Teams) -> None:
    await record_in(teams, LONG_CHAT)
    teams.connector.members[LONG_CHAT] = {MEMBER}
    assert "Move the launch to March" in await search_as(teams, MEMBER)
    assert asked_about(teams) == [LONG_CHAT]  # the chat's real id, not its digest


async def test_others_still_do_not_see_them(teams: Teams) -> None:
    await record_in(teams, LONG_CHAT)
    teams.connector.members[LONG_CHAT] = {MEMBER}
    said = await search_as(teams, STRANGER)
    assert "Move the launch" not in said and asked_about(teams) == [LONG_CHAT]


async def test_without_a_stored_reference_a_long_id_chat_stays_hidden(teams: Teams) -> None:
    await record_in(teams, LONG_CHAT)
    teams.connector.members[LONG_CHAT] = {MEMBER}
    key = convert.key_of({"conversation": {"id": LONG_CHAT, "tenantId": TENANT}})
    await teams.server.refs.forget("teams", TENANT, [key.channel_id])
    assert "Move the launch" not in await search_as(teams, MEMBER)
    assert asked_about(teams) == []  # nothing to ask the connector about


async def test_short_chat_ids_are_asked_about_as_they_are(teams: Teams) -> None:
    await record_in(teams, SHORT_CHAT)
    teams.connector.members[SHORT_CHAT] = {MEMBER}
    assert "Move the launch to March" in await search_as(teams, MEMBER)
    assert asked_about(teams) == [SHORT_CHAT]
