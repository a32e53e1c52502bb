"""The roll-up: the workspace portfolio in the roll-up channel, after the channel digests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.passes import run_pass
from bot.ports import ChannelInfo
from tests.scheduler.helpers import Clock, RecordingPoster, add_charter, deliver, key, services

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 16:00 Paris


async def test_portfolio_after_the_digests_once(repo):
    await add_charter(repo, "met", MONDAY, target=1)
    await add_charter(repo, "behind", MONDAY, target=3)
    await add_charter(repo, "idle", MONDAY - timedelta(weeks=3))
    paused = await add_charter(repo, "paused", MONDAY)
    await repo.save_charter(
        paused.model_copy(update={"paused_until": date(2026, 12, 10)}), "UOWNER", "pause", MONDAY
    )
    await repo.upsert_channel(ChannelInfo(key=key("random"), name="random"))
    await repo.upsert_channel(ChannelInfo(key=key("portfolio"), name="portfolio"))
    await repo.set_rollup_channel("test", "W1", "portfolio")
    await deliver(repo, "met", MONDAY + timedelta(hours=1))
    await deliver(repo, "behind", MONDAY + timedelta(hours=1))

    # the roll-up keeps the default schedule (Friday 16:00) in the default timezone (Paris)
    svc, poster = services(repo, Clock(FRIDAY), default_timezone="Europe/Paris"), RecordingPoster()
    await run_pass(svc, poster, FRIDAY)
    kinds = [r.kind for r, _ in poster.sent]
    assert kinds.count("digest") == 4 - 1 and kinds[-1] == "rollup"  # paused: no digest
    [(reply, channel)] = poster.of_kind("rollup")
    assert channel.channel_id == "portfolio"
    lines = reply.text.splitlines()
    assert lines[0].startswith("*Portfolio*") and "Friday 27 November" in lines[0]
    assert "✅ met: 1" in lines[1] and "🟡 behind: 1" in lines[1] and "🔴 nothing: 1" in lines[1]
    assert "⚪ no charter: 1" in lines[1] and "⏸️ paused: 1" in lines[1]
    body = "\n".join(lines[2:])
    assert "#idle — nothing: Problem solved 0/2; nothing for 4 periods in a row" in body
    assert "#behind — behind: Problem solved 1/3" in body
    assert "#met — met: Problem solved 1/2" not in body and "#met — met: Problem solved 1/1" in body
    assert "#random — no charter" in body and "#paused — paused" in body
    assert "#portfolio" not in body  # the roll-up channel itself hosts no charter
    assert lines[2].startswith("🔴")  # the channels that need attention come first

    await run_pass(svc, poster, FRIDAY + timedelta(minutes=10))
    assert len(poster.of_kind("rollup")) == 1
    svc.clock.set(FRIDAY + timedelta(weeks=1))
    await run_pass(svc, poster, svc.clock.now())
    assert len(poster.of_kind("rollup")) == 2


async def test_no_rollup_without_a_rollup_channel_or_before_any_charter(repo):
    await add_charter(repo, "C1", FRIDAY + timedelta(hours=1))
    await repo.set_rollup_channel("test", "W1", "portfolio")
    svc, poster = services(repo, Clock(FRIDAY)), RecordingPoster()
    await run_pass(svc, poster, FRIDAY + timedelta(days=1))  # the closed roll-up period predates C1
    assert poster.of_kind("rollup") == []
    await repo.set_rollup_channel("test", "W1", None)
    await run_pass(svc, poster, FRIDAY + timedelta(weeks=1, hours=1))
    assert poster.of_kind("rollup") == []
