"""`last_digest_ends`: the newest run per channel, leases taken into account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.charter import ChannelKey

T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def key(c: str, ws: str = "W1") -> ChannelKey:
    return ChannelKey(platform="slack", workspace_id=ws, channel_id=c)


async def test_newest_end_per_channel_and_dead_leases(repo):
    week = timedelta(days=7)
    assert await repo.last_digest_ends() == {}
    for end in (T0 - week, T0):
        assert await repo.claim_digest(key("C1"), end - week, end, end, 300)
        await repo.finish_digest(key("C1"), end, status="sent", at=end, message_id="m")
    assert await repo.claim_digest(key("C2"), T0 - week, T0, T0, 300)  # claimed, never finished
    await repo.claim_digest(key("C1", "W2"), T0 - week, T0 - week, T0 - week, 300)
    await repo.finish_digest(key("C1", "W2"), T0 - week, status="failed", at=T0, error="x")
    ends = await repo.last_digest_ends()
    assert ends == {key("C1"): T0, key("C2"): T0, key("C1", "W2"): T0 - week}
    assert all(e.tzinfo is not None for e in ends.values())
    # five minutes on, C2's claim is a dead replica's lease: it no longer counts
    later = await repo.last_digest_ends(live_after=T0 + timedelta(seconds=1))
    assert later == {key("C1"): T0, key("C1", "W2"): T0 - week}
