"""SPEC "Capture and enforcement" rules 1 to 5, through the engine, on a real database."""

from __future__ import annotations

import asyncio

import pytest

from bot.deliverable import Status
from tests.engine.harness import ADMIN, Dialog, key


@pytest.fixture
async def d(repo):
    dialog = Dialog(repo)
    return dialog


async def test_rule1_no_charter_means_no_capture_and_a_clear_reply(d):
    ts = d.post("U1", "something useful")
    out = await d.react("U1", ts, "white_check_mark")
    assert out == []  # an unmapped reaction (no charter maps anything) is silent
    out = await d.text("U1", "deliver solution fixed it")
    assert "no charter yet" in out and "/outputs setup" in out
    assert await d.repo.list_deliverables(key()) == []


async def test_rule1_bot_joining_a_channel_without_charter_says_so_once(d):
    first = await d.bot_joined()
    assert len(first) == 1 and "no charter yet" in first[0]
    assert d.replies()[0].audience == "channel"
    assert await d.bot_joined() == []


async def test_rule2_undeclared_type_is_refused_with_the_declared_list(d):
    await d.setup_charter()
    out = await d.text("U1", "deliver report Quarterly numbers")
    assert "`report` is not an output type" in out
    assert "`solution`, `idea`" in out


async def test_rule2_unmapped_reaction_is_ignored_silently(d):
    await d.setup_charter()
    ts = d.post("U1", "nice")
    assert await d.react("U2", ts, "thumbsup") == []
    assert d.gateway.fetched == []  # not even fetched


async def test_rule3_reaction_records_snapshot_and_asks_tagger_for_missing_fields(d):
    await d.setup_charter()
    ts = d.post("U1", "Customer could not log in\nthe certificate expired")
    out = await d.react("U2", ts, "white_check_mark")
    [dl] = await d.repo.list_deliverables(key())
    assert dl.status is Status.DRAFT
    assert dl.text == "Customer could not log in\nthe certificate expired"
    assert dl.author_id == "U1" and dl.tagged_by == "U2" and dl.via == "reaction"
    assert dl.permalink == f"https://chat.example/C1/{ts}"
    assert dl.title == "Customer could not log in"
    assert any("Recorded #" in o for o in out)
    forms = [o for o in d.last if type(o).__name__ == "OpenForm"]
    assert len(forms) == 1 and forms[0].user_id == "U2" and forms[0].deliverable_id == dl.id
    assert [f.name for f in forms[0].fields] == ["problem", "fix", "area"]


async def test_rule3_inline_fields_with_quotes_make_it_complete(d):
    await d.setup_charter()
    out = await d.text("U1", 'deliver solution Reset the sync job problem="Sync stuck" fix=restart')
    [dl] = await d.repo.list_deliverables(key())
    assert dl.status is Status.COMPLETE, out
    assert dl.fields == {"problem": "Sync stuck", "fix": "restart"}
    assert dl.text == "Reset the sync job"


async def test_rule3_unknown_field_is_refused_with_the_field_list(d):
    await d.setup_charter()
    ts = d.post("U1", "x")
    out = await d.shortcut("U1", ts, "solution", colour="red")
    assert any("has no field colour" in o and "problem, fix, area" in o for o in out)
    assert await d.repo.list_deliverables(key()) == []


async def test_rule4_same_message_same_type_is_one_deliverable(d):
    await d.setup_charter()
    ts = d.post("U1", "idea: dark mode")
    await d.react("U2", ts, "bulb")
    await d.react("U3", ts, "bulb")  # someone else
    await d.react("U2", ts, "bulb")  # a retried event
    await d.shortcut("U4", ts, "idea")  # and a shortcut
    items = await d.repo.list_deliverables(key())
    assert len(items) == 1
    # but a second *type* on the same message is a second deliverable
    await d.react("U2", ts, "white_check_mark")
    assert len(await d.repo.list_deliverables(key())) == 2


async def test_rule4_concurrent_taggings_give_one_deliverable_and_no_error(repo):
    d = Dialog(repo)
    await d.setup_charter()
    ts = d.post("U1", "idea: offline mode")
    results = await asyncio.gather(
        *(
            d.engine.handle(
                __import__("bot.events", fromlist=["ReactionAdded"]).ReactionAdded(
                    d.info(), d.actor(f"U{i}"), ts, "bulb"
                ),
                d.gateway,
            )
            for i in range(20)
        )
    )
    assert all(results)
    assert len(await repo.list_deliverables(key())) == 1


async def test_rule4_withdrawn_only_when_no_tagging_reaction_remains(d):
    await d.setup_charter()
    ts = d.post("U1", "idea: SSO for the wiki")
    await d.react("U2", ts, "bulb")
    await d.react("U3", ts, "bulb")
    await d.unreact("U2", ts, "bulb")
    [dl] = await d.repo.list_deliverables(key())
    assert dl.status is Status.COMPLETE
    out = await d.unreact("U3", ts, "bulb")
    [dl] = await d.repo.list_deliverables(key())
    assert dl.status is Status.WITHDRAWN and any("Withdrawn" in o for o in out)
    # added again: the same deliverable comes back
    await d.react("U3", ts, "bulb")
    [dl2] = await d.repo.list_deliverables(key())
    assert dl2.id == dl.id and dl2.status is Status.COMPLETE


async def test_rule4_skin_tone_and_colons_are_the_same_emoji(d):
    await d.setup_charter()
    await d.text(ADMIN, 'type add kudos "Kudos" emoji=+1')
    ts = d.post("U1", "thanks for the fix")
    await d.react("U2", ts, "+1::skin-tone-3")
    await d.unreact("U2", ts, ":+1:")
    [dl] = await d.repo.list_deliverables(key())
    assert dl.status is Status.WITHDRAWN


async def test_rule4_bot_messages_and_bot_reactions_are_never_deliverables(d):
    await d.setup_charter()
    ts = d.post("UBOT", "digest text", bot=True)
    assert await d.react("U1", ts, "bulb") == []
    ts2 = d.post("U1", "human idea")
    from bot.events import Actor, ReactionAdded

    await d.engine.handle(ReactionAdded(d.info(), Actor("UBOT", is_bot=True), ts2, "bulb"), d.gateway)
    out = await d.shortcut("U1", ts, "idea")
    assert any("from the bot" in o for o in out)
    assert await d.repo.list_deliverables(key()) == []


async def test_rule5_edit_updates_snapshot_and_keeps_fields(d):
    await d.setup_charter()
    ts = d.post("U1", "first version")
    await d.shortcut("U1", ts, "solution", problem="P", fix="F")
    await d.edit(ts, "second version, better")
    [dl] = await d.repo.list_deliverables(key())
    assert dl.text == "second version, better" and dl.title == "second version, better"
    assert dl.fields == {"problem": "P", "fix": "F"} and dl.status is Status.COMPLETE


async def test_rule5_delete_marks_deleted_and_drops_text(d):
    await d.setup_charter()
    ts = d.post("U1", "secret plan")
    await d.react("U2", ts, "bulb")
    await d.delete(ts)
    [dl] = await d.repo.list_deliverables(key())
    assert dl.status is Status.DELETED and dl.text == "" and dl.title == ""


async def test_rule5_thread_reply_keeps_its_thread_permalink(d):
    await d.setup_charter()
    parent = d.post("U1", "question")
    ts = d.post("U2", "answer in thread", thread=parent)
    await d.react("U1", ts, "bulb")
    [dl] = await d.repo.list_deliverables(key())
    assert dl.thread_id == parent and dl.permalink.endswith(ts)


async def test_odd_text_is_stored_faithfully(d):
    await d.setup_charter()
    odd = 'שלום 👋 <!channel> \'; DROP TABLE deliverables; -- "quoted" ' + "x" * 39_000
    ts = d.post("U1", odd)
    await d.react("U2", ts, "bulb")
    [dl] = await d.repo.list_deliverables(key())
    assert dl.text == odd
    out = await d.text("U2", "list")
    assert "&lt;!channel&gt;" not in out  # plain rendering unescapes...
    raw = d.replies()[0].text
    assert "<!channel>" not in raw  # ...but the engine's text can't ping the channel


async def test_oversized_text_is_refused_with_a_reason(d):
    await d.setup_charter()
    ts = d.post("U1", "y" * 40_001)
    out = await d.react("U2", ts, "bulb")
    assert any("limit is 40,000" in o for o in out)
    assert await d.repo.list_deliverables(key()) == []


async def test_route_announces_completed_deliverable_once(d):
    await d.setup_charter()
    await d.text(ADMIN, 'type add win "Customer win" emoji=trophy fields=customer route=<#C9|sales>')
    ts = d.post("U1", "Signed ACME for 3 years")
    out = await d.react("U1", ts, "trophy")
    assert not any(r.channel_id == "C9" for r in d.replies())  # a draft is not announced
    [dl] = await d.repo.list_deliverables(key())
    out = await d.text("U1", f"complete {dl.id} customer=ACME")
    announce = [r for r in d.replies() if r.channel_id == "C9"]
    assert len(announce) == 1 and announce[0].kind == "announcement"
    assert "Signed ACME" in announce[0].text and dl.permalink in announce[0].text, out
    await d.react("U2", ts, "trophy")
    assert not any(r.channel_id == "C9" for r in d.replies())


async def test_a_route_by_name_needs_a_channel_the_bot_has_seen(d):
    await d.setup_charter()
    out = await d.text(ADMIN, 'type add win "Customer win" emoji=trophy route=#nowhere')
    assert "I do not know a channel named #nowhere" in out
    charter = await d.repo.get_charter(key())
    assert charter is not None and charter.type("win") is None  # nothing declared
    await d.cmd("U1", "help", channel="C7")  # the bot sees #c7
    out = await d.text(ADMIN, 'type add win "Customer win" emoji=trophy route=#c7')
    assert "Declared" in out, out
    await d.text(ADMIN, 'type add lead "Lead" emoji=star route=C0123ABCD')  # an id, as typed
    charter = await d.repo.get_charter(key())
    assert charter is not None
    assert charter.type("win").route == "C7" and charter.type("lead").route == "C0123ABCD"
