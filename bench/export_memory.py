"""Export memory: how much RSS an export of 100,000 deliverables adds, and how long it holds
the event loop.

Issue 12 item 8's goal: exporting 100,000 rows grows RSS by at most 30 MB. Before exports
streamed, 30,000 rows took RSS from 116 to 360 MB (CSV) and from 146 to 455 MB (JSON),
and stalled the event loop for 1.3 s.

Per database (temporary SQLite file; on PostgreSQL a database of its own, `--pg-db`, next
to `--pg-url`, dropped at the end): `--rows` deliverables (100,000) spread over
`--channels` (4) channels, bulk loaded as bench/digest_scale.py does (Core executemany on
SQLite, COPY on PostgreSQL), with commas, quotes, line breaks and accents in some texts and
timestamps shared by several rows. Then each measurement runs in a fresh Python process
of its own, so that nothing the loading or an earlier measurement left in the allocator
hides what the export needs:

- `stream`: what `outputs-bot export` runs (`bot.export.write` over
  `repo.export_batches()`, every row of every channel) into a buffered text file, as to
  stdout;
- `chat`: what the chat `export` command runs for one channel (`export_size`, then the
  newest `CHAT_EXPORT_MAX_ROWS` rows with `bot.export.to_text`): one string, capped;
- `whole list`: the export as it was before (`repo.export()` into one list, `render` into
  one string, written at once), for comparison; `--no-before` skips it;
- `outputs-bot export`: the real command line in a subprocess, stdout to a file.

In-process measurements (stream, chat, whole list): the child warms up first (imports,
the pool's connection, the statements compiled, a few rows exported), collects garbage and
reads its RSS (`VmRSS`, /proc/self/status); it then resets the kernel's peak RSS
(`VmHWM`, by writing 5 to /proc/self/clear_refs, Linux 4.0+) and runs the export; the peak
the kernel recorded during it, minus the RSS before, is the growth. The kernel's peak
misses nothing, where sampling would miss a short spike; where clear_refs cannot be
written, a thread samples VmRSS every 2 ms instead (said in the table). Beside it, a ticker
task asks the event loop for a turn every millisecond; the longest it waited beyond that
is the longest stall (wall time, so the machine's other work is in it), and the most CPU
the loop's thread spent between two of its turns is the longest run of work that held the
loop (load does not change it). The children first call `settle_memory()`, as
`outputs-bot serve` does once started (where chat exports run): without it, the full
collections the rows' garbage sets off walk start-up's 120,000 objects, 50-200 ms each.
The output is checked afterwards (every row there, once).

The command line: the process's own peak RSS (its VmHWM, read every 5 ms until it exits)
exporting every row, minus the peak of the same command exporting nothing (`--channel`
naming no channel): start-up, imports and the database's first connection are in both,
the rows only in the first. That is what the rows lift the process above its start-up's
peak; the in-process `stream` figure is the growth itself.

    .venv/bin/python -m bench.export_memory                 # 100,000 rows, SQLite and PostgreSQL (~7 min)
    .venv/bin/python -m bench.export_memory --quick         # 10,000 rows
    .venv/bin/python -m bench.export_memory --db sqlite --no-before
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.digest_scale import TEXTS, WORDS, BenchDb, analyze, load_deliverables, pg_target, sqlite_target
from storage.database import migrate

GOAL_MB = 30.0
START = datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
SEED = 20261202
ODD = ['a "quoted" word, and a comma', "two lines\nof text", "Résumé café naïve 🚀 «ok»", "CR\r\nLF"]
TICK_S = 0.001
VENV_BIN = Path(sys.executable).parent


# --------------------------------------------------------------------------- data set


def rows(n: int, channels: int) -> Iterator[dict[str, Any]]:
    """`n` deliverables over two years, round-robin over the channels; a minute's rows share
    their timestamp (ties that the keyset pagination must not lose or repeat)."""
    rng = random.Random(SEED)
    span_minutes = 2 * 365 * 24 * 60
    for i in range(n):
        text = TEXTS[rng.randrange(len(TEXTS))]
        if i % 10 == 0:
            text = f"{ODD[i // 10 % len(ODD)]} {text}"
        created = START + timedelta(minutes=int(i * span_minutes / n))
        complete = rng.random() < 0.9
        yield {
            "platform": "slack",
            "workspace_id": "TBENCH",
            "channel_id": f"C{i % channels:04d}",
            "type": rng.choice(["solution", "faq", "idea"]),
            "status": "complete" if complete else "draft",
            "title": text[:60],
            "text": text,
            "author_id": f"U{rng.randrange(300):05d}",
            "tagged_by": f"U{rng.randrange(300):05d}",
            "via": "reaction",
            "permalink": f"https://bench.slack.com/archives/C{i % channels:04d}/p{1_700_000_000_000 + i}",
            "message_id": f"{1_700_000_000 + i}.000100",
            "thread_id": None,
            "fields": {"problem": " ".join(rng.choices(WORDS, k=4)), "fix": rng.choice(TEXTS)[:40]},
            "created_at": created,
            "updated_at": None,
            "completed_at": created + timedelta(minutes=5) if complete else None,
        }


# --------------------------------------------------------------------------- measuring (child)


def _status_kb(field: str) -> int:
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    assert match, field
    return int(match.group(1))


class PeakRss:
    """The process's peak RSS over a stretch of code, in kB: the kernel's own (VmHWM,
    reset at the start) when /proc/self/clear_refs takes it, else sampled every 2 ms."""

    def __init__(self) -> None:
        self.method = "VmHWM"
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> PeakRss:
        try:
            Path("/proc/self/clear_refs").write_text("5")
        except OSError:
            self.method = "sampled"
            self._peak = _status_kb("VmRSS")
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self._peak = max(self._peak, _status_kb("VmRSS"))

    def __exit__(self, *_: object) -> None:
        if self._thread is None:
            self._peak = _status_kb("VmHWM")
            return
        self._stop.set()
        self._thread.join()
        self._peak = max(self._peak, _status_kb("VmRSS"))

    @property
    def kb(self) -> int:
        return self._peak


class Ticker:
    """Asks the event loop for a turn every TICK_S. `worst`: the longest it waited beyond
    that (wall time: what a request would have waited on this machine, at its load);
    `busiest`: the most CPU the loop's thread spent between two turns (the longest run of
    work that kept the loop, whatever else the machine was doing)."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.busiest = 0.0
        self._task: asyncio.Task[None] | None = None
        self._since = (0.0, 0.0)  # when the pending tick was asked for: wall, thread CPU

    def _account(self) -> None:
        before, cpu = self._since
        self.worst = max(self.worst, time.perf_counter() - before - TICK_S)
        self.busiest = max(self.busiest, time.thread_time() - cpu)

    async def _run(self) -> None:
        while True:
            self._since = (time.perf_counter(), time.thread_time())
            await asyncio.sleep(TICK_S)
            self._account()

    def __enter__(self) -> Ticker:
        self._since = (time.perf_counter(), time.thread_time())
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        # the work since the last tick counts too: a last long run (a whole render) would
        # otherwise end the measurement before the ticker could see it
        self._account()
        self._task.cancel()


async def idle_stall() -> float:
    """The ticker's longest wait over half a second with nothing else to do: the machine's
    own noise, to read the export's figures against."""
    with Ticker() as ticker:
        await asyncio.sleep(0.5)
    return ticker.worst


@dataclass
class Measured:
    path: str
    fmt: str
    rows: int
    seconds: float
    out_mb: float
    growth_mb: float
    stall_ms: float | None
    busy_ms: float | None
    idle_ms: float | None
    method: str
    ok: bool
    note: str = ""


async def _child(spec: dict[str, Any]) -> Measured:
    """One measurement, in a fresh process (see the module's docstring)."""
    from app.serve import settle_memory
    from bot import export as exporting
    from bot.commands.deliverable_cmds import CHAT_EXPORT_MAX_ROWS
    from storage.database import Database
    from storage.repository import SqlRepository

    path, fmt, out_path = spec["path"], spec["format"], Path(spec["out"])
    db = Database(spec["url"])
    repo = SqlRepository(db)
    cap = spec.get("cap") or CHAT_EXPORT_MAX_ROWS
    channel = ("slack", "TBENCH", "C0000")
    try:
        # warm-up: imports, the pool's connection, the statements compiled, validators built
        await exporting.write(repo.export_batches(*channel, newest=3 * exporting.SLICE), fmt, lambda _: None)
        await repo.export_size(*channel)
        settle_memory()  # what `outputs-bot serve` does once started, where chat exports run
        idle = await idle_stall()
        gc.collect()
        before = _status_kb("VmRSS")
        note = ""
        with open(out_path, "w", encoding="utf-8", newline="") as out:
            start = time.perf_counter()
            with PeakRss() as peak:
                with Ticker() as ticker:
                    text = ""
                    if path == "stream":
                        count = await exporting.write(repo.export_batches(), fmt, out.write)
                    elif path == "chat":
                        total = await repo.export_size(*channel)
                        newest = cap if total > cap else None
                        batches = repo.export_batches(*channel, newest=newest)
                        text, count = await exporting.to_text(batches, fmt)
                        note = f"newest {count:,} of {total:,}"
                    else:  # the export before it streamed: the whole list, then the whole text
                        items = await repo.export()
                        out.write(exporting.render(items, fmt))
                        count = len(items)
                        del items
                seconds = time.perf_counter() - start
                # the chat file, written out as the adapters encode it to send it: in the
                # memory figure, not in the stall (that is the adapters' turn, not the export's)
                out.write(text)
                del text
    finally:
        await db.dispose()
    return Measured(
        path=path,
        fmt=fmt,
        rows=count,
        seconds=seconds,
        out_mb=out_path.stat().st_size / 2**20,
        growth_mb=(peak.kb - before) / 1024,
        stall_ms=ticker.worst * 1000,
        busy_ms=ticker.busiest * 1000,
        idle_ms=idle * 1000,
        method=peak.method,
        ok=_rows_in(out_path, fmt) == count == spec["expect"],
        note=note,
    )


def _rows_in(path: Path, fmt: str) -> int:
    """The rows a written export holds, read back (after the measurement)."""
    with open(path, encoding="utf-8", newline="") as f:
        if fmt == "json":
            items = json.load(f)
            ids = [r["id"] for r in items]
        else:
            ids = [r["id"] for r in csv.DictReader(f)]
    return len(ids) if len(set(ids)) == len(ids) else -1  # a repeated row is a failure


# --------------------------------------------------------------------------- measuring (parent)


def measure_in_child(spec: dict[str, Any]) -> Measured:
    cmd = [sys.executable, "-m", "bench.export_memory", "--child", json.dumps(spec)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if res.returncode != 0:
        raise RuntimeError(f"measurement {spec['path']} {spec['format']} failed:\n{res.stderr[-3000:]}")
    return Measured(**json.loads(res.stdout.strip().splitlines()[-1]))


def _hwm_kb(pid: int) -> int | None:
    try:
        match = re.search(r"^VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None  # a zombie has no memory left to tell


def _cli_peak_kb(url: str, fmt: str, out: Path, *args: str) -> tuple[int, float, str]:
    """(peak RSS kB of `outputs-bot export`, seconds, what went wrong or ""), stdout into `out`.

    The peak is the child's VmHWM, read every 5 ms until it exits (the kernel's maximum,
    so nothing is missed but the last few milliseconds). Not `ru_maxrss` from wait4: a
    process started by fork and exec inherits its parent's peak there, and this parent
    just bulk-loaded the rows."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPUTS_")}
    env.update(OUTPUTS_DATABASE__URL=url, OUTPUTS_CONFIG="", PYTHONIOENCODING="utf-8")
    with open(out, "wb") as f, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([str(VENV_BIN / "outputs-bot"), "export", "--format", fmt, *args],
                                stdout=f, stderr=err, env=env)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _hwm_kb(proc.pid) or 0)
            time.sleep(0.005)
        seconds = time.perf_counter() - start
        err.seek(0)
        problem = err.read().decode(errors="replace").strip()[-300:] if proc.returncode else ""
        return peak, seconds, problem


def measure_cli(url: str, fmt: str, tmp: Path, expect: int) -> Measured:
    out = tmp / f"cli.{fmt}"
    empty_kb, _, problem = _cli_peak_kb(url, fmt, out, "--channel", "no-such-channel")
    full_kb, seconds, problem = _cli_peak_kb(url, fmt, out) if not problem else (0, 0.0, problem)
    ok = not problem and _rows_in(out, fmt) == expect
    return Measured(
        path="outputs-bot export",
        fmt=fmt,
        rows=expect,
        seconds=seconds,
        out_mb=out.stat().st_size / 2**20,
        growth_mb=(full_kb - empty_kb) / 1024,
        stall_ms=None,
        busy_ms=None,
        idle_ms=None,
        method="child VmHWM",
        ok=ok,
        note=problem or f"peak {full_kb / 1024:.0f} MB; {empty_kb / 1024:.0f} MB exporting nothing",
    )


async def bench_one(name: str, args: argparse.Namespace) -> list[tuple[str, Measured]]:
    target: BenchDb = await (sqlite_target() if name == "sqlite" else pg_target(args.pg_url, args.pg_db))
    results: list[tuple[str, Measured]] = []
    try:
        await migrate(target.url)
        from storage.database import Database

        db = Database(target.url)
        try:
            t = time.perf_counter()
            loaded = await load_deliverables(db, rows(args.rows, args.channels))
            await analyze(db)
            print(f"[{name}] loaded {loaded:,} deliverables in {time.perf_counter() - t:.1f} s", flush=True)
        finally:
            await db.dispose()
        per_channel = len(range(0, args.rows, args.channels))
        with tempfile.TemporaryDirectory(prefix="outputs-export-bench-") as tmp:
            paths = ["stream", "chat"] + ([] if args.no_before else ["whole list"])
            for path in paths:
                for fmt in ("csv", "json"):
                    expect = args.rows if path != "chat" else min(per_channel, args.chat_cap)
                    spec = {"url": target.url, "path": path, "format": fmt, "out": f"{tmp}/out.{fmt}",
                            "expect": expect, "cap": args.chat_cap}
                    m = await asyncio.to_thread(measure_in_child, spec)
                    print(f"[{name}] {line(m)}", flush=True)
                    results.append((name, m))
            for fmt in ("csv", "json"):
                m = await asyncio.to_thread(measure_cli, target.url, fmt, Path(tmp), args.rows)
                print(f"[{name}] {line(m)}", flush=True)
                results.append((name, m))
    finally:
        await target.cleanup()
    return results


# --------------------------------------------------------------------------- report


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def line(m: Measured) -> str:
    return (f"{m.path} {m.fmt}: {m.rows:,} rows in {m.seconds:.1f} s, {m.out_mb:.1f} MB out, "
            f"RSS +{m.growth_mb:.1f} MB ({m.method}), longest stall {_ms(m.stall_ms)} ms (busy "
            f"{_ms(m.busy_ms)} ms, idle {_ms(m.idle_ms)} ms), ok={m.ok} {m.note}")


COLUMNS = [
    ("database", "<9"), ("path", "<19"), ("format", "<6"), ("rows", ">8"), ("s", ">6"), ("rows/s", ">7"),
    ("out MB", ">7"), ("RSS +MB", ">8"), ("stall ms", ">8"), ("busy ms", ">7"), ("idle ms", ">7"),
    ("ok", "<3"), ("", ""),
]  # fmt: skip


def report(results: list[tuple[str, Measured]], args: argparse.Namespace) -> None:
    print()
    head = " ".join(f"{name:{fmt}}" for name, fmt in COLUMNS).rstrip()
    print(head)
    print("-" * len(head))
    for db, m in results:
        values = [db, m.path, m.fmt, f"{m.rows:,}", f"{m.seconds:.1f}", f"{m.rows / m.seconds:,.0f}",
                  f"{m.out_mb:.1f}", f"{m.growth_mb:.1f}", _ms(m.stall_ms), _ms(m.busy_ms), _ms(m.idle_ms),
                  "yes" if m.ok else "NO", m.note]
        print(" ".join(f"{v:{fmt}}" for v, (_, fmt) in zip(values, COLUMNS, strict=True)).rstrip())
    methods = sorted({m.method for _, m in results if m.path != "outputs-bot export"})
    print(f"\nRSS +MB: peak during the export minus RSS before it ({', '.join(methods)}); for "
          "outputs-bot export, the process's")
    print("  peak (VmHWM) minus that of the same command exporting nothing: what the rows lift it above")
    print("  its start-up's own peak.")
    print("stall ms: the longest the event loop kept a 1 ms ticker waiting, beyond its 1 ms (wall time,")
    print("  so the machine's other work is in it); busy ms: the most CPU the loop's thread spent between")
    print("  two ticks (the longest run of work holding the loop); idle ms: the ticker's longest wait in")
    print("  0.5 s with no export running, the machine's own noise (in-process paths only).")
    print(f"\ngoal (issue 12): exporting {args.rows:,} rows grows RSS by at most {GOAL_MB:g} MB")
    for db, m in results:
        if m.path in ("stream", "outputs-bot export"):
            verdict = "ok" if m.growth_mb <= GOAL_MB and m.ok else "MISSED"
            print(f"  {db:<9} {m.path:<19} {m.fmt:<5} +{m.growth_mb:.1f} MB: {verdict}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    doc = __doc__ or ""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0], prog="python -m bench.export_memory")
    p.add_argument("--rows", type=int, default=100_000, help="deliverables loaded and exported")
    p.add_argument("--channels", type=int, default=4, help="channels they are spread over (default 4)")
    p.add_argument("--chat-cap", type=int, default=0,
                   help="rows a chat export stops at (default: the bot's CHAT_EXPORT_MAX_ROWS)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--quick", action="store_true", help="10x fewer rows, for a smoke run")
    p.add_argument("--no-before", action="store_true", help="skip the whole-list export (as before)")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test",
                   help="an administrator connection; the bench creates its own database next to it")
    p.add_argument("--pg-db", default="outputs_bench_export", help="the database it creates and drops")
    p.add_argument("--child", help=argparse.SUPPRESS)  # one measurement, in a fresh process
    args = p.parse_args(argv)
    if args.quick:
        args.rows = max(1, args.rows // 10)
    if not args.chat_cap:
        from bot.commands.deliverable_cmds import CHAT_EXPORT_MAX_ROWS

        args.chat_cap = CHAT_EXPORT_MAX_ROWS
    return args


async def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        measured = await _child(json.loads(args.child))
        print(json.dumps(asdict(measured)))
        return 0
    print(f"export_memory: {args.rows:,} deliverables over {args.channels} channels; chat cap "
          f"{args.chat_cap:,}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    results: list[tuple[str, Measured]] = []
    for name in ("sqlite", "postgres"):
        if args.db in (name, "both"):
            results += await bench_one(name, args)
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
