"""Issue 13 through Slack: a type's emoji may be one of the workspace's custom emoji, checked
against `emoji.list` over real signed HTTP, and a reaction with it records a deliverable.
When the list cannot be read (Slack's edge answering an HTML 502, or an install from before
the app asked for `emoji:read`), the name is taken as written, with a note saying so."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.charter import ChannelKey, Charter
from tests.slack.conftest import ADMIN, TOKEN, Slack, fixture

TS = "1599529504.000400"
C111 = ChannelKey(platform="slack", workspace_id="T111", channel_id="C111")
PARROT = "https://emoji.slack-edge.com/T111/partyparrot/0f2c6a1b.gif"
TAKEN_AS_WRITTEN = {
    "en": "I could not read this workspace's custom emoji to check `:partyparrot:`, so I took it "
    "as written: if the workspace has no such emoji, no reaction will record this type.",
    "fr": "Je n'ai pas pu lire les emojis personnalisés de cet espace de travail pour vérifier "
    "`:partyparrot:` : je l'ai pris tel quel. Si l'espace de travail n'a pas cet emoji, aucune "
    "réaction n'enregistrera ce type.",
}


def reaction(emoji: str) -> dict[str, Any]:
    payload = fixture("reaction_added")
    item = {"type": "message", "channel": "C111", "ts": TS}
    payload["event"].update(reaction=emoji, user="W111", item=item)
    return payload


async def reacted(slack: Slack, emoji: str) -> list[Any]:
    """The deliverables after someone reacts with `emoji` to a message in C111."""
    slack.fake.add_message("C111", TS, "Shipped the demo to the customer", user="U222")
    resp = await slack.event(reaction(emoji))
    assert resp.status == 200
    await slack.settle()
    return list(await slack.repo.export())


async def declared(slack: Slack, line: str) -> str:
    resp = await slack.command(line)
    assert resp.status == 200
    [reply] = slack.replies()
    slack.fake.responses.clear()
    return reply


async def test_a_custom_emoji_and_its_alias_are_accepted_and_a_reaction_records(slack: Slack) -> None:
    slack.fake.emoji = {"partyparrot": PARROT, "party_parrot": "alias:partyparrot"}
    reply = await declared(slack, 'type add demo "Demo" emoji=partyparrot')
    assert reply == "Declared output type Demo (`demo`)."
    assert [c.token for c in slack.fake.calls if c.method == "emoji.list"] == [TOKEN]
    reply = await declared(slack, 'type add launch "Launch" emoji=:Party_Parrot:')  # the alias
    assert reply == "Declared output type Launch (`launch`)."
    charter = await slack.repo.get_charter(C111)
    assert (charter.type("demo").emoji, charter.type("launch").emoji) == ("partyparrot", "party_parrot")

    [d] = await reacted(slack, "partyparrot")
    assert d.type == "demo" and d.tagged_by == "W111" and d.author_id == "U222"
    [note] = slack.fake.called("chat.postEphemeral")
    assert "Recorded" in note["text"]


async def test_an_emoji_the_workspace_does_not_have_is_refused(slack: Slack) -> None:
    slack.fake.emoji = {"sadparrot": PARROT, "sad_parrot": "alias:sadparrot"}
    reply = await declared(slack, 'type add demo "Demo" emoji=partyparrot')
    assert reply.startswith("`:partyparrot:` is not an emoji I know, so no reaction could ever record it.")
    assert reply.endswith("Use a standard name such as white_check_mark, or paste the emoji itself.")
    charter: Charter | None = await slack.repo.get_charter(C111)
    assert charter is None or charter.type("demo") is None
    assert await reacted(slack, "partyparrot") == []


@pytest.mark.parametrize("locale", ["en", "fr"])
@pytest.mark.parametrize(
    ("fault", "logged"),
    [
        ("html_errors", "error=502"),
        ("fail", "error=missing_scope (the app lacks the emoji:read scope: reinstall it)"),
    ],
)
async def test_when_the_list_cannot_be_read_the_name_is_taken_with_a_note(
    slack: Slack, caplog: pytest.LogCaptureFixture, fault: str, logged: str, locale: str
) -> None:
    slack.fake.users[ADMIN]["locale"] = "fr-FR" if locale == "fr" else "en-US"
    slack.fake.emoji = {"partyparrot": PARROT}  # there, but Slack does not say so
    if fault == "fail":
        slack.fake.fail["emoji.list"] = "missing_scope"
    else:
        slack.fake.html_errors["emoji.list"] = 1
    reply = await declared(slack, 'type add demo "Demo" emoji=partyparrot')
    said = {"en": "Declared output type Demo (`demo`).", "fr": "Type de livrable Demo déclaré (`demo`)."}
    assert reply.split("\n") == [said[locale], TAKEN_AS_WRITTEN[locale]]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert f"emoji.list failed: workspace=T111 {logged}" in warnings
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []

    [d] = await reacted(slack, "partyparrot")
    assert d.type == "demo"
