"""Slack (or a proxy in front of it) answering with HTML error pages: the person still gets
an answer, through the next way there is, and nothing is logged at ERROR."""

from __future__ import annotations

import logging

import pytest

from tests.slack.conftest import Slack, declare, fixture


@pytest.mark.parametrize("page", ["html_errors", "broken_json"])
async def test_help_is_answered_when_users_info_answers_an_html_page(
    slack: Slack, caplog: pytest.LogCaptureFixture, page: str
) -> None:
    getattr(slack.fake, page)["users.info"] = 100
    assert (await slack.command("help")).status == 200
    assert slack.replies() and "charter" in slack.replies()[-1].lower()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("page", ["html_errors", "broken_json"])
async def test_a_confirmation_goes_privately_when_chat_post_ephemeral_answers_an_html_page(
    slack: Slack, caplog: pytest.LogCaptureFixture, page: str
) -> None:
    await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark')
    getattr(slack.fake, page)["chat.postEphemeral"] = 100
    event = fixture("reaction_added")
    item = event["event"]["item"]
    event["event"]["reaction"] = "white_check_mark"
    slack.fake.add_message(item["channel"], item["ts"], "Fixed the printer")
    assert (await slack.event(event)).status == 200
    await slack.settle()
    assert len(await slack.repo.export()) == 1
    direct = [d for d in slack.fake.called("chat.postMessage") if d.get("channel") == event["event"]["user"]]
    assert [d for d in direct if "Recorded" in d.get("text", "")]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
