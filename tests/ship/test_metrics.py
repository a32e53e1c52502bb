"""/metrics after real requests: signed Slack requests through the real server, a fake Slack."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from app.scheduler import Scheduler
from bot.digests import post_due
from tests.ship.helpers import scrape, total, value
from tests.slack.conftest import Slack, declare, fixture


async def test_requests_are_counted_by_platform_kind_and_status(slack: Slack) -> None:
    assert (await slack.event(fixture("url_verification"))).status == 200
    assert (await slack.command("help")).status == 200
    unsigned = slack.command_body("help")
    assert (await slack.post(unsigned, "application/x-www-form-urlencoded", sign=False)).status == 401
    await slack.http.get("/healthz")

    text = await scrape(slack)
    requests = "outputs_requests_total"
    assert value(text, requests, platform="slack", kind="url_verification", status="200") == 1
    assert value(text, requests, platform="slack", kind="command", status="200") == 1
    assert value(text, requests, platform="slack", kind="command", status="401") == 1
    assert total(text, requests, kind="healthz") == 0  # health probes are not platform requests
    # every platform request's answer is timed: the histogram counts all three
    assert value(text, "outputs_ack_seconds_count", platform="slack") == 3
    assert value(text, "outputs_ack_seconds_bucket", platform="slack", le="+Inf") == 3


async def test_event_kinds_are_the_event_types(slack: Slack) -> None:
    await declare(slack, 'type add idea "Idea" emoji=bulb')
    event = fixture("reaction_added")
    slack.fake.add_message(event["event"]["item"]["channel"], event["event"]["item"]["ts"], "An idea")
    assert (await slack.event(event)).status == 200
    await slack.settle()
    text = await scrape(slack)
    assert value(text, "outputs_requests_total", platform="slack", kind="reaction_added", status="200") == 1


async def test_captures_are_counted_by_type_and_path(slack: Slack) -> None:
    await declare(slack, 'type add idea "Idea" emoji=bulb', 'type add fix "Fix"')
    await slack.command("deliver idea Cache the channel facts")
    await slack.command("deliver idea Cache the channel facts")  # free text: each deliver is new
    await slack.command("deliver fix Restart the worker")
    event = fixture("reaction_added")
    item = event["event"]["item"]
    event["event"]["reaction"] = "bulb"
    slack.fake.add_message(item["channel"], item["ts"], "Tagged by a reaction")
    await slack.event(event)
    await slack.event({**event, "event_id": "Ev-again"})  # a second tagging: same deliverable
    await slack.settle()

    text = await scrape(slack)
    captured = "outputs_deliverables_captured_total"
    assert value(text, captured, platform="slack", type="idea", via="command") == 2
    assert value(text, captured, platform="slack", type="fix", via="command") == 1
    assert value(text, captured, platform="slack", type="idea", via="reaction") == 1


async def test_slack_api_errors_and_retries_are_counted(slack: Slack) -> None:
    slack.fake.fail["users.info"] = "user_not_found"
    slack.fake.throttle["conversations.info"] = 1
    slack.fake.retry_after = 0
    await slack.command("help")
    text = await scrape(slack)
    assert value(text, "outputs_platform_api_errors_total", platform="slack", error="user_not_found") == 1
    assert value(text, "outputs_platform_api_errors_total", platform="slack", error="ratelimited") == 1
    assert value(text, "outputs_platform_api_retries_total", platform="slack", reason="ratelimited") == 1
    assert [c.method for c in slack.fake.calls].count("conversations.info") == 2  # retried once


async def test_digests_sent_and_failed_are_counted(slack: Slack) -> None:
    await declare(slack, 'type add idea "Idea" target=1/week', "schedule fri 16:00 UTC")
    await declare(slack, 'type add idea "Idea" target=1/week', "schedule fri 16:00 UTC", channel="C222")
    slack.fake.fail["chat.postMessage"] = "channel_not_found"
    later = datetime.now(UTC) + timedelta(days=8)
    outcomes = await post_due(slack.app.engine.services, slack.server.poster, later, channel_id="C222")
    assert [o.status for o in outcomes] == ["failed"]
    del slack.fake.fail["chat.postMessage"]
    outcomes = await post_due(slack.app.engine.services, slack.server.poster, later, channel_id="C111")
    assert [o.status for o in outcomes] == ["sent"]

    text = await scrape(slack)
    assert value(text, "outputs_digests_total", platform="slack", status="sent") == 1
    assert value(text, "outputs_digests_total", platform="slack", status="failed") == 1
    assert 'outputs_digests_total{platform="teams",status="failed"} 0.0' in text  # there from the start
    assert value(text, "outputs_platform_api_errors_total", platform="slack", error="channel_not_found") == 1


async def test_scheduler_lag_is_observed(slack: Slack) -> None:
    scheduler = Scheduler(slack.app.engine.services, slack.server.poster, tick_seconds=3600)
    await scheduler.start()  # the tick job is due at once
    try:
        async with asyncio.timeout(30):
            while scheduler.passes < 1:
                await asyncio.sleep(0.01)
    finally:
        await scheduler.shutdown()
    text = await scrape(slack)
    assert value(text, "outputs_scheduler_lag_seconds_count") >= 1
    assert value(text, "outputs_scheduler_last_lag_seconds") >= 0


async def test_each_app_has_its_own_registry(slack: Slack, fake, sqlite_db) -> None:  # type: ignore[no-untyped-def]
    from tests.slack.conftest import start_slack, stop_slack

    other = await start_slack(fake, sqlite_db.url)
    try:
        await slack.command("help")
        assert value(await scrape(other), "outputs_requests_total", platform="slack", kind="command",
                     status="200") == 0
        assert value(await scrape(slack), "outputs_requests_total", platform="slack", kind="command",
                     status="200") == 1
    finally:
        await stop_slack(other)


async def test_unsigned_requests_cannot_invent_label_values(slack: Slack) -> None:
    for n in range(3):
        forged = {"type": "event_callback", "team_id": "T111", "event": {"type": f"made_up_{n}"}}
        assert (await slack.post(json.dumps(forged), "application/json", sign=False)).status == 401
    made_up = {"type": f"nonsense_{'x' * 50}"}
    assert (await slack.post(json.dumps(made_up), "application/json", sign=False)).status == 401
    text = await scrape(slack)
    assert "made_up" not in text and "nonsense" not in text
    assert value(text, "outputs_requests_total", platform="slack", kind="other_event", status="401") == 3
    assert value(text, "outputs_requests_total", platform="slack", kind="other", status="401") == 1
