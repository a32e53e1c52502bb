"""The fan-out's pacing, measured on virtual time: what it waits for, not how fast a machine is."""

from __future__ import annotations

from bot.fanout import Fanout, Pace, RateLimited
from tests.scheduler.helpers import VirtualTime

SLACK = Pace(per_workspace={"slack": 3.0}, per_channel=1.0, concurrency=8)


def fanout(vt: VirtualTime, pace: Pace = SLACK) -> Fanout:
    return Fanout(pace, clock=vt.now, sleep=vt.sleep)


class Platform:
    """Records when each message arrives; answers 429 for the channels told to."""

    def __init__(self, vt: VirtualTime, limited: dict[str, int] | None = None, retry_after: float = 2.0):
        self.vt = vt
        self.at: list[tuple[str, float]] = []
        self.limited = dict(limited or {})
        self.retry_after = retry_after

    def post(self, channel: str):  # type: ignore[no-untyped-def]
        async def send() -> str:
            if self.limited.get(channel, 0) > 0:
                self.limited[channel] -= 1
                raise RateLimited(self.retry_after)
            if channel == "gone":
                raise RuntimeError("channel_not_found")
            self.at.append((channel, self.vt.now()))
            return f"ts{len(self.at)}"

        return send


async def test_workspace_pace_spreads_n_messages_over_n_over_pace_seconds():
    vt = VirtualTime()
    fan, slack = fanout(vt), Platform(vt)
    jobs = [lambda c=f"C{i}": fan.send("slack", "T1", c, slack.post(c)) for i in range(30)]
    results = await vt.run(fan.run(jobs))
    assert all(r.ok for r in results) and len(slack.at) == 30
    times = [t for _, t in slack.at]
    assert max(times) - min(times) == 29 / 3  # the pacing budget, exactly: no burst, no idle slot
    assert all(b - a >= 1 / 3 - 1e-9 for a, b in zip(times, times[1:], strict=False))


async def test_one_message_per_second_per_channel_while_others_go_on():
    vt = VirtualTime()
    fan, slack = fanout(vt), Platform(vt)
    jobs = [lambda c=c: fan.send("slack", "T1", c, slack.post(c)) for c in ["A"] * 4 + ["B", "C", "D"]]
    await vt.run(fan.run(jobs))
    a = [t for c, t in slack.at if c == "A"]
    assert all(y - x >= 1.0 - 1e-9 for x, y in zip(a, a[1:], strict=False))
    assert a[-1] <= 3 + 2 / 3  # …and not much more: the workspace slots it waited for were taken
    others = [t for c, t in slack.at if c != "A"]
    assert max(others) < a[-1]  # B, C and D used the slots A had to leave free


async def test_retry_after_holds_the_workspace_back_and_the_message_still_goes():
    vt = VirtualTime()
    fan, slack = fanout(vt), Platform(vt, limited={"C0": 1}, retry_after=5.0)
    jobs = [lambda c=f"C{i}": fan.send("slack", "T1", c, slack.post(c)) for i in range(3)]
    results = await vt.run(fan.run(jobs))
    assert [r.ok for r in results] == [True, True, True] and results[0].rate_limited == 1
    times = dict(slack.at)
    assert min(times.values()) >= 5.0  # nobody posted during the Retry-After


async def test_every_channel_ends_sent_or_failed_with_a_reason():
    vt = VirtualTime()
    fan = fanout(vt, Pace(per_workspace={"slack": 100.0}, max_rate_limited=2))
    slack = Platform(vt, limited={"stubborn": 99}, retry_after=1.0)
    jobs = [lambda c=c: fan.send("slack", "T1", c, slack.post(c)) for c in ("ok", "gone", "stubborn")]
    ok, gone, stubborn = await vt.run(fan.run(jobs))
    assert ok.ok and ok.message_id
    assert not gone.ok and "channel_not_found" in (gone.error or "")
    assert not stubborn.ok and "rate limit" in (stubborn.error or "") and stubborn.rate_limited == 3


async def test_unpaced_platforms_and_bounded_concurrency():
    vt = VirtualTime()
    fan = fanout(vt, Pace(per_workspace={}, concurrency=2))
    running = peak = 0

    async def job() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await vt.sleep(1)
        running -= 1

    await vt.run(fan.run([job] * 7))
    assert peak == 2 and vt.now() == 4.0  # ceil(7 / 2) rounds of one second
