"""The pure translation of recorded activities."""

from __future__ import annotations

from adapters.teams import convert
from tests.teams.conftest import fixture


def test_channel_message_command_text_and_keys() -> None:
    a = fixture("message_channel_mention")
    assert convert.command_text(a) == "help"
    assert convert.mentions_bot(a)
    key = convert.key_of(a)
    assert key.workspace_id == "72f988bf-86f1-41af-91ab-2d7cd011db47"
    assert key.channel_id == "19:efa9296d959346209fea44151c742e73@thread.skype"  # thread stripped
    info = convert.channel_info(a)
    assert info.name == "General" and not info.is_private
    assert convert.actor(a).user_id == "b130c271-d2eb-45f9-83ab-9eb3fe3788bc"


def test_other_mentions_become_engine_user_markup() -> None:
    a = fixture("message_channel_mention")
    a["text"] = "<at>Outputs</at> owners add <at>Amber</at>&nbsp;<at>Bob</at>"
    a["entities"] += [
        {"type": "mention", "text": "<at>Amber</at>", "mentioned": {"id": "29:amber", "name": "Amber"}},
        {"type": "mention", "text": "<at>Bob</at>", "mentioned": {"id": "29:bob", "name": "Bob"}},
    ]
    assert convert.command_text(a, {"29:amber": "amber-aad"}) == "owners add <@amber-aad> <@29:bob>"


def test_a_channel_mention_becomes_engine_channel_markup() -> None:
    a = fixture("message_channel_mention")
    a["text"] = '<at>Outputs</at> type add fix "Fix" route=<at>General</at> owner=<at>Amber</at>'
    a["entities"] += [
        {"type": "mention", "text": "<at>General</at>", "mentioned": {"id": "19:gen@thread.tacv2"}},
        {"type": "mention", "text": "<at>Amber</at>", "mentioned": {"id": "29:amber", "name": "Amber"}},
    ]
    assert convert.command_text(a) == 'type add fix "Fix" route=<#19:gen@thread.tacv2> owner=<@29:amber>'


def test_smart_quotes_and_html_are_plain_again() -> None:
    a = fixture("message_personal")
    a["text"] = "<p>deliver idea \u201cDark mode\u201d &amp; more</p>"
    assert convert.command_text(a) == 'deliver idea "Dark mode" & more'
    assert convert.channel_info(a).is_private


def test_long_chat_ids_are_keyed_by_a_digest_that_fits() -> None:
    a = fixture("message_personal")
    cid = convert.channel_id(a)
    assert cid.startswith("~") and len(cid) <= convert.MAX_ID
    assert cid == convert.channel_id(fixture("message_personal"))  # stable


def test_message_payload_snapshot() -> None:
    m = convert.snapshot(convert.message_payload(fixture("fetch_task_message")))
    assert m is not None
    assert m.message_id == "1611060744833"
    assert m.text == "@Testing outgoing Webhook-Nikitha - Hi"
    assert m.author_id == "b130c271-d2eb-45f9-83ab-9eb3fe3788bc"
    assert m.permalink and m.permalink.endswith("/1611060744833") and not m.is_bot


def test_a_message_from_an_app_is_a_bot_message() -> None:
    payload = {"id": "1", "body": {"content": "hi"}, "from": {"application": {"id": "x"}, "user": None}}
    m = convert.snapshot(payload)
    assert m is not None and m.is_bot
    assert convert.snapshot({}) is None
