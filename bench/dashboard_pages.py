"""The dashboard's pages over HTTP at scale: what a browser waits for, on SQLite and PostgreSQL.

Seeds one workspace with bench.dashboard_scale's `seed` (`--channels` chartered channels,
every 25th private; `--deliverables` deliverables), starts the real aiohttp application
(`build_web_app`) on it on a local port, signs in through a real sign-in link as a person
who is a member of half the private channels, then times GET requests end to end (the
session lookup, the engine's queries, the HTML, the transfer): the overview, a search of
the overview, a channel page with and without words, its CSV, and the quarter report.

    .venv/bin/python -m bench.dashboard_pages --quick     # 50 channels, 50,000 deliverables
    .venv/bin/python -m bench.dashboard_pages             # 500 channels, 1,000,000
    .venv/bin/python -m bench.dashboard_pages --db sqlite

PostgreSQL: `--pg-url` names a database to connect to as an administrator (default
postgresql://postgres@127.0.0.1:5432/test); the bench creates its own database (`--pg-db`)
next to it and drops it at the end. SQLite runs on a temporary file, deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from aiohttp import DummyCookieJar
from aiohttp.test_utils import TestClient, TestServer

from adapters.dashboard import render
from adapters.dashboard.routes import CSV_MAX_ROWS
from adapters.http import build_web_app
from app.bootstrap import assemble
from bench.dashboard_scale import (
    PAGE_WORDS,
    SEARCH,
    FixedClock,
    Seeded,
    on_each_database,
    seed,
    workspace_arguments,
    workspace_size,
)
from bench.digest_scale import BenchDb
from bot import directory, signin
from bot import export as exporting
from bot.config import load_settings
from bot.context import Services
from bot.directory import DeliverableFilter, Viewer
from storage.database import Database

COOKIE = "outputs_session"


@dataclass
class Figure:
    page: str
    best_ms: float
    median_ms: float
    worst_ms: float
    render_ms: float  # of the best: writing the page from the engine's answer, in-process
    kib: float


def pages(seeded: Seeded) -> list[tuple[str, str, dict[str, str]]]:
    # a public channel: its page is what most people open
    public = next(c for c in seeded.channel_ids if c not in seeded.private_ids)
    return [
        ("overview", "/dashboard", {}),
        (f"overview q={SEARCH}", "/dashboard", {"q": SEARCH}),
        ("channel", f"/dashboard/channels/{public}", {}),
        (f"channel q={PAGE_WORDS}", f"/dashboard/channels/{public}", {"q": PAGE_WORDS}),
        ("channel csv", f"/dashboard/channels/{public}.csv", {}),
        ("quarter", "/dashboard/quarter", {}),
    ]


async def render_ms(services: Services, viewer: Viewer, seeded: Seeded, repeat: int) -> dict[str, float]:
    """Per page, the best time of writing it (HTML or CSV) from the engine's answer, which
    is asked once: what of a request's time is the page and not the database."""
    public = next(c for c in seeded.channel_ids if c not in seeded.private_ids)
    now = services.clock.now()
    year, quarter = now.year, (now.month - 1) // 3 + 1
    report_ = await directory.quarter_report(services, viewer, year, quarter)
    pages_: dict[str, Callable[[], object]] = {}
    for words in ("", SEARCH):
        standings = await directory.overview(services, viewer, words)
        pages_[f"overview q={words}" if words else "overview"] = partial(
            render.overview, viewer, standings, words, now
        )
    for words in ("", PAGE_WORDS):
        flt = DeliverableFilter(words=words)
        page = await directory.channel_page(services, viewer, public, flt)
        assert page is not None
        periods = list(reversed(page.standing.periods))
        pages_[f"channel q={words}" if words else "channel"] = partial(
            render.channel, viewer, page, flt, periods, now
        )
    sheet = await directory.channel_page(services, viewer, public, DeliverableFilter(), limit=CSV_MAX_ROWS)
    assert sheet is not None
    pages_["channel csv"] = partial(exporting.render, sheet.deliverables, "csv")
    pages_["quarter"] = partial(render.quarter, viewer, report_)
    best = {}
    for name, write in pages_.items():
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            write()
            times.append((time.perf_counter() - t0) * 1000)
        best[name] = min(times)
    return best


async def bench_one(target: BenchDb, args: argparse.Namespace) -> list[Figure]:
    started = time.perf_counter()
    seeded = await seed(target.url, args.channels, args.deliverables)
    print(f"{target.name}: seeded {seeded.deliverables:,} deliverables in "
          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    env = {"DATABASE_URL": target.url, "OUTPUTS_CONFIG": "", "OUTPUTS_SERVER__PUBLIC_URL": "http://127.0.0.1"}
    settings = load_settings(env=env)
    app = assemble(settings, Database(target.url), FixedClock(seeded.now))
    http = TestClient(TestServer(build_web_app(app, []), host="127.0.0.1"), cookie_jar=DummyCookieJar())
    await http.start_server()
    figures = []
    try:
        member_of = frozenset(seeded.private_ids[::2])
        viewer = Viewer(seeded.platform, seeded.workspace_id, "UBENCH", "en", member_of)
        token = await signin.issue_link(app.engine.services, viewer)
        resp = await http.get("/dashboard/signin", params={"token": token}, allow_redirects=False)
        assert resp.status == 303, resp.status
        headers = {"Cookie": f"{COOKIE}={resp.cookies[COOKIE].value}"}
        writing = await render_ms(app.engine.services, viewer, seeded, args.repeat)
        for name, path, params in pages(seeded):
            times, size = [], 0
            for i in range(args.repeat + 1):  # the first one warms the caches and is not counted
                t0 = time.perf_counter()
                resp = await http.get(path, params=params, headers=headers)
                body = await resp.read()
                elapsed = time.perf_counter() - t0
                assert resp.status == 200, (name, resp.status, body[:300])
                if i:
                    times.append(elapsed * 1000)
                size = len(body)
            best, median, worst = min(times), statistics.median(times), max(times)
            figures.append(Figure(name, best, median, worst, writing[name], size / 1024))
    finally:
        await http.close()
        await app.close()
    return figures


def report(rows: list[tuple[str, Figure]], args: argparse.Namespace) -> None:
    print(f"\n{args.channels:,} channels, {args.deliverables:,} deliverables, "
          f"{args.repeat} requests each after one warm-up\n")  # fmt: skip
    print("| db | page | best ms | median ms | worst ms | of which writing it, ms | KiB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for db, f in rows:
        print(f"| {db} | {f.page} | {f.best_ms:.1f} | {f.median_ms:.1f} | {f.worst_ms:.1f} "
              f"| {f.render_ms:.1f} | {f.kib:.0f} |")  # fmt: skip
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    doc = __doc__ or ""
    p = workspace_arguments("python -m bench.dashboard_pages", doc, 10, "outputs_dashboard_pages_bench")
    return workspace_size(p.parse_args(argv))


async def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    print(f"dashboard_pages: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    report(await on_each_database(args, bench_one), args)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
