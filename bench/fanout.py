"""Fan-out benchmark: N channel digests posted against a fake Slack that enforces limits.

    .venv/bin/python -m bench.fanout                     # 1,000 channels at 3/s: about 5.5 min
    .venv/bin/python -m bench.fanout --channels 200 --pace 20 --429-rate 0.05

The fake Slack (aiohttp on 127.0.0.1) answers `chat.postMessage`, refuses a second message
to a channel within one second with 429 + Retry-After, and answers a share of the others
(`--429-rate`) with 429 + Retry-After too. The digests go the real way: charters in a
SQLite database, `post_due` claims each one, the fan-out paces them, and the Slack
adapter's poster (slack_sdk's AsyncWebClient with AsyncRateLimitErrorRetryHandler) posts.
It prints the total time against the pacing budget (N / pace), and how many failed or were
lost (no message in Slack although the run says sent, or no run at all).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.charter import ChannelKey, Charter, OutputType, Schedule, Target
from bot.context import EngineSettings, Services
from bot.digests import post_due
from bot.fanout import Fanout, Pace
from bot.ports import ChannelInfo
from storage.database import Database, migrate
from storage.repository import SqlRepository

WORKSPACE = "TBENCH"


class FakeSlack:
    def __init__(self, limited_share: float, retry_after: int, seed: int = 7) -> None:
        self.limited_share = limited_share
        self.retry_after = retry_after
        self.random = random.Random(seed)
        self.last: dict[str, float] = {}
        self.accepted: Counter[str] = Counter()
        self.refused_channel = 0
        self.refused_random = 0

    async def post_message(self, request: web.Request) -> web.Response:
        json_body = request.content_type == "application/json"
        form: Any = await request.json() if json_body else await request.post()
        channel = str(form.get("channel"))
        now = time.monotonic()
        if now - self.last.get(channel, -1e9) < 1.0:
            self.refused_channel += 1
            return self._429()
        if self.random.random() < self.limited_share:
            self.refused_random += 1
            return self._429()
        self.last[channel] = now
        self.accepted[channel] += 1
        ts = f"{time.time():.6f}"
        return web.json_response({"ok": True, "channel": channel, "ts": ts})

    def _429(self) -> web.Response:
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(self.retry_after)}
        )


class Clock:
    def __init__(self, t: datetime) -> None:
        self.t = t

    def now(self) -> datetime:
        return self.t


def poster_for(base_url: str) -> Any:
    client = AsyncWebClient(
        token="xoxb-bench",
        base_url=base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    try:  # the Slack adapter's own poster, when it is there
        from adapters.slack.poster import SlackPoster

        async def client_for(workspace_id: str) -> AsyncWebClient:
            return client

        return SlackPoster(client_for)
    except ImportError:  # pragma: no cover - before the Slack adapter exists
        return _PlainPoster(client)


class _PlainPoster:
    platforms = frozenset({"slack"})

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post(self, reply: Any, channel: ChannelKey) -> str:
        resp = await self.client.chat_postMessage(channel=channel.channel_id, text=reply.text)
        return str(resp["ts"])


async def seed(repo: SqlRepository, n: int, created: datetime) -> None:
    for i in range(n):
        key = ChannelKey(platform="slack", workspace_id=WORKSPACE, channel_id=f"C{i:05d}")
        await repo.upsert_channel(ChannelInfo(key=key, name=f"team-{i}"))
        charter = Charter(
            channel=key,
            purpose="Bench channel",
            types=(OutputType(key="solution", label="Problem solved", target=Target(count=3)),),
            schedule=Schedule(),
            timezone="Europe/Paris",
            created_at=created,
        )
        await repo.save_charter(charter, "bench", "bench", created)


async def main(args: argparse.Namespace) -> None:
    fake = FakeSlack(args.rate_429, args.retry_after)
    app = web.Application()
    app.router.add_post("/api/chat.postMessage", fake.post_message)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    tmp = tempfile.TemporaryDirectory(prefix="outputs-bench-")
    url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    await migrate(url)
    db = Database(url)
    try:
        repo = SqlRepository(db)
        friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 16:00 Paris
        await seed(repo, args.channels, friday - timedelta(days=10))
        services = Services(repo, Clock(friday), EngineSettings())
        pace = Pace(per_workspace={"slack": args.pace}, per_channel=1.0, concurrency=args.concurrency)
        fanout = Fanout(pace)
        poster = poster_for(f"http://127.0.0.1:{port}/api/")
        started = time.monotonic()
        outcomes = await post_due(services, poster, friday, fanout=fanout)
        elapsed = time.monotonic() - started
        runs = await repo.digest_runs()
    finally:
        await db.dispose()
        await runner.cleanup()
        tmp.cleanup()
    by_status = Counter(o.status for o in outcomes)
    sent_runs = {r.channel.channel_id for r in runs if r.status == "sent"}
    lost = [c for c in sent_runs if fake.accepted[c] == 0] + [
        f"C{i:05d}" for i in range(args.channels) if f"C{i:05d}" not in {r.channel.channel_id for r in runs}
    ]
    doubled = sum(1 for n in fake.accepted.values() if n > 1)
    budget = args.channels / args.pace
    print(f"channels: {args.channels}  pace: {args.pace:g}/s  concurrency: {args.concurrency}")
    print(
        f"fake Slack: {sum(fake.accepted.values())} accepted, 429s: {fake.refused_random} random "
        f"({args.rate_429:.0%} asked), {fake.refused_channel} for a channel's 1/s"
    )
    print(
        f"total {elapsed:.1f} s against a pacing budget of {budget:.1f} s (N / pace): "
        f"{(elapsed / budget - 1) * 100:+.1f}%"
    )
    print(
        f"sent {by_status['sent']}, failed {by_status['failed']}, lost {len(lost)}, "
        f"posted twice {doubled}"
    )
    reasons = Counter(o.error for o in outcomes if o.status == "failed")
    for reason, n in reasons.most_common(5):
        print(f"  failed x{n}: {reason}")


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--channels", type=int, default=1000)
    p.add_argument("--pace", type=float, default=3.0, help="messages per second for the workspace")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument(
        "--429-rate", dest="rate_429", type=float, default=0.02, help="share of posts answered 429"
    )
    p.add_argument("--retry-after", type=int, default=1, help="seconds the fake asks to wait")
    return p.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
