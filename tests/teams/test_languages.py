"""Issue 13, item 8: on Teams, everyone in their own language, by the rule Slack follows.

The language a person chose (`language me fr`, typed in Teams) wins over the locale of their
Teams client (en-US in every activity here), for what the Teams adapter writes itself as much
as for the engine's answers: the capture dialog, a card's answer, "still working", a note
about a file or a failed post, the note when work is given up on. Without a choice the
activity's locale counts, and without a locale the channel's charter.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from tests.teams.conftest import ADMIN, Teams
from tests.teams.fake_connector import HTML
from tests.teams.test_capture import declare
from tests.teams.test_deadline import held, post_now
from tests.teams.test_files import answer, export
from tests.teams.test_inbox import taken
from tests.teams.test_invokes import setup_action
from tests.teams.test_route import DELIVER, GENERAL, channel_ref, in_support
from tests.teams.test_route import declare as declare_routed


def from_(activity: dict[str, Any], user: str) -> dict[str, Any]:
    activity["from"] = {"id": f"29:{user}", "name": user.title(), "aadObjectId": user}
    return activity


async def choose(teams: Teams, like: dict[str, Any], lang: str = "fr") -> None:
    """`language me <lang>`, typed by the sender of `like` in its conversation, in English."""
    a = teams.activity("message_channel_mention")
    for key in ("conversation", "channelData", "from"):
        a[key] = like[key]
    a["text"] = f"<at>Outputs</at> language me {lang}"
    assert a["locale"] == "en-US"
    await teams.post(a)
    assert "français" in teams.connector.texts()[-1]  # the choice is confirmed in French already
    teams.connector.calls.clear()


async def test_the_capture_dialog_is_in_the_language_the_person_chose(teams: Teams) -> None:
    await declare(teams)
    fetch = teams.activity("fetch_task_message", locale="en-US")
    await choose(teams, fetch)
    body = await (await teams.post(fetch)).json()
    assert body["task"]["value"]["title"] == "Enregistrer comme livrable"
    # the same dialog for someone who chose nothing is in their client's language
    other = from_(teams.activity("fetch_task_message", locale="en-US"), "someone-else")
    body = await (await teams.post(other)).json()
    assert body["task"]["value"]["title"] == "Record as deliverable"


async def test_without_a_charter_the_dialog_says_so_in_the_chosen_language(teams: Teams) -> None:
    fetch = teams.activity("fetch_task_message", locale="en-US")
    await choose(teams, fetch)
    body = await (await teams.post(fetch)).json()
    assert body["task"]["value"].startswith("Ce canal n'a pas encore de charte")


async def test_a_slow_dialog_is_given_up_in_the_chosen_language(
    teams: Teams, monkeypatch: pytest.MonkeyPatch
) -> None:
    await declare(teams)
    fetch = teams.activity("fetch_task_message", locale="en-US")
    await choose(teams, fetch)
    teams.server.adapter.invoke_deadline = 0.2
    repo = teams.server.bot.engine.repo
    monkeypatch.setattr(repo, "get_charter", held(repo.get_charter, asyncio.Event()))
    body = await post_now(teams, fetch)
    assert body["task"]["value"].startswith("Cela a pris trop de temps")


async def test_still_working_is_in_the_chosen_language(teams: Teams, monkeypatch: pytest.MonkeyPatch) -> None:
    await declare(teams)
    submit = teams.activity("submit_action_message")
    await choose(teams, submit)
    release = asyncio.Event()
    engine = teams.server.bot.engine
    monkeypatch.setattr(engine, "handle", held(engine.handle, release))
    teams.server.adapter.invoke_deadline = 0.2
    body = await post_now(teams, submit)
    assert body["task"]["value"].startswith("Encore en cours")
    release.set()
    await teams.settle()


async def test_a_cards_answer_is_in_the_chosen_language(teams: Teams) -> None:
    values = {"purpose": "On livre", "types": "", "schedule": "off", "timezone": "UTC", "language": "en"}
    card = setup_action(teams, values)
    await choose(teams, card)
    body = await (await teams.post(card)).json()
    text = " ".join(b.get("text", "") for b in body["value"]["body"])
    assert text.startswith("Charte enregistrée") and "On livre" in text


async def test_a_declined_export_is_answered_in_the_chosen_language(teams: Teams) -> None:
    personal = from_(teams.activity("message_personal"), ADMIN)
    await choose(teams, personal)
    call, card = await export(teams)
    a = answer(teams, "file_consent_decline", card["content"]["declineContext"]["token"], None)
    assert a["locale"] == "en-US"
    await teams.post(a)
    [note] = teams.connector.texts()
    assert note.startswith("Non envoyé : `outputs-")


async def test_a_post_that_failed_is_told_in_the_chosen_language(teams: Teams) -> None:
    await declare_routed(teams, channel_ref(GENERAL))
    deliver = in_support(teams.activity("message_channel_mention"))
    from_(deliver, ADMIN)
    await choose(teams, deliver)
    teams.connector.spoil("reply", *[HTML] * 15, conversation=GENERAL)  # every try in place
    deliver["text"] = f"<at>Outputs</at> {DELIVER}"
    await teams.post(deliver)
    told = [c.body["text"] for c in teams.connector.activities() if c.conversation.startswith("a:personal-")]
    assert told == [
        f"Je n'ai pas pu publier dans `{GENERAL}` : Teams ne répondait pas. Réessayez dans quelques minutes."
    ]


async def test_work_given_up_on_is_told_in_the_chosen_language(teams: Teams) -> None:
    command = from_(teams.activity("message_channel_mention"), ADMIN)
    await choose(teams, command)
    teams.app.inbox.policy = replace(teams.app.inbox.policy, horizon=timedelta(0))  # give up at once
    teams.connector.spoil("reply", *[HTML] * 5)
    command["text"] = "<at>Outputs</at> charter"
    await teams.post(command)
    told = [c.body["text"] for c in await taken(teams)]  # said just after the entry failed
    assert told == [
        "Rien n'a été enregistré pour `@Outputs charter` : Teams ne répondait pas. "
        "Réessayez, s'il vous plaît."
    ]


async def test_without_a_locale_or_a_choice_the_charters_language_counts(teams: Teams) -> None:
    await declare(teams)
    fetch = teams.activity("fetch_task_message")
    language = from_(teams.activity("message_channel_mention"), ADMIN)
    language["conversation"], language["channelData"] = fetch["conversation"], fetch["channelData"]
    language["text"] = "<at>Outputs</at> language fr"
    await teams.post(language)
    assert "locale" not in fetch  # as in the docs' sample
    body = await (await teams.post(fetch)).json()
    assert body["task"]["value"]["title"] == "Enregistrer comme livrable"
