"""`export` in Teams sends a real file: a file consent card in the person's personal chat, then,
once accepted, the bytes PUT to the upload URL Teams gave and the file's card."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientResponse

from adapters.teams.activities import onedrive_name
from adapters.teams.cards import FILE_CONSENT, FILE_INFO
from bot.export import render
from storage.database import Database
from storage.pending_files import PendingFiles
from tests.teams.conftest import ADMIN, Teams, anonymous_settings, start_teams
from tests.teams.fake_connector import Call

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CHANNEL = "19:efa9296d959346209fea44151c742e73@thread.skype"
PERSONAL = f"a:personal-29:{ADMIN}"  # the fake connector's id for the admin's personal chat
EXPIRED = "That export has expired: run `export` again."


async def export(teams: Teams, fmt: str = "csv") -> tuple[Call, dict[str, Any]]:
    """A channel with two deliverables; the admin exports it. The consent card's call and card."""
    await teams.command("purpose We solve customer problems")
    await teams.command('type add solution "Problem solved" target=3/week')
    await teams.command("deliver solution Fixed the login bug, café included")
    await teams.command('deliver solution "Sped up, the search" by 3x')
    teams.connector.calls.clear()
    await teams.command(f"export {fmt}")
    [call] = [c for c in teams.connector.activities() if c.body.get("attachments")]
    [card] = call.body["attachments"]
    teams.connector.calls.clear()
    return call, card


def answer(
    teams: Teams, name: str, token: str, card_id: str | None, user: str = ADMIN, **value: Any
) -> dict[str, Any]:
    a = teams.activity(name)
    a["from"] = {"id": f"29:{user}", "name": user.title(), "aadObjectId": user}
    a["value"]["context"] = {"token": token}
    if "uploadInfo" in a["value"]:
        a["value"]["uploadInfo"]["uploadUrl"] = f"{teams.service_url}upload/outputs.csv"
    a["value"].update(value)
    if card_id is None:
        del a["replyToId"]
    else:
        a["replyToId"] = card_id
    return a


async def accept(teams: Teams, card_call: Call, card: dict[str, Any], user: str = ADMIN) -> ClientResponse:
    token = card["content"]["acceptContext"]["token"]
    return await teams.post(answer(teams, "file_consent_accept", token, card_call.id, user))


def posted(teams: Teams) -> list[Call]:
    return [c for c in teams.connector.activities() if c.method == "POST"]


def replaced(teams: Teams) -> list[Call]:
    return [c for c in teams.connector.activities() if c.method == "PUT"]


async def assert_empty_200(resp: ClientResponse) -> None:
    assert resp.status == 200
    assert await resp.read() == b""


async def expected_csv(teams: Teams) -> bytes:
    items = await teams.app.repo.export("teams", TENANT, CHANNEL)
    assert len(items) == 2
    return render(items, "csv").encode("utf-8")


async def test_export_sends_a_consent_card_to_the_personal_chat_not_a_code_block(teams: Teams) -> None:
    call, card = await export(teams)
    assert call.conversation == PERSONAL
    assert card["contentType"] == FILE_CONSENT
    assert card["name"].endswith(".csv")
    content = card["content"]
    assert content["sizeInBytes"] == len(await expected_csv(teams))
    assert "2 deliverables exported." in content["description"]
    token = content["acceptContext"]["token"]
    assert content["acceptContext"] == content["declineContext"] == {"token": token}
    assert len(token) >= 32
    assert "```" not in (call.body.get("text") or "")


def test_file_names_are_ones_onedrive_accepts() -> None:
    assert onedrive_name("outputs-General.csv") == "outputs-General.csv"
    assert onedrive_name("outputs-19:meeting_x@thread.v2.json") == "outputs-19-meeting_x@thread.v2.json"
    assert onedrive_name('outputs-a/b\\c|d?"*<>.csv') == "outputs-a-b-c-d-----.csv"
    long = onedrive_name("outputs-" + "x" * 400 + ".csv")
    assert long.endswith(".csv") and len(long) == 204
    assert onedrive_name("...") == "outputs-export"


async def test_a_chat_without_a_name_is_exported_under_a_name_onedrive_accepts(teams: Teams) -> None:
    a = teams.activity("message_channel_mention")
    a["conversation"] = {"conversationType": "groupChat", "tenantId": TENANT, "id": "19:ab12cd@thread.v2"}
    a["channelData"] = {"tenant": {"id": TENANT}}
    a["text"] = "<at>Outputs</at> export json"
    a["from"] = {"id": f"29:{ADMIN}", "aadObjectId": ADMIN}
    await teams.post(a)
    [card] = teams.connector.attachments(FILE_CONSENT)
    assert card["name"] == "outputs-19-ab12cd@thread.v2.json"


async def test_accepting_uploads_exactly_the_csv_and_sends_the_file_card(teams: Teams) -> None:
    call, card = await export(teams)
    expected = await expected_csv(teams)
    resp = await accept(teams, call, card)
    await assert_empty_200(resp)
    [upload] = teams.connector.uploads
    assert upload.data == expected
    assert upload.headers["Content-Length"] == str(len(expected))
    assert upload.headers["Content-Range"] == f"bytes 0-{len(expected) - 1}/{len(expected)}"
    [info] = teams.connector.attachments(FILE_INFO)
    uploaded = teams.activity("file_consent_accept")["value"]["uploadInfo"]
    assert info["contentUrl"] == uploaded["contentUrl"] and info["name"] == uploaded["name"]
    assert info["content"] == {"uniqueId": uploaded["uniqueId"], "fileType": uploaded["fileType"]}
    # the consent card is replaced by a note, so it cannot be accepted twice
    [card_update] = replaced(teams)
    assert card_update.path.endswith(f"/activities/{call.id}")
    assert card_update.body["text"].startswith("Sent:") and not card_update.body.get("attachments")
    # the pending file is gone once used
    teams.connector.calls.clear()
    await assert_empty_200(await accept(teams, call, card))
    assert len(teams.connector.uploads) == 1
    assert teams.connector.texts() == [EXPIRED]


async def test_export_json_uploads_the_json(teams: Teams) -> None:
    call, card = await export(teams, "json")
    assert card["name"].endswith(".json")
    await assert_empty_200(await accept(teams, call, card))
    items = await teams.app.repo.export("teams", TENANT, CHANNEL)
    [upload] = teams.connector.uploads
    assert upload.data == render(items, "json").encode("utf-8")


async def test_declining_sends_a_short_note_and_forgets_the_file(teams: Teams) -> None:
    call, card = await export(teams)
    token = card["content"]["declineContext"]["token"]
    resp = await teams.post(answer(teams, "file_consent_decline", token, call.id))
    await assert_empty_200(resp)
    assert teams.connector.uploads == []
    [note] = replaced(teams)  # the card itself becomes the note
    assert note.body["text"].startswith("Not sent: `outputs-") and "export" in note.body["text"]
    assert posted(teams) == []
    assert await PendingFiles(teams.app.db).get(token) is None


async def test_a_decline_without_the_card_to_replace_is_said_in_a_message(teams: Teams) -> None:
    _, card = await export(teams)
    token = card["content"]["declineContext"]["token"]
    resp = await teams.post(answer(teams, "file_consent_decline", token, None))
    await assert_empty_200(resp)
    [message] = posted(teams)
    assert message.body["text"].startswith("Not sent:") and replaced(teams) == []


async def test_a_decline_is_answered_in_the_persons_language(teams: Teams) -> None:
    _, card = await export(teams)
    a = answer(teams, "file_consent_decline", card["content"]["declineContext"]["token"], None)
    a["locale"] = "fr-FR"
    await assert_empty_200(await teams.post(a))
    [message] = posted(teams)
    assert message.body["text"].startswith("Non envoyé")


async def test_someone_else_cannot_accept_the_file(teams: Teams) -> None:
    call, card = await export(teams)
    resp = await accept(teams, call, card, user="someone-else-aad-id")
    await assert_empty_200(resp)
    assert teams.connector.uploads == [] and replaced(teams) == []
    assert "made for someone else" in teams.connector.texts()[0]
    # the person it was made for still can
    await assert_empty_200(await accept(teams, call, card))
    assert len(teams.connector.uploads) == 1


async def test_a_file_of_another_tenant_is_refused(teams: Teams) -> None:
    call, card = await export(teams)
    a = answer(teams, "file_consent_accept", card["content"]["acceptContext"]["token"], call.id)
    a["channelData"]["tenant"]["id"] = a["conversation"]["tenantId"] = "another-tenant"
    await assert_empty_200(await teams.post(a))
    assert teams.connector.uploads == [] and "made for someone else" in teams.connector.texts()[0]


async def test_an_unknown_or_expired_token_is_told_so(teams: Teams) -> None:
    for token in ["no-such-token", ""]:
        await assert_empty_200(await teams.post(answer(teams, "file_consent_accept", token, "act-1")))
    old = datetime.now(UTC) - timedelta(hours=25)
    stale = await PendingFiles(teams.app.db).add("teams", TENANT, ADMIN, "old.csv", "id\n", at=old)
    await assert_empty_200(await teams.post(answer(teams, "file_consent_accept", stale, "act-1")))
    await assert_empty_200(await teams.post(answer(teams, "file_consent_decline", stale, "act-1")))
    assert teams.connector.texts() == [EXPIRED] * 4
    assert teams.connector.uploads == [] and replaced(teams) == []


async def test_a_malformed_consent_invoke_still_gets_its_200(teams: Teams) -> None:
    for value in [None, "accept", {"action": "accept"}, {"context": ["x"], "uploadInfo": 3}]:
        a = teams.activity("file_consent_accept", value=value)
        await assert_empty_200(await teams.post(a))
    assert teams.connector.texts() == [EXPIRED] * 4


async def test_a_refused_upload_is_said_and_a_new_card_lets_the_person_retry(teams: Teams) -> None:
    call, card = await export(teams)
    teams.connector.fail_uploads = [503]
    await assert_empty_200(await accept(teams, call, card))
    assert teams.connector.uploads == [] and replaced(teams) == []
    [note, retry_call] = posted(teams)
    assert note.body["text"].startswith("I could not upload `outputs-")
    [retry] = retry_call.body["attachments"]
    assert retry["contentType"] == FILE_CONSENT and retry["content"]["acceptContext"] == {
        "token": card["content"]["acceptContext"]["token"]
    }
    await assert_empty_200(await accept(teams, retry_call, retry))
    [upload] = teams.connector.uploads
    assert upload.data == await expected_csv(teams)


async def test_a_dropped_connection_is_tried_once_more(teams: Teams) -> None:
    call, card = await export(teams)
    teams.connector.fail_uploads = ["drop"]
    await assert_empty_200(await accept(teams, call, card))
    [upload] = teams.connector.uploads
    assert upload.data == await expected_csv(teams) and teams.connector.upload_attempts == 2
    assert len(teams.connector.attachments(FILE_INFO)) == 1


async def test_two_dropped_connections_are_a_failure(teams: Teams) -> None:
    call, card = await export(teams)
    teams.connector.fail_uploads = ["drop", "drop"]
    await assert_empty_200(await accept(teams, call, card))
    assert teams.connector.uploads == [] and teams.connector.upload_attempts == 2
    assert teams.connector.texts()[0].startswith("I could not upload")
    token = card["content"]["acceptContext"]["token"]
    assert await PendingFiles(teams.app.db).get(token) is not None  # kept for the retry


async def test_a_consent_is_answered_once_kept_and_its_upload_has_no_deadline(teams: Teams) -> None:
    call, card = await export(teams)
    teams.server.adapter.invoke_deadline = 0.01  # the upload runs in a worker: no deadline applies
    gate = teams.connector.upload_gate = asyncio.Event()
    a = answer(teams, "file_consent_accept", card["content"]["acceptContext"]["token"], call.id)
    resp = await teams.client.post("/api/messages", json=a)  # without waiting for the workers
    await assert_empty_200(resp)
    assert teams.connector.uploads == [] and teams.connector.attachments(FILE_INFO) == []
    gate.set()
    await teams.settle()
    assert len(teams.connector.uploads) == 1
    [info_call] = [c for c in posted(teams) if c.body.get("attachments")]
    assert info_call.conversation.startswith("a:1zqPA")  # the personal chat of the invoke
    assert len(replaced(teams)) == 1


async def test_pending_files_survive_a_new_server_instance(db: Database) -> None:
    async for first in start_teams(db, anonymous_settings()):
        call, card = await export(first)
    async for second in start_teams(db, anonymous_settings()):
        await assert_empty_200(await accept(second, call, card))
        [upload] = second.connector.uploads
        assert upload.data == await expected_csv(second)
        assert len(second.connector.attachments(FILE_INFO)) == 1
