"""Teams activities are kept in the inbox before they are answered (SPEC rules 10 and 11).

Through real HTTP into the real server, against the fake connector, on both databases: a
replay takes effect once; a reply the connector refuses for a while is sent once it takes
it; the edits and the deletion of one message apply in the order they came; what was kept
while no worker ran is worked when one starts; when the inbox cannot be written, nothing is
recorded and the person is told so at once.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc
from msrest.exceptions import ClientRequestError, HttpOperationError

from adapters.platform import inbox_workers
from adapters.teams import faults
from bot.charter import ChannelKey
from bot.deliverable import Status
from bot.inbox import Entry
from storage.database import Database
from storage.models import InboxRow
from tests.conftest import BACKENDS
from tests.teams.conftest import ADMIN, Teams
from tests.teams.fake_connector import Call
from tests.teams.test_capture import CHANNEL, TENANT, declare
from tests.teams.test_edits import captured
from tests.teams.test_invokes import setup_action

KEY = ChannelKey(platform="teams", workspace_id=TENANT, channel_id=CHANNEL)
CHANNEL_OF_MENTION = "19:efa9296d959346209fea44151c742e73@thread.skype"  # message_channel_mention's
NOTHING_RECORDED = "Nothing was recorded: I could not save it just now. Please try again in a moment."


@pytest.fixture(autouse=True)
def _no_backoff_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inbox's retries keep their number and order; the waits between them go (the
    tests' clock does not move, so an entry retried later would never be due)."""
    monkeypatch.setattr("bot.inbox.backoff", lambda attempts, policy: 0.0)


def command(teams: Teams, text: str) -> dict[str, Any]:
    a = teams.activity("message_channel_mention")
    a["text"] = f"<at>Outputs</at> {text}"
    a["from"] = {"id": "29:admin", "name": "Admin", "aadObjectId": ADMIN}
    return a


def edit(teams: Teams, text: str) -> dict[str, Any]:
    return teams.activity("message_update_edit", text=text)


async def send(teams: Teams, activity: dict[str, Any]) -> int:
    """POST without waiting for the workers."""
    resp = await teams.client.post("/api/messages", json=activity)
    await resp.read()
    return resp.status


async def taken(teams: Teams) -> list[Call]:
    """The posts the connector took, once there is one: a person is told that their work was
    given up on just after the entry is marked failed, so after the workers have drained."""
    for _ in range(200):
        if posts := [c for c in teams.connector.activities() if c.id]:
            return posts
        await asyncio.sleep(0.01)
    return []


def replies(teams: Teams) -> list[str]:
    """What the bot said, among the posts the connector took."""
    return [str(c.body.get("text") or "") for c in teams.connector.activities() if c.id]


async def statuses(teams: Teams) -> dict[str, int]:
    """How many inbox entries are in each status."""
    statement = sa.select(InboxRow.status, sa.func.count()).group_by(InboxRow.status)
    return {str(status): int(n) for status, n in await teams.app.db.read_rows(statement, {})}


# --- once --------------------------------------------------------------------------------------


async def test_an_activity_delivered_three_times_takes_effect_once(teams: Teams) -> None:
    a = command(teams, 'type add idea "Product idea"')
    for _ in range(3):
        assert await send(teams, a) == 200
    await teams.settle()
    [said] = replies(teams)  # a second run would have answered that the type exists already
    assert "idea" in said
    assert await statuses(teams) == {"done": 1}
    [charter] = await teams.app.repo.list_charters("teams")
    assert [t.key for t in charter.types] == ["idea"]


async def test_a_submitted_dialog_delivered_again_records_once(teams: Teams) -> None:
    await declare(teams)
    a = teams.activity("submit_action_message")
    first = await teams.client.post("/api/messages", json=a)
    assert first.status == 200 and "#1" in (await first.json())["task"]["value"]
    for _ in range(2):  # answered already: the dialog of a delivery again just closes
        again = await teams.client.post("/api/messages", json=a)
        assert again.status == 200 and await again.read() == b""
    await teams.settle()
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.message_id == "1111111111"
    assert await statuses(teams) == {"done": 4}  # the three commands of `declare`, the dialog once


# --- retried -----------------------------------------------------------------------------------


async def test_a_reply_refused_by_a_gateway_for_a_while_is_sent_afterwards(teams: Teams) -> None:
    # More 502s than the connector client's own retries absorb, twice over: the inbox runs
    # the command again until the reply gets through.
    teams.connector.bad_gateway = 12
    assert await send(teams, command(teams, "help")) == 200
    await teams.settle()
    refused = [c for c in teams.connector.activities() if not c.id]
    assert len(refused) == 12
    [said] = replies(teams)
    assert "@Outputs" in said
    assert await statuses(teams) == {"done": 1}


async def test_a_bug_is_not_retried_and_the_person_is_told_privately(
    teams: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(teams.server.bot.engine, "handle", broken)
    await teams.post(command(teams, "charter"))
    [told] = await taken(teams)
    assert told.conversation.startswith("a:personal-")  # privately, not in the channel
    assert told.body["text"] == (
        "Nothing was recorded for `@Outputs charter`: an error on my side. Please try again."
    )
    assert await statuses(teams) == {"failed": 1}


async def test_the_person_is_told_in_their_language(teams: Teams, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    await declare(teams)
    monkeypatch.setattr(teams.server.bot.engine, "handle", broken)
    said = (
        "Ce que vous avez envoyé n'a pas été enregistré : une erreur de mon côté. Réessayez, s'il vous plaît."
    )
    # the dialog still waits for its answer: it says so itself
    resp = await teams.post(teams.activity("submit_action_message", locale="fr-FR"))
    assert resp.status == 200 and await resp.json() == {"task": {"type": "message", "value": said}}
    # when nothing waits any more, the person's chat with the bot says it
    teams.server.adapter.invoke_deadline = 0.0
    resp = await teams.post(teams.activity("submit_action_message", locale="fr-FR"))
    assert (await resp.json())["task"]["value"].startswith("Encore en cours")
    [told] = await taken(teams)
    assert told.conversation.startswith("a:personal-") and told.body["text"] == said


# --- in order ----------------------------------------------------------------------------------


async def test_edits_and_the_deletion_of_one_message_apply_in_the_order_they_came(teams: Teams) -> None:
    await captured(teams)
    for n in range(1, 7):
        assert await send(teams, edit(teams, f"Version {n}")) == 200
    await teams.settle()
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.text == "Version 6"

    assert await send(teams, edit(teams, "Version 7")) == 200
    assert await send(teams, teams.activity("message_delete_soft")) == 200
    assert await send(teams, edit(teams, "Version 8")) == 200
    await teams.settle()
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.status is Status.DELETED and d.text == ""


async def test_commands_about_one_charter_apply_in_the_order_they_came(teams: Teams) -> None:
    for n in range(1, 6):
        assert await send(teams, command(teams, f"purpose Version {n}")) == 200
    await teams.settle()
    [charter] = await teams.app.repo.list_charters("teams")
    assert charter.purpose == "Version 5"


async def test_what_was_kept_while_no_worker_ran_is_worked_when_one_starts(teams: Teams) -> None:
    await teams.workers.stop()
    assert await send(teams, command(teams, "purpose Kept across a restart")) == 200
    assert replies(teams) == [] and await teams.app.repo.list_charters("teams") == []
    assert await statuses(teams) == {"pending": 1}
    teams.workers = inbox_workers(teams.app, [teams.server])
    teams.workers.start()
    await teams.settle()
    [charter] = await teams.app.repo.list_charters("teams")
    assert charter.purpose == "Kept across a restart"
    assert len(replies(teams)) == 1


# --- not kept ----------------------------------------------------------------------------------


@contextmanager
def inbox_down(teams: Teams, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    async def refused(entry: Entry, at: Any) -> bool:
        raise sa_exc.OperationalError("INSERT INTO inbox", {}, ConnectionRefusedError("database is down"))

    with monkeypatch.context() as m:
        m.setattr(teams.app.inbox.store, "put", refused)
        yield


async def test_a_command_that_cannot_be_kept_is_answered_nothing_was_recorded(
    teams: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    with inbox_down(teams, monkeypatch):
        assert await send(teams, command(teams, "purpose Lost")) == 200
    await teams.settle()
    [call] = teams.connector.activities()
    assert call.conversation == f"{CHANNEL_OF_MENTION};messageid=1611060744833"  # in the thread
    assert call.body["text"] == (
        "Nothing was recorded for `@Outputs purpose Lost`: I could not save it just now. "
        "Please try again in a moment."
    )
    assert await teams.app.repo.list_charters("teams") == []
    assert await statuses(teams) == {}


async def test_invokes_that_cannot_be_kept_say_nothing_was_recorded(
    teams: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    await declare(teams)
    values = {"purpose": "Lost", "types": "", "schedule": "off", "timezone": "UTC", "language": "en"}
    with inbox_down(teams, monkeypatch):
        submit = await teams.client.post("/api/messages", json=teams.activity("submit_action_message"))
        card = await teams.client.post("/api/messages", json=setup_action(teams, values))
        assert submit.status == card.status == 200
        assert await submit.json() == {"task": {"type": "message", "value": NOTHING_RECORDED}}
        body = await card.json()
        assert (
            body["type"] == "application/vnd.microsoft.activity.message" and body["value"] == NOTHING_RECORDED
        )
    await teams.settle()
    assert await teams.app.repo.list_deliverables(KEY) == []
    [charter] = await teams.app.repo.list_charters("teams")
    assert charter.purpose == "We solve customer problems"  # the declared one, unchanged


async def test_an_edit_that_cannot_be_kept_is_not_answered_200(
    teams: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await captured(teams)
    with inbox_down(teams, monkeypatch):
        assert await send(teams, edit(teams, "Lost edit")) == 503
        assert await send(teams, teams.activity("conversation_update_member_added")) == 503
    await teams.settle()
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.text == before.text


@pytest.mark.parametrize("backend", [BACKENDS[0]], indirect=True)  # the SQLite file's own write lock
async def test_a_locked_sqlite_file_is_a_database_that_cannot_keep_anything(
    teams: Teams, db: Database
) -> None:
    path = db.url.removeprefix("sqlite:///")
    locker = sqlite3.connect(path, timeout=0)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        assert await send(teams, command(teams, "purpose Lost")) == 200
        [call] = teams.connector.activities()
        assert call.body["text"].startswith("Nothing was recorded for `@Outputs purpose Lost`")
    finally:
        locker.rollback()
        locker.close()
    await teams.settle()
    assert await teams.app.repo.list_charters("teams") == []


# --- which faults pass -------------------------------------------------------------------------


def response(status: int, body: str, content_type: str = "application/json") -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = body.encode()
    r.headers["Content-Type"] = content_type
    return r


def operation_error(status: int, body: str, content_type: str = "application/json") -> HttpOperationError:
    return HttpOperationError(lambda *a: None, response(status, body, content_type))


def test_which_connector_faults_may_pass() -> None:
    html = "<html><body>Bad Gateway</body></html>"
    assert faults.classify(operation_error(502, html, "text/html")) == faults.NOT_ANSWERING
    assert (
        faults.classify(operation_error(503, '{"error": {"code": "ServiceError"}}')) == faults.NOT_ANSWERING
    )
    assert faults.classify(operation_error(429, '{"error": {"code": "Throttled"}}')) == faults.RATE_LIMITED
    assert faults.classify(operation_error(403, html, "text/html")) == faults.NOT_ANSWERING  # a proxy's page
    assert faults.classify(operation_error(403, '{"error": {"code": "BotNotInConversationRoster"}}')) is None
    assert faults.classify(operation_error(404, '{"error": {"code": "ConversationNotFound"}}')) is None
    assert faults.classify(ClientRequestError("connection refused")) == faults.UNREACHABLE
    assert faults.classify(requests.ConnectionError("reset")) == faults.UNREACHABLE
    assert faults.classify(ConnectionResetError()) == faults.UNREACHABLE
    assert faults.classify(asyncio.CancelledError()) is None
    assert faults.classify(ValueError("ours")) is None
