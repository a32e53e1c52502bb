"""Setup modal, welcome and bot-joined notes, App Home, routing."""

from __future__ import annotations

import json

from adapters.slack import blocks
from tests.slack.conftest import Slack, declare, fixture

TS = "1599529504.000400"


def setup_submission(view: dict, **values: str) -> dict:
    submission = fixture("view_submission")
    submission["user"]["id"] = "WADMIN"
    submission["view"].update(
        callback_id=blocks.SETUP_VIEW,
        private_metadata=view["private_metadata"],
        state={"values": {k: {"value": {"type": "plain_text_input", "value": v}} for k, v in values.items()}},
    )
    return submission


async def test_setup_opens_a_modal_and_shows_errors_inline(slack: Slack) -> None:
    await slack.command("setup")
    [opened] = slack.fake.called("views.open")
    view = opened["view"]
    assert opened["trigger_id"].count(".") == 2  # the command's own trigger
    assert view["callback_id"] == blocks.SETUP_VIEW
    assert [b["block_id"] for b in view["blocks"]] == ["purpose", "types", "schedule", "timezone", "language"]

    bad = setup_submission(
        view, purpose="", types="solution", schedule="someday", timezone="UTC", language="en"
    )
    resp = await slack.interact(bad)
    assert resp.status == 200
    answer = await resp.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) >= {"purpose", "schedule"}
    assert await slack.repo.list_charters() == []

    good = setup_submission(
        view,
        purpose="We solve customer problems",
        types='solution "Problem solved" emoji=white_check_mark fields=problem,fix target=3/week',
        schedule="fri 16:00",
        timezone="Europe/Paris",
        language="fr",
    )
    resp = await slack.interact(good)
    assert resp.status == 200 and await resp.text() == ""
    await slack.settle()
    [charter] = await slack.repo.list_charters()
    assert charter.purpose == "We solve customer problems" and charter.timezone == "Europe/Paris"
    assert charter.types[0].target is not None and charter.types[0].target.count == 3
    [saved] = slack.fake.called("chat.postEphemeral")
    assert "Charter saved" in saved["text"]


async def test_setup_submitted_by_a_member_is_refused(slack: Slack) -> None:
    await slack.command("setup")
    [opened] = slack.fake.called("views.open")
    bad = setup_submission(
        opened["view"], purpose="x", types="", schedule="off", timezone="UTC", language="en"
    )
    bad["user"]["id"] = "WMEMBER"
    await slack.interact(bad)
    await slack.settle()
    assert await slack.repo.list_charters() == []


async def test_new_members_get_the_charter_privately_once(slack: Slack) -> None:
    await declare(slack, "purpose We fix things", 'type add solution "Problem solved" emoji=white_check_mark')
    joined = fixture("member_joined_channel")
    await slack.event(joined)
    await slack.settle()
    await slack.event({**joined, "event_id": "Ev-again"})
    await slack.settle()
    [welcome] = slack.fake.called("chat.postMessage")
    assert welcome["channel"] == "W111"
    assert "Welcome to #chan-c111" in welcome["text"] and ":white_check_mark:" in welcome["text"]


async def test_the_bot_joining_a_channel_without_charter_says_once_how_to_set_up(slack: Slack) -> None:
    joined = fixture("member_joined_channel")
    joined["event"]["user"] = "UBOT"
    await slack.event(joined)
    await slack.settle()
    await slack.event({**joined, "event_id": "Ev-again"})
    await slack.settle()
    [hello] = slack.fake.called("chat.postMessage")
    assert hello["channel"] == "C111" and "/outputs setup" in hello["text"]


async def test_app_home_shows_drafts_recent_deliverables_and_owned_channels(slack: Slack) -> None:
    await declare(
        slack,
        'type add solution "Problem solved" emoji=white_check_mark fields=fix',
        'type add idea "Idea" emoji=bulb target=2/week',
        "owners add <@U123ABC456>",
    )
    slack.fake.add_message("C111", TS, "A draft")
    slack.fake.add_message("C111", "1599529504.000500", "An idea")
    for n, (emoji, ts) in enumerate([("white_check_mark", TS), ("bulb", "1599529504.000500")]):
        reaction = fixture("reaction_added")
        reaction["event_id"] = f"Ev{n}"
        reaction["event"].update(
            reaction=emoji, user="U123ABC456", item={"type": "message", "channel": "C111", "ts": ts}
        )
        await slack.event(reaction)
    await slack.settle()
    slack.fake.calls.clear()
    assert (await slack.event(fixture("app_home_opened"))).status == 200
    await slack.settle()
    [published] = slack.fake.called("views.publish")
    assert published["user_id"] == "U123ABC456"
    view = published["view"]
    text = json.dumps(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "Drafts to complete" in text and "A draft" in text and blocks.OPEN_FORM in text
    assert "Your recent deliverables" in text and "An idea" in text
    assert "Channels you own" in text and "<#C111>" in text and "Idea: 1/2" in text


async def test_completed_deliverables_of_a_routed_type_are_announced(slack: Slack) -> None:
    await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark route=<#C999|sales>')
    slack.fake.add_message("C111", TS, "Big fix")
    reaction = fixture("reaction_added")
    reaction["event"].update(
        reaction="white_check_mark", item={"type": "message", "channel": "C111", "ts": TS}
    )
    await slack.event(reaction)
    await slack.settle()
    [announce] = slack.fake.called("chat.postMessage")
    assert announce["channel"] == "C999"
    assert "Big fix" in announce["text"] and "https://test.slack.com/archives/C111/" in announce["text"]


async def test_export_sends_the_file_privately(slack: Slack) -> None:
    await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark')
    await slack.command("export csv")
    assert slack.fake.called("conversations.open")[0]["users"] == "WADMIN"
    [done] = slack.fake.called("files.completeUploadExternal")
    assert done["channel_id"] == "DWADMIN"
    assert slack.fake.uploads and slack.fake.uploads[0].startswith(b"id,")


async def test_app_home_is_in_the_language_the_person_chose_over_their_slack_locale(slack: Slack) -> None:
    await declare(slack, 'type add idea "Idea" emoji=bulb')
    home = fixture("app_home_opened")
    user = home["event"]["user"]
    slack.fake.users[user] = {"id": user, "name": "ann", "locale": "en-US"}
    assert (await slack.command("language me fr", user=user)).status == 200
    slack.fake.calls.clear()
    assert (await slack.event(home)).status == 200
    await slack.settle()
    [published] = slack.fake.called("views.publish")
    text = json.dumps(published["view"], ensure_ascii=False)
    assert "Brouillons à compléter" in text and "Drafts to complete" not in text
