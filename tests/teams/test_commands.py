"""`@Outputs <command>` in a channel, plain text in personal chat: the engine's answers."""

from __future__ import annotations

from tests.teams.conftest import ADMIN, Teams

CHANNEL = "19:efa9296d959346209fea44151c742e73@thread.skype"


async def test_mention_in_a_channel_runs_the_command_and_answers_in_the_thread(teams: Teams) -> None:
    resp = await teams.post("message_channel_mention")
    assert resp.status == 200
    [call] = teams.connector.activities()
    # the answer goes to the thread the command was typed in
    assert call.conversation == f"{CHANNEL};messageid=1611060744833"
    assert "@Outputs setup" in call.body["text"] and "<at>" not in call.body["text"]
    assert call.body["textFormat"] == "markdown"


async def test_the_same_grammar_and_answers_as_slack(teams: Teams) -> None:
    await teams.command("purpose We solve customer problems")
    await teams.command('type add solution "Problem solved" fields=problem,fix target=3/week')
    teams.connector.calls.clear()
    await teams.command("charter")
    [card] = teams.connector.cards()
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    texts = " ".join(b.get("text", "") for b in card["body"])
    assert "We solve customer problems" in texts and "Problem solved" in texts


async def test_personal_chat_takes_plain_text_and_private_answers_stay_private(teams: Teams) -> None:
    resp = await teams.post("message_personal")
    assert resp.status == 200
    [call] = teams.connector.activities()
    assert call.conversation.startswith("a:1zqPA")  # answered in the personal chat itself
    assert "draft" in call.body["text"].lower()


async def test_private_answers_asked_in_a_channel_go_to_a_personal_chat(teams: Teams) -> None:
    await teams.command("search problems", user="b130c271-d2eb-45f9-83ab-9eb3fe3788bc")
    created = [c for c in teams.connector.calls if c.path == "/v3/conversations"]
    assert created and created[0].body["members"][0]["id"].startswith("29:")
    [call] = teams.connector.activities()
    assert call.conversation.startswith("a:personal-")


async def test_non_owners_are_told_so(teams: Teams) -> None:
    await teams.command("purpose Anything", user="member-aad-id")
    assert "Only owners" in teams.connector.texts()[0]
    await teams.command("purpose Ours", user=ADMIN)
    assert "Only owners" not in teams.connector.texts()[-1]


async def test_unknown_commands_get_a_usage_line(teams: Teams) -> None:
    await teams.command("frobnicate now")
    assert "@Outputs" in teams.connector.texts()[0]


async def test_channel_messages_that_do_not_mention_the_bot_are_ignored(teams: Teams) -> None:
    a = teams.activity("message_channel_mention", text="just chatting", entities=[])
    resp = await teams.post(a)
    assert resp.status == 200 and teams.connector.activities() == []
