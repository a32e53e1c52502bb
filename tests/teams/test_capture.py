""" "Record as deliverable": the message action's dialog and its submission."""

from __future__ import annotations

from typing import Any

from bot.charter import ChannelKey
from tests.teams.conftest import ADMIN, Teams

TENANT = "0d9b645f-597b-41f0-a2a3-ef103fbd91bb"
CHANNEL = "19:6decf54d86d945e4b3924b63a9161a78@thread.skype"


async def declare(teams: Teams) -> None:
    """The charter of the fixtures' channel, declared with commands typed there."""
    for line in [
        "purpose We solve customer problems",
        'type add solution "Problem solved" fields=problem,fix target=3/week',
        'type add idea "Product idea"',
    ]:
        a = teams.activity("fetch_task_message")
        msg = teams.activity("message_channel_mention")
        msg["conversation"] = a["conversation"]
        msg["channelData"] = a["channelData"]
        msg["text"] = f"<at>Outputs</at> {line}"
        msg["from"] = {"id": "29:admin", "aadObjectId": ADMIN}
        await teams.post(msg)
    teams.connector.calls.clear()


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["id"]: b for b in card["body"] if b.get("type", "").startswith("Input.")}


async def test_fetch_task_shows_the_declared_types_and_fields_prefilled(teams: Teams) -> None:
    await declare(teams)
    resp = await teams.post("fetch_task_message")
    assert resp.status == 200
    body = await resp.json()
    task = body["task"]
    assert task["type"] == "continue"
    card = task["value"]["card"]["content"]
    assert card["version"] == "1.5"
    fields = inputs(card)
    assert [c["value"] for c in fields["type"]["choices"]] == ["solution", "idea"]
    # the first field of a type is prefilled with the message's text, mentions as names
    assert fields["field:solution:problem"]["value"] == "@Testing outgoing Webhook-Nikitha - Hi"
    assert fields["field:solution:fix"]["value"] == ""


async def test_fetch_task_in_a_channel_without_charter_says_how_to_set_one_up(teams: Teams) -> None:
    resp = await teams.post("fetch_task_message")
    body = await resp.json()
    assert body["task"]["type"] == "message"
    assert "@Outputs setup" in body["task"]["value"]


async def test_submit_action_records_the_message_with_its_id_author_text_and_link(teams: Teams) -> None:
    await declare(teams)
    resp = await teams.post("submit_action_message")
    assert resp.status == 200
    body = await resp.json()
    assert body["task"]["type"] == "message"
    assert "#1" in body["task"]["value"] and "draft" in body["task"]["value"]
    [d] = await teams.app.repo.list_deliverables(
        ChannelKey(platform="teams", workspace_id=TENANT, channel_id=CHANNEL)
    )
    assert d.message_id == "1111111111"
    assert d.author_id == "wxyz12ab8-ab12-cd34-ef56-098abc123876"
    assert d.tagged_by == "b130c271-d2eb-45f9-83ab-9eb3fe3788bc"
    assert d.text == "This is the message the messaging extension was invoked from."
    assert d.permalink and d.permalink.startswith("https://teams.microsoft.com/l/message/")
    assert d.via.value == "message_action" and d.fields == {"problem": "Login loop"}
    # the draft's form is sent privately, as a card the tagger completes
    [form] = teams.connector.cards()
    assert {"problem", "fix"} <= set(inputs(form))
    assert teams.connector.activities()[0].conversation.startswith("a:personal-")


async def test_submitting_twice_is_one_deliverable(teams: Teams) -> None:
    await declare(teams)
    await teams.post("submit_action_message")
    resp = await teams.post("submit_action_message")
    assert "Already recorded" in (await resp.json())["task"]["value"]
    key = ChannelKey(platform="teams", workspace_id=TENANT, channel_id=CHANNEL)
    assert len(await teams.app.repo.list_deliverables(key)) == 1


async def test_undeclared_type_is_refused_with_the_declared_ones(teams: Teams) -> None:
    await declare(teams)
    a = teams.activity("submit_action_message")
    a["value"]["data"] = {"outputs": "capture", "type": "nonsense"}
    body = await (await teams.post(a)).json()
    assert "solution" in body["task"]["value"] and "idea" in body["task"]["value"]


async def test_deliver_command_works_too(teams: Teams) -> None:
    await declare(teams)
    a = teams.activity("message_channel_mention")
    f = teams.activity("fetch_task_message")
    a["conversation"], a["channelData"] = f["conversation"], f["channelData"]
    a["text"] = "<at>Outputs</at> deliver idea Dark mode for the portal"
    await teams.post(a)
    assert any("Recorded" in t for t in teams.connector.texts())
