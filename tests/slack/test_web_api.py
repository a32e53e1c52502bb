"""Web API behaviour: the base URL, 429s retried by slack-sdk, errors logged and reported,
the scheduler's poster, and two instances on one PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from adapters.slack.poster import SlackPostError
from bot.charter import ChannelKey
from bot.digests import post_due
from bot.events import Audience, Reply
from bot.fanout import Fanout, Pace, RateLimited
from storage.database import Database
from tests.conftest import PG_SKIP, PG_URL
from tests.slack.conftest import TOKEN, Slack, declare, fixture, start_slack, stop_slack
from tests.slack.fake_slack import FakeSlack

TS = "1599529504.000400"
KEY = ChannelKey(platform="slack", workspace_id="T111", channel_id="C111")


def tag(ts: str = TS, event_id: str = "Ev111") -> dict:
    payload = fixture("reaction_added")
    payload["event_id"] = event_id
    payload["event"].update(
        reaction="white_check_mark", item={"type": "message", "channel": "C111", "ts": ts}
    )
    return payload


async def test_every_call_goes_to_the_configured_base_url_with_the_bot_token(slack: Slack) -> None:
    await slack.command("help")
    assert slack.fake.calls  # they reached the fake, not slack.com
    assert {c.token for c in slack.fake.calls} == {TOKEN}
    assert slack.server.client.base_url == slack.fake.api_url


async def test_a_429_is_retried_after_retry_after_and_nothing_is_lost(slack: Slack) -> None:
    await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark')
    slack.fake.add_message("C111", TS, "Fixed")
    slack.fake.throttle["chat.postEphemeral"] = 1
    await slack.event(tag())
    await slack.settle()
    attempts = slack.fake.called("chat.postEphemeral")
    assert len(attempts) == 2  # one 429, then the same call again
    assert len(await slack.repo.export()) == 1


async def test_not_in_channel_is_logged_with_context_and_told_to_the_asker(
    slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark')
    slack.fake.fail["chat.postMessage"] = "not_in_channel"
    with caplog.at_level(logging.WARNING, logger="adapters.slack"):
        await slack.command("digest post")
    assert any(
        "channel=C111" in r.getMessage() and "not_in_channel" in r.getMessage() for r in caplog.records
    )
    assert any("/invite @Outputs" in text for text in slack.replies())


@pytest.mark.parametrize("code", ["channel_not_found", "is_archived", "invalid_auth"])
async def test_poster_errors_are_raised_with_slack_code_and_logged(
    slack: Slack, caplog: pytest.LogCaptureFixture, code: str
) -> None:
    slack.fake.fail["chat.postMessage"] = code
    reply = Reply(Audience.CHANNEL, "C111", "Digest", kind="digest")
    with caplog.at_level(logging.WARNING, logger="adapters.slack"), pytest.raises(SlackPostError, match=code):
        await slack.server.poster.post(reply, KEY)
    assert any(code in r.getMessage() and "workspace=T111" in r.getMessage() for r in caplog.records)


async def test_poster_posts_and_returns_the_message_ts(slack: Slack) -> None:
    ts = await slack.server.poster.post(Reply(Audience.CHANNEL, "C111", "*Digest*", kind="digest"), KEY)
    [post] = slack.fake.called("chat.postMessage")
    assert ts and post["channel"] == "C111" and post["blocks"][0]["text"]["text"] == "*Digest*"


async def test_a_429_past_slack_sdks_retries_raises_rate_limited_with_the_retry_after(slack: Slack) -> None:
    slack.fake.throttle["chat.postMessage"] = 4  # the first try and slack-sdk's 3 retries
    slack.fake.retry_afters = [0, 0, 0, 7]
    reply = Reply(Audience.CHANNEL, "C111", "Digest", kind="digest")
    with pytest.raises(RateLimited) as raised:
        await slack.server.poster.post(reply, KEY)
    assert raised.value.retry_after == 7
    assert len(slack.fake.called("chat.postMessage")) == 4


async def test_a_rate_limited_digest_is_held_back_by_the_fanout_then_sent(slack: Slack) -> None:
    await declare(
        slack, 'type add solution "Problem solved" emoji=white_check_mark', "schedule mon 08:00 UTC"
    )
    slack.fake.throttle["chat.postMessage"] = 4
    slack.fake.retry_afters = [0, 0, 0, 5]
    now = [1000.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the fan-out's clock is virtual; slack-sdk's is not
        waits.append(seconds)
        now[0] += seconds

    fanout = Fanout(Pace(per_workspace={"slack": 3.0}), clock=lambda: now[0], sleep=sleep)
    services = slack.app.engine.services
    next_week = services.clock.now() + timedelta(days=8)  # a period has closed since the charter
    [outcome] = await post_due(services, slack.server.poster, next_week, fanout=fanout)
    assert outcome.status == "sent" and outcome.message_id
    posts = slack.fake.called("chat.postMessage")
    assert len(posts) == 5 and "What we produced" in posts[-1]["text"]
    assert sum(waits) >= 5  # the workspace was held back for the Retry-After


async def test_engine_failures_are_reported_and_never_crash(slack: Slack) -> None:
    await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark')

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is gone")

    slack.app.engine.services.repo.get_charter = broken  # type: ignore[method-assign]
    resp = await slack.command("help")
    assert resp.status == 200
    assert any("Something went wrong" in text for text in slack.replies())


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_instances_on_one_postgresql_record_one_deliverable(fake: FakeSlack, db: Database) -> None:
    one = await start_slack(fake, db.url)
    two = await start_slack(fake, db.url)
    try:
        await declare(one, 'type add solution "Problem solved" emoji=white_check_mark')
        fake.add_message("C111", TS, "Fixed")
        payload = tag()
        answers = await asyncio.gather(one.event(payload), two.event(payload))
        assert [a.status for a in answers] == [200, 200]
        await asyncio.gather(one.settle(), two.settle())
        [d] = await one.repo.export()
        assert d.message_id == TS
        assert len(await two.repo.export()) == 1
    finally:
        await stop_slack(one)
        await stop_slack(two)
