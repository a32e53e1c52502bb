"""Posts nobody asked for (digests, nudges): continue_conversation on stored references,
within Teams' size limits, retried on 429 and 5xx."""

from __future__ import annotations

import pytest

from adapters.teams.delivery import rate_limited
from adapters.teams.limits import MAX_TEXT_BYTES, split_text
from bot.charter import ChannelKey
from bot.digests import post_due
from bot.events import Audience, Reply
from bot.fanout import Fanout, Pace, RateLimited
from storage.database import Database
from tests.teams.conftest import Teams, anonymous_settings, start_teams

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
GENERAL = "19:efa9296d959346209fea44151c742e73@thread.skype"
KEY = ChannelKey(platform="teams", workspace_id=TENANT, channel_id=GENERAL)


async def test_the_scheduler_posts_the_digest_through_the_stored_reference(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    await teams.command("purpose We solve customer problems")
    await teams.command('type add solution "Problem solved" target=3/week')
    await teams.command("schedule mon 08:00 UTC")
    teams.connector.calls.clear()
    clock = teams.clock
    clock.advance(days=7, hours=-1, minutes=5)  # next Monday, 08:05
    [outcome] = await post_due(teams.app.engine.services, teams.server.poster, clock.now())
    assert outcome.status == "sent" and outcome.message_id
    [post] = teams.connector.activities()
    assert post.conversation == GENERAL  # the channel itself, not a thread
    [card] = teams.connector.cards()
    assert card["version"] == "1.5" and "Problem solved" in str(card)


async def test_a_channel_without_reference_is_a_clear_error(teams: Teams) -> None:
    with pytest.raises(LookupError, match="no conversation reference"):
        await teams.server.poster.post(Reply(Audience.CHANNEL, GENERAL, "hello"), KEY)


async def test_429_and_503_are_retried(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    teams.connector.calls.clear()
    teams.connector.fail_next = [429, 503]
    message_id = await teams.server.poster.post(Reply(Audience.CHANNEL, GENERAL, "hello"), KEY)
    assert message_id.startswith("act-")
    assert len(teams.connector.activities()) == 3  # two refusals, then delivered


async def test_a_persistent_failure_raises_for_the_scheduler_to_record(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    teams.connector.fail_next = [503] * 10  # Retry-After: 0, so no waiting
    with pytest.raises(Exception):  # noqa: B017  # msrest's HttpOperationError
        await teams.server.poster.post(Reply(Audience.CHANNEL, GENERAL, "hello"), KEY)


async def test_a_429_past_the_connector_retries_raises_rate_limited(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    teams.connector.calls.clear()
    teams.connector.fail_next = [429] * 5  # the first try and the policy's 4 retries
    teams.connector.retry_afters = ["0", "0", "0", "0", "9"]
    with pytest.raises(RateLimited) as raised:
        await teams.server.poster.post(Reply(Audience.CHANNEL, GENERAL, "hello"), KEY)
    assert raised.value.retry_after == 9
    assert len(teams.connector.activities()) == 5


async def test_a_rate_limited_digest_is_held_back_by_the_fanout_then_sent(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    await teams.command('type add solution "Problem solved" target=3/week')
    await teams.command("schedule mon 08:00 UTC")
    teams.connector.calls.clear()
    teams.connector.fail_next = [429] * 5
    teams.connector.retry_afters = ["0", "0", "0", "0", "4"]
    now = [1000.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    fanout = Fanout(Pace(per_workspace={"teams": 25.0}), clock=lambda: now[0], sleep=sleep)
    clock = teams.clock
    clock.advance(days=7, hours=-1, minutes=5)  # next Monday, 08:05
    [outcome] = await post_due(teams.app.engine.services, teams.server.poster, clock.now(), fanout=fanout)
    assert outcome.status == "sent" and outcome.message_id
    assert len(teams.connector.activities()) == 6  # five refusals, then the digest
    assert sum(waits) >= 4  # the tenant was held back for the Retry-After


def test_retry_after_may_be_an_http_date_or_missing() -> None:
    class Refused(Exception):
        def __init__(self, status: int, headers: dict[str, str]) -> None:
            self.response = type("R", (), {"status_code": status, "headers": headers})()

    assert rate_limited(Refused(503, {"Retry-After": "1"})) is None
    assert rate_limited(ValueError("no response")) is None
    limited = rate_limited(Refused(429, {}))
    assert limited is not None and limited.retry_after == 30
    past = rate_limited(Refused(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert past is not None and past.retry_after == 0


async def test_long_text_is_split_within_the_limit(teams: Teams) -> None:
    await teams.post("conversation_update_bot_added")
    teams.connector.calls.clear()
    text = "\n".join(f"line {n} " + "é" * 300 for n in range(120))
    await teams.server.poster.post(Reply(Audience.CHANNEL, GENERAL, text), KEY)
    posts = teams.connector.activities()
    assert len(posts) > 1
    assert all(len(p.body["text"].encode()) <= 2 * MAX_TEXT_BYTES for p in posts)  # \n doubled for Markdown


def test_split_text_caps_the_number_of_messages() -> None:
    chunks = split_text("x" * 100 + "\n" + "y" * 100, limit=60, most=3)
    assert len(chunks) == 3 and chunks[-1].endswith("…")
    assert all(len(c.encode()) <= 60 for c in chunks)
    assert split_text("") == [""]


async def test_connector_base_url_replaces_the_activities_service_url(db: Database) -> None:
    settings = anonymous_settings(OUTPUTS_TEAMS__CONNECTOR_BASE_URL="https://connector.example/")
    async for t in start_teams(db, settings):
        assert t.server.adapter.connector_url == "https://connector.example/"
        t.server.adapter.connector_url = t.service_url  # the fake's address, known only now
        a = t.activity("conversation_update_bot_added", serviceUrl="https://smba.trafficmanager.net/amer/")
        await t.post(a)
        assert t.connector.activities()  # the setup hint reached the configured connector
        ref = await t.server.refs.get(KEY)
        assert ref is not None and ref.service_url == t.service_url
        await t.server.poster.post(Reply(Audience.CHANNEL, GENERAL, "hello"), KEY)
        assert t.connector.texts()[-1] == "hello"
