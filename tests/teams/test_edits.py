"""messageUpdate (editMessage) and messageDelete (softDeleteMessage) of a captured message."""

from __future__ import annotations

from bot.charter import ChannelKey
from bot.deliverable import Deliverable, Status
from tests.teams.conftest import Teams
from tests.teams.test_capture import CHANNEL, TENANT, declare

KEY = ChannelKey(platform="teams", workspace_id=TENANT, channel_id=CHANNEL)


async def captured(teams: Teams) -> Deliverable:
    await declare(teams)
    await teams.post("submit_action_message")
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.message_id == "1111111111" and d.status is not Status.DELETED
    return d


async def test_an_edit_updates_the_recorded_text(teams: Teams) -> None:
    before = await captured(teams)
    resp = await teams.post("message_update_edit")
    assert resp.status == 200
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.id == before.id
    assert d.text == "This is the message, edited: the fix is to clear the session cookie."
    assert d.fields == before.fields  # what people filled in is kept
    assert d.status is before.status


async def test_an_edit_of_a_message_nobody_recorded_changes_nothing(teams: Teams) -> None:
    before = await captured(teams)
    a = teams.activity("message_update_edit", id="2222222222")
    assert (await teams.post(a)).status == 200
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.text == before.text


async def test_a_soft_delete_marks_the_deliverable_deleted(teams: Teams) -> None:
    await captured(teams)
    resp = await teams.post("message_delete_soft")
    assert resp.status == 200
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.status is Status.DELETED and d.text == ""
    # a later edit of the deleted message does not bring its text back
    await teams.post("message_update_edit")
    [d] = await teams.app.repo.list_deliverables(KEY)
    assert d.status is Status.DELETED and d.text == ""
