"""What an operator sees of the inbox: `outputs-bot inbox` and the /metrics gauges, after real
requests through the real server (a fake Slack whose history keeps failing)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from app import cli
from bot.config import load_settings
from tests.ship.helpers import scrape, value
from tests.slack.conftest import Slack, declare, fixture


async def test_a_capture_given_up_on_is_counted_listed_and_told(
    slack: Slack, capsys: pytest.CaptureFixture[str]
) -> None:
    await declare(slack, 'type add idea "Idea" emoji=bulb')
    # A horizon shorter than the first backoff: the first passing fault is the last try.
    slack.app.inbox.policy = dataclasses.replace(
        slack.app.inbox.policy, horizon=timedelta(milliseconds=1), backoff_base=0.01, backoff_cap=0.01
    )
    slack.fake.fail["conversations.history"] = "internal_error"  # every read of the message fails
    event = fixture("reaction_added")
    event["event"]["reaction"] = "bulb"
    item = event["event"]["item"]
    slack.fake.add_message(item["channel"], item["ts"], "An idea")
    assert (await slack.event(event)).status == 200
    await slack.settle()

    assert await slack.repo.export() == []
    told = [c.args for c in slack.fake.calls if c.method in ("chat.postEphemeral", "chat.postMessage")]
    assert any("reaction was not recorded: Slack was not answering" in str(a.get("text")) for a in told)

    text = await scrape(slack)
    assert value(text, "outputs_inbox_entries", status="failed") == 1
    assert value(text, "outputs_inbox_entries", status="pending") == 0
    assert value(text, "outputs_inbox_oldest_pending_seconds") == 0

    settings = load_settings(env={"OUTPUTS_DATABASE__URL": slack.app.db.url, "OUTPUTS_CONFIG": ""})
    assert await cli.inbox(settings, cli.parser().parse_args(["inbox"])) == 1  # something failed
    out = capsys.readouterr().out
    assert "pending  0" in out and "failed   1" in out
    assert "slack.reaction" in out and "Slack was not answering" in out


async def test_the_person_is_told_in_the_language_they_chose(slack: Slack) -> None:
    await declare(slack, 'type add idea "Idea" emoji=bulb')
    event = fixture("reaction_added")
    event["event"]["reaction"] = "bulb"
    user, item = event["event"]["user"], event["event"]["item"]
    slack.fake.users[user] = {"id": user, "name": "ann", "locale": "en-US"}
    assert (await slack.command("language me fr", user=user)).status == 200
    slack.app.inbox.policy = dataclasses.replace(
        slack.app.inbox.policy, horizon=timedelta(milliseconds=1), backoff_base=0.01, backoff_cap=0.01
    )
    slack.fake.fail["conversations.history"] = "internal_error"
    slack.fake.add_message(item["channel"], item["ts"], "An idea")
    slack.fake.calls.clear()
    assert (await slack.event(event)).status == 200
    await slack.settle()
    told = [str(c.args.get("text")) for c in slack.fake.calls if c.method == "chat.postEphemeral"]
    assert any("Votre réaction :bulb: n'a pas été enregistrée : Slack ne répondait pas" in t for t in told), (
        told
    )
