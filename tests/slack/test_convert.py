"""Payload → facts, on the recorded payloads: pure functions, no server."""

from __future__ import annotations

from adapters.slack import convert
from tests.slack.conftest import fixture


def test_workspace_of_every_payload_kind() -> None:
    assert convert.workspace_of(fixture("reaction_added")) == "T111"
    assert convert.workspace_of(fixture("slash_command")) == "T111"
    assert convert.workspace_of(fixture("message_action")) == "T111"
    assert convert.workspace_of(fixture("view_submission")) == "T111"
    assert convert.workspace_of(fixture("block_actions")) == "T111"
    assert convert.workspace_of({}) == ""


def test_reactions() -> None:
    facts = convert.reaction(fixture("reaction_added")["event"])
    assert facts == convert.ReactionFacts("C111", "W111", "1599529504.000400", "heart_eyes")
    removed = convert.reaction(fixture("reaction_removed")["event"])
    assert removed is not None and removed.emoji == "thumbsup"
    on_a_file = {**fixture("reaction_added")["event"], "item": {"type": "file", "file": "F1"}}
    assert convert.reaction(on_a_file) is None
    assert convert.reaction({"type": "reaction_added"}) is None


def test_edits_take_the_ts_of_the_previous_message_when_slack_leaves_it_out() -> None:
    edit = convert.edited(fixture("message_changed")["event"])
    assert edit is not None and edit.channel_id == "C111"
    assert edit.message["ts"] == "1665102338.901939" and edit.message["text"] == "updated message"
    assert convert.edited({"subtype": "message_changed", "channel": "C1"}) is None


def test_deletions_and_joins() -> None:
    assert convert.deleted(fixture("message_deleted")["event"]) == ("C111", "1665368619.804829")
    assert convert.joined(fixture("member_joined_channel")["event"]) == ("C111", "W111")
    assert convert.deleted({}) is None and convert.joined({}) is None


def test_shortcut_and_form_values() -> None:
    facts = convert.shortcut(fixture("message_action"))
    assert facts is not None and facts.channel_id == "C111" and facts.trigger_id == "111.222.xxx"
    assert convert.form_values(fixture("view_submission")["view"]) == {"hspI": "test"}
    select = {
        "state": {"values": {"type": {"a": {"type": "static_select", "selected_option": {"value": "idea"}}}}}
    }
    assert convert.form_values(select) == {"type": "idea"}
    assert convert.shortcut({"type": "message_action"}) is None


def test_slack_markup_becomes_plain_text_that_cannot_ping() -> None:
    text = (
        "<!channel> see <@U1|ann>, <#C1|general> and <https://x.example/a?b=1|docs> &lt;b&gt; &amp; <!here>"
    )
    assert (
        convert.to_plain(text) == "@channel see @ann, #general and docs (https://x.example/a?b=1) <b> & @here"
    )
    assert convert.to_plain("<@U2> <https://plain.example>") == "@U2 https://plain.example"
    assert convert.to_plain("<!subteam^S1|@devs> <!date^1392734382^{date}|Feb 18>") == "@devs Feb 18"


def test_snapshot_knows_bots_threads_and_authors() -> None:
    reply = {"ts": "2.0", "thread_ts": "1.0", "user": "U1", "text": "hi"}
    snap = convert.snapshot(reply, "https://p", "UBOT")
    assert snap.thread_id == "1.0" and snap.author_id == "U1" and not snap.is_bot
    assert convert.snapshot({"ts": "1.0", "thread_ts": "1.0", "text": ""}, None, None).thread_id is None
    assert convert.snapshot({"ts": "1", "bot_id": "B1", "text": "x"}, None, None).is_bot
    assert convert.snapshot({"ts": "1", "user": "UBOT", "text": "x"}, None, "UBOT").is_bot


def test_user_and_channel_facts() -> None:
    admin = convert.actor("U1", {"is_admin": False, "is_owner": True, "locale": "fr-FR"})
    assert admin.is_workspace_admin and admin.locale == "fr-FR"
    assert not convert.actor("U2", None).is_workspace_admin
    info = convert.channel_info("T1", "G1", {"name": "secret", "is_private": True, "creator": "U9"})
    assert info.is_private and info.name == "secret" and info.creator_id == "U9"
    assert info.key.platform == "slack" and info.key.workspace_id == "T1"
    assert convert.channel_info("T1", "D1", {"is_im": True}).is_private
