"""Reactions, drafts and their forms, the message shortcut, edits and deletions (SPEC rules 2-5)."""

from __future__ import annotations

import json
from typing import Any

from adapters.slack import blocks
from bot.deliverable import Status, Via
from tests.slack.conftest import Slack, declare, fixture
from tests.slack.fake_slack import BOT_USER

TS = "1599529504.000400"


def reaction(
    emoji: str, user: str = "W111", ts: str = TS, kind: str = "reaction_added", **extra: Any
) -> dict:
    payload = fixture(kind)
    payload["event"].update(reaction=emoji, user=user, item={"type": "message", "channel": "C111", "ts": ts})
    payload.update(extra)
    return payload


async def charter(slack: Slack, fields: str = "") -> None:
    extra = f" fields={fields}" if fields else ""
    await declare(slack, f'type add solution "Problem solved" emoji=white_check_mark{extra}')


async def test_a_reaction_records_the_message_text_author_and_permalink(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message(
        "C111", TS, "Printer fixed by <@U9|ann> &amp; <https://kb.example/p|the KB>", user="U222"
    )
    resp = await slack.event(reaction("white_check_mark"))
    await slack.settle()
    assert resp.status == 200
    [d] = await slack.repo.export()
    assert d.status is Status.COMPLETE and d.via is Via.REACTION
    assert d.text == "Printer fixed by @ann & the KB (https://kb.example/p)"
    assert d.author_id == "U222" and d.tagged_by == "W111"
    assert d.permalink == "https://test.slack.com/archives/C111/p1599529504000400"
    [note] = slack.fake.called("chat.postEphemeral")
    assert note["user"] == "W111" and "Recorded" in note["text"]


async def test_skin_tone_suffixes_are_normalised(slack: Slack) -> None:
    await declare(slack, 'type add praise "Praise" emoji=+1')
    slack.fake.add_message("C111", TS, "Well done")
    await slack.event(reaction("+1::skin-tone-3"))
    await slack.settle()
    assert len(await slack.repo.export()) == 1


async def test_unmapped_emojis_are_ignored_without_any_lookup(slack: Slack) -> None:
    await charter(slack)
    await slack.event(reaction("heart_eyes"))
    await slack.settle()
    assert await slack.repo.export() == []
    assert [c.method for c in slack.fake.calls] in ([], ["auth.test"])


async def test_the_bots_own_reactions_are_ignored(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message("C111", TS, "Something")
    await slack.event(reaction("white_check_mark", user=BOT_USER))
    await slack.settle()
    assert await slack.repo.export() == []


async def test_the_bots_own_messages_are_never_deliverables(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message("C111", TS, "Digest", user=BOT_USER, bot_id="BBOT")
    await slack.event(reaction("white_check_mark"))
    await slack.settle()
    assert await slack.repo.export() == []


async def test_a_thread_reply_is_read_from_its_thread(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message("C111", "1599529000.000100", "Question")
    slack.fake.add_message("C111", TS, "The answer", thread_ts="1599529000.000100")
    await slack.event(reaction("white_check_mark"))
    await slack.settle()
    [d] = await slack.repo.export()
    assert d.text == "The answer" and d.thread_id == "1599529000.000100"
    assert "thread_ts=1599529000.000100" in (d.permalink or "")
    assert slack.fake.called("conversations.replies")


async def test_removing_the_last_tagging_reaction_withdraws(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message("C111", TS, "Fixed")
    await slack.event(reaction("white_check_mark", user="W111"))
    await slack.event(reaction("white_check_mark", user="W222", event_id="Ev2"))
    await slack.settle()
    await slack.event(reaction("white_check_mark", user="W111", kind="reaction_removed", event_id="Ev3"))
    await slack.settle()
    [d] = await slack.repo.export()
    assert d.status is Status.COMPLETE
    await slack.event(reaction("white_check_mark", user="W222", kind="reaction_removed", event_id="Ev4"))
    await slack.settle()
    [d] = await slack.repo.export()
    assert d.status is Status.WITHDRAWN


async def test_a_draft_sends_a_private_message_with_a_button_that_opens_the_form(slack: Slack) -> None:
    await charter(slack, fields="problem,fix")
    slack.fake.add_message("C111", TS, "Printer jam")
    await slack.event(reaction("white_check_mark"))
    await slack.settle()
    [d] = await slack.repo.export()
    assert d.status is Status.DRAFT
    [dm] = slack.fake.called("chat.postMessage")
    assert dm["channel"] == "W111"
    [button] = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["action_id"] == blocks.OPEN_FORM and button["value"] == str(d.id)

    click = fixture("block_actions")
    click["actions"][0].update(action_id=blocks.OPEN_FORM, value=str(d.id))
    click["response_url"] = slack.fake.response_url("button")
    assert (await slack.interact(click)).status == 200
    await slack.settle()
    [opened] = slack.fake.called("views.open")
    view = opened["view"]
    assert view["callback_id"] == blocks.FIELDS_VIEW
    assert [b["block_id"] for b in view["blocks"]] == ["problem", "fix"]

    submission = fixture("view_submission")
    submission["view"].update(
        callback_id=blocks.FIELDS_VIEW,
        private_metadata=view["private_metadata"],
        state={
            "values": {
                "problem": {"value": {"type": "plain_text_input", "value": "Jammed tray"}},
                "fix": {"value": {"type": "plain_text_input", "value": "Reseated it"}},
            }
        },
    )
    resp = await slack.interact(submission)
    await slack.settle()
    assert resp.status == 200
    [d] = await slack.repo.export()
    assert d.status is Status.COMPLETE and d.fields == {"problem": "Jammed tray", "fix": "Reseated it"}


async def test_record_as_deliverable_shortcut_opens_a_prefilled_modal_and_records(slack: Slack) -> None:
    await declare(
        slack,
        'type add solution "Problem solved" emoji=white_check_mark fields=title,fix?',
        'type add idea "Idea" emoji=bulb',
    )
    shortcut = fixture("message_action")
    shortcut.update(callback_id=blocks.RECORD_SHORTCUT, response_url=slack.fake.response_url("shortcut"))
    ts = shortcut["message"]["ts"]
    slack.fake.add_message("C111", ts, shortcut["message"]["text"], user="W111")
    assert (await slack.interact(shortcut)).status == 200
    await slack.settle()
    [opened] = slack.fake.called("views.open")
    view = opened["view"]
    assert view["callback_id"] == blocks.RECORD_VIEW
    select = view["blocks"][0]["accessory"]
    assert [o["value"] for o in select["options"]] == ["solution", "idea"]
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == "@W222 test"

    change = fixture("block_actions")
    change.pop("container")
    change.update(view={**view, "id": "V1", "hash": "h1"}, response_url=None)
    change["actions"] = [
        {
            "action_id": blocks.RECORD_TYPE,
            "block_id": "type",
            "type": "static_select",
            "selected_option": {"value": "idea"},
            "action_ts": "1596530385.194939",
        }
    ]
    await slack.interact(change)
    await slack.settle()
    [updated] = slack.fake.called("views.update")
    assert json.loads(updated["view"]["private_metadata"])["type"] == "idea"

    submission = fixture("view_submission")
    submission["view"].update(
        callback_id=blocks.RECORD_VIEW,
        private_metadata=view["private_metadata"],
        state={
            "values": {
                "type": {
                    blocks.RECORD_TYPE: {"type": "static_select", "selected_option": {"value": "solution"}}
                },
                "title": {"value": {"type": "plain_text_input", "value": "Fixed the printer"}},
                "fix": {"value": {"type": "plain_text_input", "value": None}},
            }
        },
    )
    assert (await slack.interact(submission)).status == 200
    await slack.settle()
    [d] = await slack.repo.export()
    assert d.via is Via.SHORTCUT and d.type == "solution" and d.status is Status.COMPLETE
    assert d.title == "Fixed the printer" and d.message_id == ts


async def test_the_shortcut_in_a_channel_without_charter_says_so(slack: Slack) -> None:
    shortcut = fixture("message_action")
    shortcut.update(callback_id=blocks.RECORD_SHORTCUT, response_url=slack.fake.response_url("shortcut"))
    await slack.interact(shortcut)
    await slack.settle()
    assert slack.fake.called("views.open") == []
    assert "no charter" in slack.replies()[0]


async def test_edits_and_deletions_follow_the_source(slack: Slack) -> None:
    await charter(slack)
    edit = fixture("message_changed")
    ts = edit["event"]["previous_message"]["ts"]
    slack.fake.add_message("C111", ts, "original message")
    await slack.event(reaction("white_check_mark", ts=ts))
    await slack.settle()
    assert (await slack.event(edit)).status == 200
    await slack.settle()
    [d] = await slack.repo.export()
    assert d.text == "updated message" and d.status is Status.COMPLETE
    gone = fixture("message_deleted")
    gone["event"]["deleted_ts"] = ts
    gone["event"]["previous_message"]["ts"] = ts
    await slack.event(gone)
    await slack.settle()
    [d] = await slack.repo.export()
    assert d.status is Status.DELETED and d.text == ""


async def test_ordinary_messages_cost_nothing(slack: Slack) -> None:
    payload = fixture("message_changed")
    payload["event"] = {"type": "message", "channel": "C111", "user": "W111", "text": "hi", "ts": "1.000001"}
    assert (await slack.event(payload)).status == 200
    await slack.settle()
    assert [c.method for c in slack.fake.calls] in ([], ["auth.test"])  # bolt learns its bot id once


async def test_a_redelivered_event_gives_one_deliverable(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message("C111", TS, "Fixed")
    first = reaction("white_check_mark")
    assert (await slack.event(first)).status == 200
    retry = await slack.event(
        first, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert retry.status == 200
    await slack.settle()
    assert len(await slack.repo.export()) == 1


async def test_40000_character_messages_are_recorded_whole_or_refused_with_a_reason(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message("C111", TS, "a" * 40_000)
    slack.fake.add_message("C111", "1599529504.000500", "b" * 40_001)
    await slack.event(reaction("white_check_mark"))
    await slack.event(reaction("white_check_mark", ts="1599529504.000500", event_id="Ev9"))
    await slack.settle()
    [d] = await slack.repo.export()
    assert len(d.text) == 40_000
    notes = [n["text"] for n in slack.fake.called("chat.postEphemeral")]
    assert any("the limit is 40,000" in n for n in notes)


async def test_a_tagging_reaction_reads_the_charter_once(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message("C111", TS, "Fixed")
    repo = slack.app.engine.services.repo
    reads: list[object] = []
    read = repo.get_charter

    async def counted(key: Any) -> Any:
        reads.append(key)
        return await read(key)

    repo.get_charter = counted  # type: ignore[method-assign]
    await slack.event(reaction("white_check_mark"))
    await slack.settle()
    assert len(await slack.repo.export()) == 1
    assert len(reads) == 1  # the emoji check's read in the work serves the engine too
