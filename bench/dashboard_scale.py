"""Directory and dashboard cost at scale: one big workspace, on SQLite and PostgreSQL.

Seeds ONE workspace with `--channels` chartered channels (default 500; every 25th private)
and `--deliverables` deliverables (default 1,000,000): a fifth of them over each channel's
last 13 digest periods (what the charts show), the rest over the 5 years before; every
seventh one tagged. Then times, and counts the SQL statements of, what the `channels`
command and the dashboard's pages call: `overview()`, `directory(words=…)`,
`channel_page()` (with and without words) and `quarter_report()`, as a person who is a
member of half the private channels.

    .venv/bin/python -m bench.dashboard_scale --quick        # 50 channels, 50,000 deliverables
    .venv/bin/python -m bench.dashboard_scale                # 500 channels, 1,000,000
    .venv/bin/python -m bench.dashboard_scale --db sqlite --plans

PostgreSQL: `--pg-url` names a database to connect to as an administrator (default
postgresql://postgres@127.0.0.1:5432/test); the bench creates its own database
(`--pg-db`, default outputs_dashboard_bench) next to it and drops it at the end. SQLite runs
on a temporary file, deleted at the end.

Other scripts (the dashboard's HTTP timings) seed the same data with
`await seed(db_url, channels, deliverables)`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from bench.digest_scale import (
    TYPE_POOL,
    USERS,
    ZONES,
    BenchDb,
    Channel,
    Counters,
    analyze,
    history_rows,
    instrument,
    load_deliverables,
    pg_target,
    recent_rows,
    sqlite_target,
)
from bot import directory
from bot.charter import ChannelKey, Charter, Schedule, Target
from bot.context import EngineSettings, Services
from bot.directory import CHART_PERIODS, DeliverableFilter, Viewer
from bot.periods import period_at, periods_back
from storage.convert import charter_columns
from storage.database import Database, migrate
from storage.models import ChannelRow, CharterRow
from storage.repository import SqlRepository

SEED = 20261202
PLATFORM, WORKSPACE = "slack", "TDASH"
PRIVATE_EVERY = 25
TOPICS = ("billing", "onboarding", "security", "mobile", "analytics")
SEARCH = "billing"  # the directory's words: one channel in len(TOPICS)
PAGE_WORDS = "invoice"  # a channel page's words: in many deliverables' text
RECENT_SHARE = 0.2  # of the deliverables, over the charts' periods


@dataclass(frozen=True)
class Seeded:
    """What `seed` made: the workspace, its channels, and the time its data is relative to."""

    platform: str
    workspace_id: str
    channel_ids: tuple[str, ...]
    private_ids: tuple[str, ...]
    deliverables: int
    now: datetime


def make_workspace(n: int, now: datetime, rng: random.Random) -> list[Channel]:
    """`n` chartered channels in one workspace, as bench.digest_scale makes them."""
    channels = []
    for i in range(n):
        key = ChannelKey(platform=PLATFORM, workspace_id=WORKSPACE, channel_id=f"C{i:08d}")
        types = []
        for k, t in enumerate(rng.sample(TYPE_POOL, 2 + i % 3)):
            target = Target(count=8, per="month") if k == 0 else Target(count=rng.randint(1, 5))
            types.append(t.model_copy(update={"target": target if k < 2 else None}))
        topic = TOPICS[i % len(TOPICS)]
        charter = Charter(
            channel=key,
            purpose=f"The {topic} team: what it ships, each week, for channel {i}.",
            owners=(rng.choice(USERS),),
            types=tuple(types),
            schedule=Schedule(weekday=rng.choice([0, 4])),
            timezone=ZONES[i % 2],
            version=1,
            updated_at=now - timedelta(days=6 * 365),
            updated_by="U00000",
        )
        schedule = charter.effective_schedule
        period = period_at(schedule, charter.tz, now)
        # the charts' periods and this one, whose rows end before `now`
        recent = periods_back(schedule, charter.tz, period, CHART_PERIODS + 1)[:-1]
        channels.append(Channel(key, f"{topic}-{i:04d}", charter, period, recent))
    return channels


async def seed(db_url: str, channels: int, deliverables: int, now: datetime | None = None) -> Seeded:
    """Migrate `db_url` and fill it with one workspace: `channels` chartered channels (every
    25th private) and `deliverables` deliverables around `now` (default: the current time)."""
    now = now or datetime.now(UTC)
    rng = random.Random(SEED)
    made = make_workspace(channels, now, rng)
    await migrate(db_url)
    db = Database(db_url)
    try:
        private = {ch.key.channel_id for i, ch in enumerate(made) if i % PRIVATE_EVERY == PRIVATE_EVERY - 1}
        charters = [{**ch.key.model_dump(), **charter_columns(ch.charter)} for ch in made]
        names = [
            {
                **ch.key.model_dump(),
                "name": ch.name,
                "is_private": ch.key.channel_id in private,
                "creator_id": None,
            }
            for ch in made
        ]
        async with db.engine.begin() as conn:
            await conn.execute(sa.insert(CharterRow), charters)
            await conn.execute(sa.insert(ChannelRow), names)
        recent = int(deliverables * RECENT_SHARE) // max(1, channels)
        n = await load_deliverables(db, recent_rows(made, recent, rng))
        n += await load_deliverables(db, history_rows(made, deliverables - n, 0.02, rng))
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(
                "INSERT INTO taggings (deliverable_id, user_id, via, emoji) "
                "SELECT id, tagged_by, 'reaction', 'star' FROM deliverables WHERE id % 7 = 0"
            )
        await analyze(db)
        if db.dialect == "postgresql":  # without statistics on taggings, quarter_report's plan goes astray
            async with db.engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("ANALYZE taggings")
                await conn.exec_driver_sql("ANALYZE channels")
    finally:
        await db.dispose()
    return Seeded(
        PLATFORM,
        WORKSPACE,
        tuple(ch.key.channel_id for ch in made),
        tuple(sorted(private)),
        n,
        now,
    )


# --------------------------------------------------------------------------- measuring


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.t = now

    def now(self) -> datetime:
        return self.t


@dataclass
class Figure:
    name: str
    best_ms: float
    median_ms: float
    statements: int
    shown: str


async def measure(
    name: str,
    counters: Counters,
    call: Callable[[], Awaitable[Any]],
    shown: Callable[[Any], str],
    repeat: int,
) -> Figure:
    await call()  # warm: connections, statement caches
    times, counts, result = [], set(), None
    for _ in range(repeat):
        counters.reset()
        t0 = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - t0) * 1000)
        counts.add(counters.statements)
    assert len(counts) == 1, f"{name}: the statement count changed between runs: {counts}"
    return Figure(name, min(times), statistics.median(times), counts.pop(), shown(result))


async def plans(db: Database, counters: Counters, call: Callable[[], Awaitable[Any]]) -> str:
    """EXPLAIN QUERY PLAN (SQLite) or EXPLAIN ANALYZE (PostgreSQL) of what `call` sends."""
    counters.reset()
    counters.keep_log = True
    try:
        await call()
    finally:
        counters.keep_log = False
    out = []
    async with db.engine.connect() as conn:
        for sql, params in list(counters.log):
            head = " ".join(sql.split())
            out.append(f"  -- {head[:120]}{' …' if len(head) > 120 else ''}")
            prefix = "EXPLAIN QUERY PLAN " if db.dialect == "sqlite" else "EXPLAIN (ANALYZE, COSTS OFF) "
            rows = (await conn.exec_driver_sql(prefix + sql, tuple(params))).all()
            out += [f"     {r[-1] if db.dialect == 'sqlite' else r[0]}" for r in rows]
        await conn.rollback()
    return "\n".join(out)


async def bench_one(target: BenchDb, args: argparse.Namespace) -> list[Figure]:
    t = time.perf_counter()
    seeded = await seed(target.url, args.channels, args.deliverables)
    took = time.perf_counter() - t
    print(f"[{target.name}] seeded {len(seeded.channel_ids):,} channels ({len(seeded.private_ids)} private), "
          f"{seeded.deliverables:,} deliverables in {took:.1f} s", flush=True)  # fmt: skip
    db = Database(target.url)
    try:
        counters = instrument(db)
        services = Services(repo=SqlRepository(db), clock=FixedClock(seeded.now), settings=EngineSettings())
        member_of = frozenset(seeded.private_ids[::2])
        viewer = Viewer(seeded.platform, seeded.workspace_id, "U00001", "en", member_of)
        page_of = seeded.channel_ids[0]
        quarter = (seeded.now.month - 1) // 3 + 1
        calls: list[tuple[str, Callable[[], Awaitable[Any]], Callable[[Any], str]]] = [
            ("overview()", lambda: directory.overview(services, viewer), lambda r: f"{len(r)} channels"),
            (
                f"directory({SEARCH!r})",
                lambda: directory.directory(services, viewer, SEARCH),
                lambda r: f"{len(r)} channels",
            ),
            (
                "channel_page()",
                lambda: directory.channel_page(services, viewer, page_of, DeliverableFilter()),
                lambda r: f"{len(r.deliverables)} of {r.total:,} rows",
            ),
            (
                f"channel_page({PAGE_WORDS!r})",
                lambda: directory.channel_page(
                    services, viewer, page_of, DeliverableFilter(words=PAGE_WORDS)
                ),
                lambda r: f"{len(r.deliverables)} of {r.total:,} rows",
            ),
            (
                f"quarter_report({seeded.now.year} Q{quarter})",
                lambda: directory.quarter_report(services, viewer, seeded.now.year, quarter),
                lambda r: f"{len(r.channels)} channels",
            ),
        ]
        figures = [await measure(name, counters, call, shown, args.repeat) for name, call, shown in calls]
        if args.plans:
            for name, call, _ in calls:
                print(f"[{target.name}] {name}:\n{await plans(db, counters, call)}", flush=True)
        return figures
    finally:
        await db.dispose()


def report(rows: list[tuple[str, Figure]], args: argparse.Namespace) -> None:
    head = f"{'database':<9} {'call':<28} {'best ms':>9} {'median ms':>10} {'statements':>10}  shown"
    print()
    print(head)
    print("-" * len(head))
    for db, f in rows:
        print(f"{db:<9} {f.name:<28} {f.best_ms:>9.1f} {f.median_ms:>10.1f} {f.statements:>10}  {f.shown}")
    print(f"\n{args.repeat} runs each after one warm-up; statements exclude transaction control.")


def workspace_arguments(prog: str, doc: str, repeat: int, pg_db: str) -> argparse.ArgumentParser:
    """The options both dashboard benchmarks take: the workspace's size, the databases, runs."""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0], prog=prog)
    p.add_argument("--channels", type=int, default=500)
    p.add_argument("--deliverables", type=int, default=1_000_000)
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--quick", action="store_true", help="50 channels and 50,000 deliverables")
    p.add_argument("--repeat", type=int, default=repeat)
    p.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/test",
        help="an administrator connection; the bench creates its own database next to it",
    )
    p.add_argument("--pg-db", default=pg_db, help="the database it creates and drops")
    return p


def workspace_size(args: argparse.Namespace) -> argparse.Namespace:
    if args.quick:
        args.channels, args.deliverables = 50, 50_000
    return args


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = workspace_arguments("python -m bench.dashboard_scale", __doc__ or "", 5, "outputs_dashboard_bench")
    p.add_argument("--plans", action="store_true", help="print the query plans of each call")
    return workspace_size(p.parse_args(argv))


F = TypeVar("F")  # a benchmark's figure


async def on_each_database(
    args: argparse.Namespace, bench: Callable[[BenchDb, argparse.Namespace], Awaitable[list[F]]]
) -> list[tuple[str, F]]:
    """`bench` on each database `--db` names (a temporary SQLite file, a PostgreSQL database
    of its own), each removed after; its figures, by database."""
    rows: list[tuple[str, F]] = []
    for name in ("sqlite", "postgres"):
        if args.db not in (name, "both"):
            continue
        target = await sqlite_target() if name == "sqlite" else await pg_target(args.pg_url, args.pg_db)
        try:
            rows += [(name, f) for f in await bench(target, args)]
        finally:
            await target.cleanup()
    return rows


async def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    print(f"dashboard_scale: {args.channels:,} channels, {args.deliverables:,} deliverables; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    report(await on_each_database(args, bench_one), args)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
