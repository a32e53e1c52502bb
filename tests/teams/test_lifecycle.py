"""Installation, members, removal: references kept and forgotten, the setup hint said once."""

from __future__ import annotations

from bot.charter import ChannelKey
from tests.teams.conftest import Teams

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
GENERAL = "19:efa9296d959346209fea44151c742e73@thread.skype"


def key(channel: str = GENERAL, tenant: str = TENANT) -> ChannelKey:
    return ChannelKey(platform="teams", workspace_id=tenant, channel_id=channel)


async def test_bot_added_to_a_team_stores_the_reference_and_says_once_how_to_set_up(teams: Teams) -> None:
    resp = await teams.post("conversation_update_bot_added")
    assert resp.status == 200
    ref = await teams.server.refs.get(key())
    assert ref is not None and ref.reference["conversation"]["id"] == GENERAL
    assert ref.service_url == teams.service_url
    [hint] = teams.connector.activities()
    assert hint.conversation == GENERAL and "@Outputs setup" in hint.body["text"]
    await teams.post("conversation_update_bot_added")  # Teams may send it again
    await teams.post("installation_update_add")
    hints = [t for t in teams.connector.texts() if "@Outputs setup" in t]
    assert len(hints) == 2  # once per channel: the installation's channel is another one


async def test_a_new_member_gets_the_charter_privately(teams: Teams) -> None:
    await teams.command("purpose We solve customer problems")
    await teams.command('type add solution "Problem solved"')
    teams.connector.calls.clear()
    await teams.post("conversation_update_member_added")
    [created] = [c for c in teams.connector.calls if c.path == "/v3/conversations"]
    assert created.body["members"][0]["id"].startswith("29:")
    [welcome] = teams.connector.activities()
    assert welcome.conversation.startswith("a:personal-") and "Welcome" in welcome.body["text"]


async def test_removal_forgets_every_reference_of_the_team(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    other = teams.activity("message_channel_mention")
    other["conversation"]["id"] = "19:other-channel@thread.skype"
    other["channelData"]["channel"] = {"id": "19:other-channel@thread.skype"}
    await teams.post(other)
    assert len(await teams.server.refs.list("teams", TENANT)) == 2
    await teams.post("conversation_update_bot_removed")
    assert await teams.server.refs.list("teams", TENANT) == []


async def test_uninstall_forgets_the_reference(teams: Teams) -> None:
    await teams.post("installation_update_add")
    tenant = "5d9a8ec1-04c5-4ea8-a3e5-0ec1e1ae4dc5"
    assert len(await teams.server.refs.list("teams", tenant)) == 1
    await teams.post("installation_update_remove")
    assert await teams.server.refs.list("teams", tenant) == []
