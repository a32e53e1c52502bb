"""Inbox soak: a long steady stream of reactions into a real `outputs-bot serve`.

N `reaction_added` events (`--events`, default 100,000), each on a message of its own, go
at a steady rate (`--rate`: 200/s on SQLite, 400/s on PostgreSQL by default), signed as
Slack signs them, from an open-loop generator (this process: a request leaves at its time
whether or not the earlier ones were answered) to `outputs-bot serve` run as a subprocess
of the venv's console script. Its Slack Web API is a fake (tests/slack/fake_slack.py, the
one bench/ack_path.py runs) in another process, knowing every message reacted to.

Before the stream: `outputs-bot migrate`, then a signed `/outputs type add solution
"Problem solved" emoji=white_check_mark` declares the charter. During it: the server's RSS
is read every second (psutil when installed, else /proc/PID/status), with the number of
deliverables recorded so far. After it: the database is polled until every event became a
deliverable (or nothing moved for `--settle` seconds).

Printed: the ack latency (p50, p99, max), answers that were not 200, the RSS (min, max,
first, last, and a coarse series every 10% of the run), the time from the last event sent
to the last deliverable recorded, and whether every event became exactly one deliverable
(count = N, distinct message ids = N), beside the goals: RSS <= 150 MB throughout and flat;
last capture <= 2 s after the last event; exactly one deliverable per event.

    .venv/bin/python -m bench.inbox_soak                    # SQLite, 100,000 at 200/s (~9 min)
    .venv/bin/python -m bench.inbox_soak --db postgres      # 100,000 at 400/s (~5 min)
    .venv/bin/python -m bench.inbox_soak --quick            # 5,000 events
    .venv/bin/python -m bench.inbox_soak --events 30000 --rate 300

PostgreSQL runs in a database of its own (`outputs_bench_soak`, next to `--pg-url`),
dropped after; SQLite in a temporary file. Load goes only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.ack_path import (
    HOST,
    SECRET,
    TOKEN,
    _fake_slack,
    _sign,
    _spawn,
    command_form,
    reaction_body,
)

VENV_BIN = Path(sys.executable).parent
RSS_GOAL_MB = 150.0
CAPTURE_GOAL_S = 2.0


# ---- the server under load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _env(api_url: str, db_url: str, port: int, workers: int | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OUTPUTS_", "SLACK_", "MICROSOFT_"))}
    env.update(
        {
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": TOKEN,
            "OUTPUTS_SLACK__API_BASE_URL": api_url + "/api/",
            "DATABASE_URL": db_url,
            "OUTPUTS_SERVER__HOST": HOST,
            "OUTPUTS_SERVER__PORT": str(port),
            "OUTPUTS_SCHEDULER__ENABLED": "false",
            "OUTPUTS_CONFIG": "",
        }
    )
    if workers is not None:
        env["OUTPUTS_INBOX__WORKERS"] = str(workers)
    return env


def _cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) the process used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float | None:
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return float(psutil.Process(pid).memory_info().rss) / 2**20
        except psutil.Error:
            return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _wait_up(base: str, proc: subprocess.Popen[bytes], log: Path, limit: float = 60.0) -> None:
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - start < limit:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"outputs-bot serve exited with {proc.returncode}:\n{tail}")
            try:
                async with session.get(base + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("outputs-bot serve did not come up")


# ---- the database, read from here


class Counts:
    """Deliverables recorded so far, read from the server's database in this process."""

    def __init__(self, db_url: str) -> None:
        from storage.database import Database

        self.db = Database(db_url)

    async def _scalar(self, sql: str) -> int:
        async with self.db.engine.connect() as conn:
            return int((await conn.exec_driver_sql(sql)).scalar_one() or 0)

    async def recorded(self) -> int:
        return await self._scalar("SELECT count(*) FROM deliverables")

    async def check(self) -> tuple[int, int, int, dict[str, int]]:
        """(deliverables, distinct source messages, taggings, inbox entries by status)."""
        total = await self.recorded()
        distinct = await self._scalar(
            "SELECT count(*) FROM (SELECT DISTINCT channel_id, message_id FROM deliverables) AS d"
        )
        taggings = await self._scalar("SELECT count(*) FROM taggings")
        async with self.db.engine.connect() as conn:
            rows = (await conn.exec_driver_sql("SELECT status, count(*) FROM inbox GROUP BY status")).all()
        return total, distinct, taggings, {str(s): int(n) for s, n in rows}

    async def charters(self) -> int:
        return await self._scalar("SELECT count(*) FROM charters")

    async def close(self) -> None:
        await self.db.dispose()


# ---- the run


@dataclass
class Sample:
    at: float  # seconds since the first event was due
    rss_mb: float
    sent: int
    recorded: int
    cpu: float  # the server's CPU seconds per second since the sample before


@dataclass
class Run:
    events: int
    rate: float
    latencies: list[float] = field(default_factory=list)
    non_200: dict[int, int] = field(default_factory=dict)
    failed: int = 0  # connection errors and timeouts: no answer at all
    sent: int = 0
    max_lag_s: float = 0.0  # how far the generator fell behind its schedule, at worst
    samples: list[Sample] = field(default_factory=list)
    send_s: float = 0.0  # from the first event due to the last one sent
    last_sent_at: float = 0.0  # perf_counter
    last_capture_s: float | None = None  # last event sent → last deliverable seen
    recorded: int = 0
    distinct: int = 0
    taggings: int = 0
    inbox: dict[str, int] = field(default_factory=dict)
    setup_s: float = 0.0


async def declare_charter(base: str, api_url: str, counts: Counts) -> None:
    charter = 'type add solution "Problem solved" emoji=white_check_mark'
    body = command_form(api_url, charter, "setup", "0.0.x")
    headers = {"Content-Type": "application/x-www-form-urlencoded", **_sign(body)}
    async with (
        aiohttp.ClientSession() as session,
        session.post(base + "/slack/events", data=body.encode(), headers=headers) as resp,
    ):
        if resp.status != 200:
            raise RuntimeError(f"the charter command was answered {resp.status}")
    start = time.perf_counter()
    while await counts.charters() < 1:
        if time.perf_counter() - start > 30:
            raise RuntimeError("the charter was not declared within 30 s")
        await asyncio.sleep(0.1)


async def soak(args: argparse.Namespace, base: str, pid: int, counts: Counts) -> Run:
    run = Run(args.events, args.rate)
    make = reaction_body(0)
    url = base + "/slack/events"
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    done = asyncio.Event()

    async def one(session: aiohttp.ClientSession, n: int) -> None:
        body, kind = make(n)
        headers = {"Content-Type": kind, **_sign(body)}
        start = time.perf_counter()
        try:
            async with session.post(url, data=body.encode(), headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    run.non_200[resp.status] = run.non_200.get(resp.status, 0) + 1
        except (aiohttp.ClientError, TimeoutError):
            run.failed += 1
            return
        run.latencies.append(time.perf_counter() - start)

    async def sampler(t0: float) -> None:
        last_cpu, last_at = _cpu_s(pid) or 0.0, time.perf_counter()
        while True:
            rss, cpu, at = _rss_mb(pid), _cpu_s(pid) or 0.0, time.perf_counter()
            busy = (cpu - last_cpu) / max(at - last_at, 1e-6)
            last_cpu, last_at = cpu, at
            try:
                recorded = await counts.recorded()
            except Exception:  # a locked read on a busy SQLite: the next second will do
                recorded = run.samples[-1].recorded if run.samples else 0
            if rss is not None:
                run.samples.append(Sample(at - t0, rss, run.sent, recorded, busy))
            if done.is_set():
                return
            await asyncio.sleep(1.0)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks: set[asyncio.Task[None]] = set()
        t0 = time.perf_counter()
        watch = asyncio.create_task(sampler(t0))
        for n in range(args.events):
            due = t0 + n / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                run.max_lag_s = max(run.max_lag_s, -delay)
            task = asyncio.create_task(one(session, n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            run.sent = n + 1
        run.last_sent_at = time.perf_counter()
        run.send_s = run.last_sent_at - t0
        if tasks:
            await asyncio.gather(*tasks)
        # the last deliverable: poll the count until it reaches N or stops moving
        last, moved = await counts.recorded(), time.perf_counter()
        while last < args.events and time.perf_counter() - moved < args.settle:
            await asyncio.sleep(0.05)
            now_count = await counts.recorded()
            if now_count != last:
                last, moved = now_count, time.perf_counter()
        if last >= args.events:
            run.last_capture_s = moved - run.last_sent_at
        done.set()
        await watch
    run.recorded, run.distinct, run.taggings, run.inbox = await counts.check()
    return run


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def report(run: Run, args: argparse.Namespace, db: str, load: str) -> None:
    rss = [s.rss_mb for s in run.samples]
    print(
        f"inbox soak: {run.events} reaction_added events at {run.rate:.0f}/s on distinct messages; "
        f"database {db}; cpus {os.cpu_count()}; load average before: {load}"
    )
    print(
        f"sent in {run.send_s:.1f} s ({run.sent / run.send_s:.0f}/s; generator at worst "
        f"{run.max_lag_s * 1000:.0f} ms behind schedule); charter declared in {run.setup_s:.1f} s"
    )
    non_200 = sum(run.non_200.values())
    shown = ", ".join(f"{k}: {v}" for k, v in sorted(run.non_200.items())) or "none"
    print(
        f"ack ms: p50 {_pct(run.latencies, 0.50):.1f}  p99 {_pct(run.latencies, 0.99):.1f}  "
        f"max {max(run.latencies, default=float('nan')) * 1000:.1f};  non-200: {non_200} ({shown}); "
        f"no answer: {run.failed}"
    )
    if rss:
        print(
            f"server RSS MB: min {min(rss):.1f}  max {max(rss):.1f}  first {rss[0]:.1f}  last {rss[-1]:.1f}  "
            f"({len(rss)} samples, one a second)"
        )
    sending = [x.cpu for x in run.samples if x.at <= run.send_s]
    after = [x.cpu for x in run.samples if x.at > run.send_s]
    print(
        f"server CPU (cores busy): mean {sum(sending) / max(1, len(sending)):.2f} while sending, "
        f"{sum(after) / max(1, len(after)):.2f} after; inbox workers: "
        f"{args.workers if args.workers is not None else 'the default'}"
    )
    print(f"{'at s':>8} {'sent':>8} {'recorded':>9} {'behind':>7} {'RSS MB':>7} {'CPU':>5}")
    marks = [
        run.samples[min(len(run.samples) - 1, round(i * (len(run.samples) - 1) / 10))] for i in range(11)
    ]
    for s in marks if run.samples else []:
        print(
            f"{s.at:8.0f} {s.sent:8d} {s.recorded:9d} {s.sent - s.recorded:7d} {s.rss_mb:7.1f} {s.cpu:5.2f}"
        )
    capture = f"{run.last_capture_s:.2f} s" if run.last_capture_s is not None else "never (not all recorded)"
    print(f"last event sent -> last deliverable recorded: {capture}")
    print(
        f"deliverables {run.recorded} (distinct messages {run.distinct}, taggings {run.taggings}) "
        f"for {run.events} events; inbox: " + ", ".join(f"{k} {v}" for k, v in sorted(run.inbox.items()))
    )
    # goals
    flat = bool(rss) and max(rss) - min(rss[len(rss) // 10 :]) <= 0.10 * max(rss)
    print(
        "goals: RSS <= 150 MB throughout and flat; last capture <= 2 s after the last event;"
        " exactly one deliverable per event"
    )
    rss_ok = bool(rss) and max(rss) <= RSS_GOAL_MB
    capture_ok = run.last_capture_s is not None and run.last_capture_s <= CAPTURE_GOAL_S
    exact = run.recorded == run.events and run.distinct == run.events
    growth = (rss[-1] - rss[len(rss) // 10]) if rss else float("nan")
    print(
        f"  RSS max {max(rss, default=float('nan')):.1f} MB {'met' if rss_ok else 'MISSED'}; "
        f"flat (after the first 10%: {growth:+.1f} MB to the end) {'yes' if flat else 'NO'};  "
        f"last capture {capture} {'met' if capture_ok else 'MISSED'};  "
        f"exactly one deliverable per event {'met' if exact else 'MISSED'}"
    )


async def main_async(args: argparse.Namespace) -> None:
    from bench.digest_scale import pg_target, sqlite_target

    postgres = args.db == "postgres"
    target = await (pg_target(args.pg_url, "outputs_bench_soak") if postgres else sqlite_target())
    logdir = Path(tempfile.mkdtemp(prefix="outputs-soak-"))
    fake = None
    proc: subprocess.Popen[bytes] | None = None
    counts: Counts | None = None
    try:
        fake, api_url = _spawn(_fake_slack, args.events + 10)
        port = _free_port()
        env = _env(api_url, target.url, port, args.workers)
        cli = str(VENV_BIN / "outputs-bot")
        subprocess.run([cli, "migrate"], env=env, check=True, capture_output=True, cwd=logdir)
        log = open(logdir / "serve.log", "wb")  # noqa: SIM115  (closed below, after the process)
        proc = subprocess.Popen([cli, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=logdir)
        base = f"http://{HOST}:{port}"
        await _wait_up(base, proc, logdir / "serve.log")
        counts = Counts(target.url)
        start = time.perf_counter()
        await declare_charter(base, api_url, counts)
        setup_s = time.perf_counter() - start
        await asyncio.sleep(1.0)  # let start-up's garbage settle before the first sample
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        run = await soak(args, base, proc.pid, counts)
        run.setup_s = setup_s
        report(run, args, target.name, load)
        if proc.poll() is not None:
            print(f"outputs-bot serve exited during the run with {proc.returncode}")
        text = (logdir / "serve.log").read_text(errors="replace").splitlines()
        bad = [line for line in text if "WARNING" in line or "ERROR" in line or "Traceback" in line]
        print(f"server log: {len(text)} lines, {len(bad)} warnings or errors")
        for line in bad[:5]:
            print("  " + line[:300])
    finally:
        if counts is not None:
            await counts.close()
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if fake is not None:
            fake.terminate()
            fake.join(10)
        await target.cleanup()
        shutil.rmtree(logdir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--events", type=int, default=None, help="default 100,000 (5,000 with --quick)")
    parser.add_argument(
        "--rate", type=float, default=None, help="events per second: 200 on SQLite, 400 on PostgreSQL"
    )
    parser.add_argument("--quick", action="store_true", help="5,000 events")
    parser.add_argument(
        "--workers", type=int, default=None, help="inbox workers (OUTPUTS_INBOX__WORKERS); default: the bot's"
    )
    parser.add_argument(
        "--settle", type=float, default=30.0, help="give up when no deliverable came for this long"
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="with --db postgres: a server where the bench may create (and drop) outputs_bench_soak",
    )
    args = parser.parse_args()
    if args.events is None:
        args.events = 5000 if args.quick else 100_000
    if args.rate is None:
        args.rate = 400.0 if args.db == "postgres" else 200.0
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
