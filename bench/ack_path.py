"""Slack ack path: how fast Outputs answers Slack, against a bare slack-bolt app.

Three targets, each served on 127.0.0.1 by its own process, hit by the same load generator
(this process) with requests signed as Slack signs them:

  (a) bare     a slack-bolt AsyncApp (defaults) whose command listener only calls ack()
  (b) help     Outputs answering `/outputs help` (ack, then the answer via response_url)
  (c) reaction Outputs taking `reaction_added` events that each create a deliverable

A fake Slack Web API (tests/slack/fake_slack.py) runs in a fourth process, so the work
after each ack (users.info, conversations.history, chat.getPermalink, the database, the
reply) really happens while the load runs. Outputs runs as `outputs-bot serve` builds it:
the web app, then the inbox workers (`adapters.platform.inbox_workers`), which work what
each listener wrote to the database before its ack. Per target: an open loop at `--rate` requests
per second for `--seconds` for p50/p99 ack latency, then a closed loop (`--concurrency`
workers, `--requests` requests) for acks per second, and how long the answers behind that
burst's acks took to reach the fake Slack. Printed: req/s, p50, p99, each Outputs target's
throughput as a ratio of (a)'s, beside the issue's goals (ratio >= 0.70; event ack p99 <=
100 ms, command ack p99 <= 250 ms at 200 req/s), and the answers per second end to end.

    .venv/bin/python -m bench.ack_path
    .venv/bin/python -m bench.ack_path --quick
    .venv/bin/python -m bench.ack_path --db postgres   # in a database of its own, dropped after

Load goes only to 127.0.0.1 and is bounded by the counts above.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing as mp
import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token"
HOST = "127.0.0.1"
CHANNEL = "C111"
TS0 = 1_700_000_000


def _sign(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def _message_ts(n: int) -> str:
    return f"{TS0 + n}.000100"


# ---- the processes under load


def _fake_slack(port_q: Any, messages: int) -> None:
    from tests.slack.fake_slack import FakeSlack

    class BenchFake(FakeSlack):
        answered = 0  # answers reaching the person: response_url posts and ephemerals

        async def _respond(self, request: Any) -> Any:
            self.answered += 1
            return await super()._respond(request)

        def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
            self.answered += 1
            return super()._chat_postEphemeral(args)

        def _bench_answered(self, args: dict[str, Any]) -> dict[str, Any]:
            self.responses.clear()
            return {"answered": self.answered}

        def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
            found = self.messages.get((args.get("channel", ""), args.get("latest", "")))
            return {"messages": [found] if found else [], "has_more": False}

        async def _api(self, request: Any) -> Any:  # keep memory flat: no call log
            resp = await super()._api(request)
            self.calls.clear()
            return resp

    async def main() -> None:
        fake = BenchFake()
        fake.channels[CHANNEL] = {"id": CHANNEL, "name": "bench", "is_private": False, "creator": "UOWNER"}
        for n in range(messages):
            fake.add_message(CHANNEL, _message_ts(n), f"Deliverable number {n}\nwith a body", user="UAUTHOR")
        await fake.start()
        port_q.put(fake.url)
        await asyncio.Event().wait()

    asyncio.run(main())


def _bare_bolt(port_q: Any, api_url: str) -> None:
    from aiohttp import web
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def main() -> None:
        client = AsyncWebClient(token=TOKEN, base_url=api_url + "/api/")
        app = AsyncApp(client=client, signing_secret=SECRET)

        @app.command("/outputs")
        async def command(ack: Any) -> None:
            await ack()

        runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        port_q.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


def _outputs(port_q: Any, api_url: str, db_url: str, work: bool = True) -> None:
    from aiohttp import web

    from adapters.http import build_web_app
    from adapters.platform import inbox_workers
    from adapters.slack.server import SlackServer
    from app.bootstrap import build
    from app.serve import settle_memory
    from bot.config import load_settings

    async def main() -> None:
        settings = load_settings(
            env={
                "OUTPUTS_SLACK__API_BASE_URL": api_url + "/api/",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": TOKEN,
                "DATABASE_URL": db_url,
            }
        )
        app = await build(settings, url=db_url)
        server = SlackServer(app, settings)
        runner = web.AppRunner(build_web_app(app, [server]), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, HOST, 0)
        await site.start()
        workers = inbox_workers(app, [server])  # as `outputs-bot serve` starts them
        workers.start()
        background: list[asyncio.Task[None]] = []  # kept referenced while they run
        if not work:  # diagnostic: once the charter is declared, nobody works the inbox

            async def stop_when_declared() -> None:
                from adapters.slack import convert

                while await app.repo.get_charter(convert.channel_key("T111", CHANNEL)) is None:
                    await asyncio.sleep(0.05)
                await workers.stop()

            background.append(asyncio.create_task(stop_when_declared()))
        settle_memory()  # as `outputs-bot serve` does once it is up
        port_q.put(runner.addresses[0][1])
        await asyncio.Event().wait()

    asyncio.run(main())


def _spawn(target: Any, *args: Any) -> tuple[mp.process.BaseProcess, Any]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(q, *args), daemon=True)
    p.start()
    return p, q.get(timeout=60)


# ---- the load generator


@dataclass
class Result:
    name: str
    throughput: float
    p50_ms: float
    p99_ms: float
    errors: int
    answered_rate: float | None = None  # the burst's answers per second, acks to last answer
    work_after_s: float | None = None  # how long the answers took after the last ack


class Load:
    def __init__(self, base: str, make: Any) -> None:
        self.base = base
        self.make = make  # n → (body, content type)
        self.n = 0
        self.errors = 0

    def _next(self) -> tuple[str, dict[str, str]]:
        body, kind = self.make(self.n)
        self.n += 1
        return body, {"Content-Type": kind, **_sign(body)}

    async def one(self, session: aiohttp.ClientSession, prepared: tuple[str, dict[str, str]]) -> float:
        body, headers = prepared
        start = time.perf_counter()
        async with session.post(self.base + "/slack/events", data=body.encode(), headers=headers) as resp:
            await resp.read()
            if resp.status != 200:
                self.errors += 1
        return time.perf_counter() - start

    async def closed_loop(self, session: aiohttp.ClientSession, total: int, workers: int) -> float:
        prepared = [self._next() for _ in range(total)]
        queue = iter(prepared)

        async def worker() -> None:
            for item in queue:
                await self.one(session, item)

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(workers)))
        return total / (time.perf_counter() - start)

    async def open_loop(self, session: aiohttp.ClientSession, rate: float, seconds: float) -> list[float]:
        count = int(rate * seconds)
        prepared = [self._next() for _ in range(count)]
        start = time.perf_counter()
        tasks = []
        for i, item in enumerate(prepared):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.one(session, item)))
        return list(await asyncio.gather(*tasks))


def command_form(api_url: str, text: str, respond_key: str, trigger_id: str) -> str:
    """A slash command's form body, as Slack posts it, from the bench's owner in its channel."""
    form = {
        "token": "verification_token",
        "team_id": "T111",
        "team_domain": "bench",
        "channel_id": CHANNEL,
        "channel_name": "bench",
        "user_id": "UOWNER",
        "user_name": "owner",
        "command": "/outputs",
        "text": text,
        "response_url": f"{api_url}/respond/{respond_key}",
        "trigger_id": trigger_id,
    }
    return urlencode(form)


def command_body(api_url: str) -> Any:
    def make(n: int) -> tuple[str, str]:
        return command_form(api_url, "help", "bench", f"{n}.1.x"), "application/x-www-form-urlencoded"

    return make


def reaction_body(offset: int) -> Any:
    def make(n: int) -> tuple[str, str]:
        k = offset + n
        payload = {
            "token": "verification_token",
            "team_id": "T111",
            "api_app_id": "A111",
            "event": {
                "type": "reaction_added",
                "user": "UTAGGER",
                "item": {"type": "message", "channel": CHANNEL, "ts": _message_ts(k)},
                "reaction": "white_check_mark",
                "item_user": "UAUTHOR",
                "event_ts": f"{TS0 + k}.000900",
            },
            "type": "event_callback",
            "event_id": f"Ev{k:08d}",
            "event_time": TS0 + k,
        }
        return json.dumps(payload), "application/json"

    return make


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def measure(name: str, load: Load, args: argparse.Namespace, answers: Any) -> Result:
    """Latency first, on a quiet server at the steady rate; then the closed-loop burst. The
    work behind the acks is let finish before each phase: `answers()` is how many answers
    reached the fake Slack so far (None for a target that sends none)."""
    connector = aiohttp.TCPConnector(limit=args.concurrency * 2)

    async def settle(expected: int | None) -> float:
        """Seconds until `expected` answers arrived (a pause when there are none to wait for)."""
        start = time.perf_counter()
        if expected is None:
            await asyncio.sleep(args.pause)
            return 0.0
        while (await answers()) < expected and time.perf_counter() - start < 300:
            await asyncio.sleep(0.05)
        return time.perf_counter() - start

    async with aiohttp.ClientSession(connector=connector) as session:
        base = await answers()
        for _ in range(args.warmup):
            await load.one(session, load._next())
        await settle(None if base is None else base + load.n)
        latencies = await load.open_loop(session, args.rate, args.seconds)
        await settle(None if base is None else base + load.n)
        start = time.perf_counter()
        throughput = await load.closed_loop(session, args.requests, args.concurrency)
        acked = time.perf_counter() - start
        after = await settle(None if base is None else base + load.n)
    result = Result(name, throughput, _pct(latencies, 0.50), _pct(latencies, 0.99), load.errors)
    if base is not None:
        result.answered_rate, result.work_after_s = args.requests / (acked + after), after
    return result


async def setup_charter(base: str, base_api: str) -> None:
    body = urlencode(
        {
            "team_id": "T111",
            "channel_id": CHANNEL,
            "user_id": "UOWNER",
            "command": "/outputs",
            "text": 'type add solution "Solved" emoji=white_check_mark',
            "response_url": f"{base_api}/respond/setup",
            "trigger_id": "0.0.x",
        }
    )
    async with aiohttp.ClientSession() as session:
        headers = {"Content-Type": "application/x-www-form-urlencoded", **_sign(body)}
        async with session.post(base + "/slack/events", data=body.encode(), headers=headers) as resp:
            assert resp.status == 200, resp.status
    await asyncio.sleep(1.0)


async def run(args: argparse.Namespace, api_url: str, targets: tuple[str, str], db_url: str) -> list[Result]:
    """(a), (b), (c) in turn; with --no-workers nothing is answered, so nothing is waited for."""
    bare, outputs = targets
    await setup_charter(outputs, api_url)

    async with aiohttp.ClientSession() as fake:

        async def answered() -> int:
            async with fake.post(f"{api_url}/api/bench.answered") as resp:
                return int((await resp.json())["answered"])

        async def none() -> None:
            return None

        if args.no_workers:
            answered = none  # type: ignore[assignment]
        commands = command_body(api_url)
        results = [await measure("(a) bare bolt: verify + ack a command", Load(bare, commands), args, none)]
        results.append(await measure("(b) Outputs: /outputs help", Load(outputs, commands), args, answered))
        reactions = Load(outputs, reaction_body(0))
        results.append(await measure("(c) Outputs: reaction_added -> deliverable", reactions, args, answered))
    return results


def report(results: list[Result], args: argparse.Namespace, db: str, done: tuple[int, int, float]) -> None:
    base = results[0].throughput
    print(
        f"ack path, {args.requests} requests x {args.concurrency} workers; {args.rate:.0f} req/s for "
        f"{args.seconds:.0f} s; database {db}; cpus {os.cpu_count()}"
    )
    print(
        f"{'target':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs (a)':>7} {'non-200':>8}"
        f" {'answers/s':>10} {'work after':>11}"
    )
    for r in results:
        rate = f"{r.answered_rate:10.0f}" if r.answered_rate is not None else f"{'-':>10}"
        after = f"{r.work_after_s:9.1f} s" if r.work_after_s is not None else f"{'-':>11}"
        print(
            f"{r.name:44} {r.throughput:8.0f} {r.p50_ms:8.1f} {r.p99_ms:8.1f} {r.throughput / base:7.2f} "
            f"{r.errors:8d} {rate} {after}"
        )
    help_, react = results[1], results[2]
    print(
        "goals: (b), (c) >= 0.70 x (a) req/s; command ack p99 <= 250 ms; event ack p99 <= 100 ms at 200 req/s"
    )
    print(
        f"  (b)/(a) = {help_.throughput / base:.2f} {'met' if help_.throughput >= 0.7 * base else 'MISSED'};"
        f"  (c)/(a) = {react.throughput / base:.2f} {'met' if react.throughput >= 0.7 * base else 'MISSED'};"
        f"  command p99 {help_.p99_ms:.1f} ms {'met' if help_.p99_ms <= 250 else 'MISSED'};"
        f"  event p99 {react.p99_ms:.1f} ms {'met' if react.p99_ms <= 100 else 'MISSED'}"
    )
    recorded, sent, _ = done
    print(f"deliverables recorded by (c): {recorded} of {sent} reactions sent")
    if args.no_workers:
        print("--no-workers: the inbox workers stopped once the charter was declared; nothing was worked")
    print(
        "answers/s: the burst's requests over the time from its first request to the last answer\n"
        "(response_url post or ephemeral) reaching the fake Slack; work after: how long after the\n"
        "last ack that was. Outputs writes each request that needs work to its inbox table\n"
        "before the ack (bot/inbox.py) and a pool of workers works it, so a burst is acked\n"
        "first and answered after, at the rate the workers keep up."
    )


async def wait_for_deliverables(db_url: str, sent: int, limit: float = 120.0) -> tuple[int, int, float]:
    """Poll until every reaction became a deliverable (or nothing moved for 5 s, or `limit`)."""
    from storage.database import Database

    db = Database(db_url)
    start = time.perf_counter()
    last, last_change = -1, start
    try:
        while True:
            async with db.engine.connect() as conn:
                n = int((await conn.exec_driver_sql("SELECT count(*) FROM deliverables")).scalar_one())
            now = time.perf_counter()
            if n != last:
                last, last_change = n, now
            if n >= sent or now - last_change > 5 or now - start > limit:
                return n, sent, last_change - start
            await asyncio.sleep(0.2)
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--pause", type=float, default=3.0)
    parser.add_argument("--quick", action="store_true", help="500 requests, 3 s at the rate")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--no-workers",
        action="store_true",
        help="diagnostic: start no inbox workers, so the acks alone are measured (nothing is answered)",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="with --db postgres: a server where the bench may create (and drop) outputs_bench_ack",
    )
    args = parser.parse_args()
    if args.quick:
        args.requests, args.seconds, args.pause = 500, 3.0, 1.0
    messages = args.warmup + args.requests + int(args.rate * args.seconds) + 10

    from bench.digest_scale import pg_target, sqlite_target
    from storage.database import migrate

    postgres = args.db == "postgres"
    target = asyncio.run(pg_target(args.pg_url, "outputs_bench_ack") if postgres else sqlite_target())
    db_url, shown = target.url, target.name
    asyncio.run(migrate(db_url))
    procs = []
    try:
        fake, api_url = _spawn(_fake_slack, messages)
        procs.append(fake)
        bare_p, bare_port = _spawn(_bare_bolt, api_url)
        procs.append(bare_p)
        out_p, out_port = _spawn(_outputs, api_url, db_url, not args.no_workers)
        procs.append(out_p)
        targets = (f"http://{HOST}:{bare_port}", f"http://{HOST}:{out_port}")
        results = asyncio.run(run(args, api_url, targets, db_url))
        sent = args.warmup + args.requests + int(args.rate * args.seconds)
        limit = 6.0 if args.no_workers else 120.0
        report(results, args, shown, asyncio.run(wait_for_deliverables(db_url, sent, limit)))
    finally:
        for p in procs:
            p.terminate()
            p.join(10)
        asyncio.run(target.cleanup())


if __name__ == "__main__":
    main()
