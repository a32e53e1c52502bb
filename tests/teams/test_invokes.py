"""Invokes answer 200 with their body (the 4.17 defect fixed), and the setup card."""

from __future__ import annotations

from typing import Any

from botbuilder.core import InvokeResponse
from botbuilder.integration.aiohttp import CloudAdapter

from adapters.teams.adapter import response
from tests.teams.conftest import ADMIN, Teams
from tests.teams.test_capture import declare


def test_the_sdk_itself_cannot_send_a_dict_body() -> None:
    """What the fix is for: 4.17's own path fails on the dict bodies its handler produces."""
    import pytest
    from botbuilder.core import serializer_helper

    assert CloudAdapter.process  # the SDK method whose serialisation we replace
    with pytest.raises(AttributeError, match="is_xml_model"):
        serializer_helper({"task": {"type": "message", "value": "hi"}})
    fixed = response(InvokeResponse(status=200, body={"task": {"type": "message", "value": "hi"}}))
    assert fixed.status == 200 and fixed.text == '{"task": {"type": "message", "value": "hi"}}'


async def test_fetch_task_submit_action_and_card_action_answer_200_with_their_body(teams: Teams) -> None:
    await declare(teams)
    fetch = await teams.post("fetch_task_message")
    assert fetch.status == 200 and (await fetch.json())["task"]["type"] == "continue"
    submit = await teams.post("submit_action_message")
    assert submit.status == 200 and (await submit.json())["task"]["type"] == "message"
    card = await teams.post(setup_action(teams, {"purpose": ""}))
    assert card.status == 200
    body = await card.json()
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"


def setup_action(teams: Teams, values: dict[str, str], user: str = ADMIN) -> dict[str, Any]:
    a = teams.activity("adaptive_card_action")
    a["value"]["action"]["data"].update(values)
    a["from"] = {"id": f"29:{user}", "aadObjectId": user}
    return a


async def test_setup_sends_a_card_form(teams: Teams) -> None:
    await teams.command("setup")
    [card] = teams.connector.cards()
    ids = [b.get("id") for b in card["body"] if b.get("type") == "Input.Text"]
    assert ids == ["purpose", "types", "schedule", "timezone", "language"]
    [action] = card["actions"]
    assert action["type"] == "Action.Execute" and action["data"]["outputs"] == "setup"


async def test_setup_card_errors_are_shown_on_the_card(teams: Teams) -> None:
    values = {
        "purpose": "",
        "types": "bad line with no label",
        "schedule": "someday",
        "timezone": "UTC",
        "language": "en",
    }
    resp = await teams.post(setup_action(teams, values))
    card = (await resp.json())["value"]
    inputs = {b["id"]: b for b in card["body"] if b.get("type") == "Input.Text"}
    assert "errorMessage" in inputs["purpose"] and "errorMessage" in inputs["schedule"]
    assert inputs["types"]["value"] == "bad line with no label"  # what was typed is kept
    assert any(b.get("color") == "Attention" for b in card["body"])


async def test_setup_card_writes_the_charter(teams: Teams) -> None:
    values = {
        "purpose": "We ship answers",
        "types": 'answer "Answer" fields=question',
        "schedule": "fri 16:00",
        "timezone": "Europe/Paris",
        "language": "fr",
    }
    resp = await teams.post(setup_action(teams, values))
    card = (await resp.json())["value"]
    text = " ".join(b.get("text", "") for b in card["body"])
    assert "We ship answers" in text
    charters = await teams.app.repo.list_charters("teams")
    assert [c.purpose for c in charters] == ["We ship answers"] and charters[0].language == "fr"


async def test_setup_card_from_a_non_owner_changes_nothing(teams: Teams) -> None:
    values = {"purpose": "Mine now", "types": "", "schedule": "off", "timezone": "UTC", "language": "en"}
    resp = await teams.post(setup_action(teams, values, user="member-aad-id"))
    assert resp.status == 200
    text = " ".join(b.get("text", "") for b in (await resp.json())["value"]["body"])
    assert "Only owners" in text
    assert await teams.app.repo.list_charters("teams") == []


async def test_unknown_invokes_get_an_empty_200(teams: Teams) -> None:
    for name in ["composeExtension/query", "task/fetch", "signin/verifyState", "made/up"]:
        a = teams.activity("fetch_task_message", name=name)
        resp = await teams.post(a)
        assert resp.status == 200, name
