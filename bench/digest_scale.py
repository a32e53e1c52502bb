"""Digest cost at scale: every channel's digest for one period, on SQLite and PostgreSQL.

Builds N channels (default 1,000), each with a charter (2-3 output types, week targets,
one month target, a Europe/Paris or America/New_York schedule) and `--per-channel`
deliverables (default 100) spread over the current period and the 7 before it, then
computes every channel's digest the way the scheduler does: every charter read once with
`repo.list_charters` (as `bot.digests.due`), then per channel its last closed period and
`bot.digests.compute` (the channel's name, counts, rows and drafts).

Variant "1M", in a second database: the same rows plus `--history` more deliverables
(default 1,000,000) of older periods, spread over ~5 years, mostly complete. The indexes
should keep the per-channel cost flat. The two variants' passes are interleaved, so that
other work on the machine hits both alike, and the figures come from the fastest pass.

Printed per database x variant: channels, deliverables, total seconds, ms per channel
(mean, p95; the charter list's share included), SQL statements per channel digest (mean,
max), transactions and pool checkouts per channel, and the 1M / small ratio, next to the
goals of issue 2 (<= 3 statements, <= 2 ms per channel, 1M within 20% of small). The
query plans of the digest statements are printed once per database (1M variant).

    .venv/bin/python -m bench.digest_scale               # full size, both databases
    .venv/bin/python -m bench.digest_scale --quick --db sqlite

PostgreSQL: `--pg-url` names a database to connect to as an administrator (default
postgresql://postgres@127.0.0.1:5432/test); the bench creates its own databases
(`--pg-db`, default outputs_bench, and outputs_bench_history) next to it and drops them at
the end. SQLite runs on temporary files that are deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.charter import ChannelKey, Charter, FieldSpec, OutputType, Schedule, Target
from bot.context import EngineSettings, Services
from bot.digest import MAX_DRAFTS
from bot.digests import compute
from bot.periods import Period, last_closed, periods_back
from storage.convert import charter_columns
from storage.database import Database, migrate
from storage.models import ChannelRow, CharterRow, DeliverableRow
from storage.repository import SqlRepository

NOW = datetime(2026, 6, 17, 12, 0, tzinfo=UTC)  # fixed: the figures are reproducible
SEED = 20260617
MAX_ITEMS = 10
HISTORY_PERIODS = 8  # sparkline length, as the settings default
RECENT_PERIODS = 8  # the small set covers the current period and the 7 before it
HISTORY_YEARS = 5
WORKSPACE_SIZE = 100  # channels per workspace
USERS = [f"U{n:05d}" for n in range(300)]
ZONES = ("Europe/Paris", "America/New_York")
GOALS = {"statements": 3, "ms": 2.0, "ratio": 1.20}

TYPE_POOL = [
    OutputType(
        key="solution",
        label="Problem solved",
        emoji="white_check_mark",
        description="A customer problem, its fix and the product area",
        fields=(FieldSpec(name="problem"), FieldSpec(name="fix"), FieldSpec(name="area", required=False)),
    ),
    OutputType(
        key="faq",
        label="FAQ entry",
        emoji="question",
        fields=(FieldSpec(name="question"), FieldSpec(name="answer")),
    ),
    OutputType(key="demo", label="Demo recorded", emoji="movie_camera", fields=(FieldSpec(name="link"),)),
    OutputType(key="lead", label="Sales lead", emoji="moneybag", fields=(FieldSpec(name="account"),)),
    OutputType(key="idea", label="Product idea", emoji="bulb"),
]
_PROSE = (
    "invoice export fails for accounts with more than ten thousand rows when the customer "
    "uses the legacy billing plan and the report scheduler retries twice before giving up "
    "café résumé naïve dashboard latency tenant onboarding webhook timeout"
)
WORDS = _PROSE.split(" ")
TEXTS = [" ".join(random.Random(n).choices(WORDS, k=24)) for n in range(64)]
PG_COLUMNS = [
    "platform", "workspace_id", "channel_id", "type", "status", "title", "text", "author_id",
    "tagged_by", "via", "permalink", "message_id", "thread_id", "fields", "created_at",
    "updated_at", "completed_at",
]  # fmt: skip


# --------------------------------------------------------------------------- data set


@dataclass
class Channel:
    key: ChannelKey
    name: str
    charter: Charter
    period: Period
    recent: list[Period]  # oldest first, the current period last
    seq: int = 0  # message ids issued so far

    def next_message_id(self) -> str:
        self.seq += 1
        return f"{1_700_000_000 + self.seq}.{self.seq % 1_000_000:06d}"


def make_channels(n: int, rng: random.Random) -> list[Channel]:
    channels = []
    for i in range(n):
        workspace = f"TB{i // WORKSPACE_SIZE:05d}"
        key = ChannelKey(platform="slack", workspace_id=workspace, channel_id=f"C{i:08d}")
        ntypes = 2 + (i % 2)  # 2 or 3 types
        picked = rng.sample(TYPE_POOL, ntypes)
        types = []
        for k, t in enumerate(picked):
            if k == 0:
                target: Target | None = Target(count=10, per="month")  # one month target each
            elif k == 1 or rng.random() < 0.5:
                target = Target(count=rng.randint(1, 5), per="week")
            else:
                target = None
            types.append(t.model_copy(update={"target": target}))
        schedule = Schedule(weekday=rng.choice([0, 4]), at=rng.choice([dtime(16, 0), dtime(9, 30)]))
        charter = Charter(
            channel=key,
            purpose=f"Channel {i} produces what it declared, every week.",
            owners=(rng.choice(USERS),),
            types=tuple(types),
            schedule=schedule,
            timezone=ZONES[i % 2],
            version=1,
            updated_at=NOW - timedelta(days=6 * 365),
            updated_by="U00000",
        )
        period = last_closed(schedule, charter.tz, NOW)
        recent = periods_back(schedule, charter.tz, period, RECENT_PERIODS)
        channels.append(Channel(key, f"bench-{i:04d}", charter, period, recent))
    return channels


def _fields(t: OutputType, rng: random.Random, complete: bool) -> dict[str, str]:
    values = {f.name: " ".join(rng.choices(WORDS, k=3)) for f in t.fields}
    if not complete and t.required_fields:  # a draft: one required field still empty
        values.pop(rng.choice(t.required_fields).name)
    return values


def _row(
    ch: Channel, rng: random.Random, status: str, created: datetime, completed: datetime | None
) -> dict[str, Any]:
    t = rng.choice(ch.charter.types)
    text = "" if status == "deleted" else TEXTS[rng.randrange(len(TEXTS))]
    msg = ch.next_message_id()
    return {
        "platform": ch.key.platform,
        "workspace_id": ch.key.workspace_id,
        "channel_id": ch.key.channel_id,
        "type": t.key,
        "status": status,
        "title": text[:60],
        "text": text,
        "author_id": rng.choice(USERS),
        "tagged_by": rng.choice(USERS),
        "via": "reaction",
        "permalink": f"https://bench.slack.com/archives/{ch.key.channel_id}/p{msg.replace('.', '')}",
        "message_id": msg,
        "thread_id": None,
        "fields": _fields(t, rng, status != "draft"),
        "created_at": created,
        "updated_at": None,
        "completed_at": completed,
    }


def recent_rows(channels: list[Channel], per_channel: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """`per_channel` rows per channel over its last 8 periods: 80% complete, 20% drafts."""
    for ch in channels:
        for j in range(per_channel):
            p = ch.recent[j % len(ch.recent)]
            span = (p.end - p.start).total_seconds()
            created = p.start + timedelta(seconds=rng.uniform(0, span * 0.97))
            if rng.random() < 0.8:
                done = created + timedelta(minutes=rng.uniform(0, 180))
                completed = min(done, p.end - timedelta(seconds=1))
                yield _row(ch, rng, "complete", created, completed)
            else:
                yield _row(ch, rng, "draft", created, None)


def history_rows(
    channels: list[Channel], total: int, drafts: float, rng: random.Random
) -> Iterator[dict[str, Any]]:
    """`total` older rows over ~5 years before each channel's recent window.

    Mostly complete; `drafts` of them abandoned drafts, 3% withdrawn, 2% deleted.
    """
    per, extra = divmod(total, len(channels))
    years = timedelta(days=365 * HISTORY_YEARS).total_seconds()
    for i, ch in enumerate(channels):
        horizon = ch.recent[0].start
        for _ in range(per + (i < extra)):
            created = horizon - timedelta(seconds=rng.uniform(1, years))
            r = rng.random()
            status = (
                "draft" if r < drafts
                else "withdrawn" if r < drafts + 0.03
                else "deleted" if r < drafts + 0.05
                else "complete"
            )  # fmt: skip
            completed = None
            if status != "draft":
                completed = min(created + timedelta(hours=rng.uniform(0, 48)), horizon - timedelta(seconds=1))
            yield _row(ch, rng, status, created, completed)


def batched(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for r in rows:
        batch.append(r)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- loading


async def load_charters(db: Database, channels: list[Channel]) -> None:
    charters = [{**ch.key.model_dump(), **charter_columns(ch.charter)} for ch in channels]
    names = [
        {**ch.key.model_dump(), "name": ch.name, "is_private": False, "creator_id": None} for ch in channels
    ]
    async with db.engine.begin() as conn:
        await conn.execute(sa.insert(CharterRow), charters)
        await conn.execute(sa.insert(ChannelRow), names)


async def load_deliverables(db: Database, rows: Iterator[dict[str, Any]]) -> int:
    """Core executemany on SQLite (the FTS triggers fire per row); COPY on PostgreSQL."""
    n = 0
    if db.dialect == "postgresql":
        async with db.engine.begin() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            for batch in batched(rows, 50_000):
                records = [
                    tuple(json.dumps(r[c], ensure_ascii=False) if c == "fields" else r[c] for c in PG_COLUMNS)
                    for r in batch
                ]
                await raw.copy_records_to_table("deliverables", records=records, columns=PG_COLUMNS)
                n += len(batch)
    else:
        for batch in batched(rows, 20_000):
            async with db.engine.begin() as conn:
                await conn.execute(sa.insert(DeliverableRow), batch)
            n += len(batch)
    return n


async def analyze(db: Database) -> None:
    if db.dialect == "postgresql":  # autovacuum would, eventually; the planner needs the stats
        async with db.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE deliverables")
            await conn.exec_driver_sql("ANALYZE charters")


# --------------------------------------------------------------------------- measuring


@dataclass
class Counters:
    statements: int = 0  # SQL statements sent, BEGIN/COMMIT/PRAGMA excluded
    control: collections.Counter[str] = field(default_factory=collections.Counter)  # BEGIN & co. (SQLite)
    transactions: int = 0
    checkouts: int = 0
    log: list[tuple[str, Any]] = field(default_factory=list)
    keep_log: bool = False

    def reset(self) -> None:
        self.statements = self.transactions = self.checkouts = 0
        self.control.clear()
        self.log.clear()


CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


def instrument(db: Database) -> Counters:
    c = Counters()
    engine = db.engine.sync_engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _stmt(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith(CONTROL):
            c.control[" ".join(statement.split()).upper()] += 1
            return
        c.statements += 1
        if c.keep_log:
            c.log.append((statement, params))

    @sa.event.listens_for(engine, "begin")
    def _begin(_conn: Any) -> None:
        c.transactions += 1

    @sa.event.listens_for(engine.pool, "checkout")
    def _checkout(*_: Any) -> None:
        c.checkouts += 1

    return c


class FixedClock:
    def now(self) -> datetime:
        return NOW


def services_for(repo: SqlRepository) -> Services:
    """The scheduler's services, with the settings the figures assume."""
    settings = EngineSettings(max_items=MAX_ITEMS, sparkline_periods=HISTORY_PERIODS)
    return Services(repo=repo, clock=FixedClock(), settings=settings)


async def charters_of(services: Services) -> dict[ChannelKey, Charter]:
    """What `bot.digests.due` reads once for every channel: all the charters, one statement."""
    return {c.channel: c for c in await services.repo.list_charters()}


async def one_digest(services: Services, charter: Charter) -> tuple[int, int]:
    """What the scheduler does for one channel once it has the charters: find the period
    closed by NOW and compute the digest (`bot.digests.compute`, as `post_due` does).

    Returns (deliverables produced, rows the digest was built from: those plus the drafts).
    """
    assert charter.schedule is not None
    period = last_closed(charter.schedule, charter.tz, NOW)
    digest = await compute(services, charter, period)
    return digest.produced, digest.produced + len(digest.drafts)


@dataclass
class Pass:
    seconds: float
    cpu_s: float  # this process (the SQLite engine runs in it, PostgreSQL's server does not)
    per_channel_ms: list[float]  # each digest, plus its share of the charter list
    list_ms: float  # the one list_charters of the pass
    statements: list[int]  # per channel digest
    control: collections.Counter[str]  # BEGIN & co. sent through a cursor (SQLite), per kind
    transactions: int
    checkouts: int
    produced: int  # deliverables shown over every digest: the variants must agree
    rows: int  # deliverables fetched over every digest (the period's complete ones and all drafts)
    load: float  # 1-minute load average at the end: others' work on the same cores


@dataclass
class Run:
    db: str
    variant: str
    channels: int
    deliverables: int
    load_s: float
    passes: list[Pass]

    @property
    def best(self) -> Pass:
        """The least disturbed pass: the figures come from it (like `timeit`)."""
        return min(self.passes, key=lambda p: p.seconds)

    @property
    def total(self) -> float:
        return self.best.seconds

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.best.per_channel_ms)

    @property
    def p95_ms(self) -> float:
        xs = sorted(self.best.per_channel_ms)
        return xs[min(len(xs) - 1, int(0.95 * len(xs)))]

    def per_channel(self, value: float) -> float:
        return value / self.channels


async def warm_up(services: Services, channels: list[Channel]) -> None:
    charters = await charters_of(services)
    for ch in channels[: min(50, len(channels))]:  # compiled SQL cache, prepared statements, pool
        await one_digest(services, charters[ch.key])


async def one_pass(services: Services, counters: Counters, channels: list[Channel]) -> Pass:
    clock = time.perf_counter
    per_ms: list[float] = []
    stmts: list[int] = []
    control: collections.Counter[str] = collections.Counter()
    txns = checkouts = produced = rows = 0
    start, cpu_start = clock(), time.process_time()
    charters = await charters_of(services)  # once per pass, for every channel, as due() does
    list_ms = (clock() - start) * 1000
    share = list_ms / len(channels)
    for ch in channels:
        counters.reset()
        t0 = clock()
        shown, used = await one_digest(services, charters[ch.key])
        produced, rows = produced + shown, rows + used
        per_ms.append((clock() - t0) * 1000 + share)
        stmts.append(counters.statements)
        control += counters.control
        txns += counters.transactions
        checkouts += counters.checkouts
    seconds, cpu = clock() - start, time.process_time() - cpu_start
    return Pass(seconds, cpu, per_ms, list_ms, stmts, control, txns, checkouts, produced, rows,
                os.getloadavg()[0])


# --------------------------------------------------------------------------- query plans


async def plans(db: Database, services: Services, counters: Counters, ch: Channel) -> str:
    """EXPLAIN every statement one channel digest sends, with the values it sent."""
    charter = (await charters_of(services))[ch.key]
    counters.reset()
    counters.keep_log = True
    try:
        await one_digest(services, charter)
    finally:
        counters.keep_log = False
    captured = list(counters.log)
    out = []
    async with db.engine.connect() as conn:
        for sql, params in captured:
            head = " ".join(sql.split())
            out.append(f"  -- {head[:140]}{' …' if len(head) > 140 else ''}")
            if db.dialect == "sqlite":
                rows = (await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, tuple(params))).all()
                out += [f"     {r[-1]}" for r in rows]
                continue
            explain = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql
            rows = (await conn.exec_driver_sql(explain, tuple(params))).all()
            out += [f"     {r[0]}" for r in rows]
            # asyncpg reuses prepared statements, and PostgreSQL may switch a prepared statement
            # to a generic plan (made without the values) after five runs: show that one too.
            await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
            await conn.exec_driver_sql("PREPARE bench_q AS " + sql)
            args = ", ".join(_literal(v) for v in params)  # EXECUTE takes literals, not binds
            rows = (await conn.exec_driver_sql(f"EXPLAIN (COSTS OFF) EXECUTE bench_q({args})")).all()
            out.append("     generic plan:")
            out += [f"       {r[0]}" for r in rows]
            await conn.exec_driver_sql("DEALLOCATE bench_q")
            await conn.exec_driver_sql("RESET plan_cache_mode")
        await conn.rollback()
    return "\n".join(out)


_MEASURED = re.compile(r"\s*\((actual|rows=)[^)]*\)|^\s*(Buffers|Planning|Execution|Heap Blocks|Sort Method|"
                       r"Rows Removed).*$", re.M)


def plan_shape(plan: str) -> str:
    """A plan without its measurements and values, to compare the small and 1M variants."""
    shape = _MEASURED.sub("", plan)
    shape = re.sub(r"'[^']*'(::[a-z ]+)?", "?", shape)
    return "\n".join(line for line in shape.splitlines() if line.strip())


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, int | float):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


# --------------------------------------------------------------------------- one database


@dataclass
class BenchDb:
    name: str
    url: str
    cleanup: Callable[[], Awaitable[None]]


async def sqlite_target() -> BenchDb:
    tmp = Path(tempfile.mkdtemp(prefix="outputs-bench-"))

    async def remove() -> None:
        shutil.rmtree(tmp, ignore_errors=True)

    return BenchDb("sqlite", f"sqlite+aiosqlite:///{tmp / 'bench.db'}", remove)


async def pg_target(admin_url: str, dbname: str) -> BenchDb:
    """A database of our own next to the admin one: nobody else's data is touched."""
    import asyncpg

    admin = make_url(admin_url).set(drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{dbname}"')
    finally:
        await conn.close()

    async def drop() -> None:
        c = await asyncpg.connect(dsn)
        try:
            await c.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        finally:
            await c.close()

    return BenchDb("postgres", admin.set(database=dbname).render_as_string(hide_password=False), drop)


@dataclass
class Loaded:
    """One variant's database, filled and instrumented."""

    variant: str
    target: BenchDb
    db: Database
    services: Services
    counters: Counters
    channels: list[Channel]
    deliverables: int = 0
    load_s: float = 0.0
    plans: str = ""
    passes: list[Pass] = field(default_factory=list)


async def fill(target: BenchDb, variant: str, args: argparse.Namespace) -> Loaded:
    """The small data set, plus the history for the history variant; the same seed for both."""
    rng = random.Random(SEED)
    channels = make_channels(args.channels, rng)
    await migrate(target.url)
    db = Database(target.url)
    v = Loaded(variant, target, db, services_for(SqlRepository(db)), instrument(db), channels)
    t = time.perf_counter()
    await load_charters(db, channels)
    v.deliverables = await load_deliverables(db, recent_rows(channels, args.per_channel, rng))
    print(f"[{target.name} {variant}] loaded {len(channels):,} charters and {v.deliverables:,} deliverables "
          f"in {time.perf_counter() - t:.1f} s", flush=True)
    if variant != "small":
        t2 = time.perf_counter()
        older = history_rows(channels, args.history, args.history_drafts, random.Random(SEED + 1))
        n = await load_deliverables(db, older)
        took = time.perf_counter() - t2
        print(f"[{target.name} {variant}] loaded {n:,} history deliverables in {took:.1f} s "
              f"({n / took:,.0f} rows/s)", flush=True)
        v.deliverables += n
    await analyze(db)
    v.load_s = time.perf_counter() - t
    v.plans = await plans(db, v.services, v.counters, channels[0])
    return v


async def bench_one(name: str, args: argparse.Namespace) -> list[Loaded]:
    """Both variants side by side, their passes interleaved: others' load hits both alike."""
    variants = ["small"]
    if args.history:
        variants.append("1M" if args.history == 1_000_000 else f"+{args.history:,}")
    loaded: list[Loaded] = []
    try:
        for k, variant in enumerate(variants):
            if name == "sqlite":
                target = await sqlite_target()
            else:
                target = await pg_target(args.pg_url, args.pg_db + ("_history" if k else ""))
            try:
                loaded.append(await fill(target, variant, args))
            except BaseException:
                await target.cleanup()
                raise
        for v in loaded:
            await warm_up(v.services, v.channels)
        for _ in range(args.repeat):
            for v in loaded:
                v.passes.append(await one_pass(v.services, v.counters, v.channels))
        for v in loaded:
            times = ", ".join(f"{p.seconds:.2f}" for p in v.passes)
            loads = ", ".join(f"{p.load:.1f}" for p in v.passes)
            print(f"[{name} {v.variant}] passes {times} s (load average {loads})", flush=True)
        shown = {v.passes[0].produced for v in loaded}
        assert len(shown) == 1, "the history variant's digests differ: history leaked into the period"
    finally:
        for v in loaded:
            await v.db.dispose()
            await v.target.cleanup()
    return loaded


# --------------------------------------------------------------------------- report


def mark(ok: bool) -> str:
    return "ok" if ok else "MISSED"


COLUMNS = [
    ("database", "<9"), ("variant", "<8"), ("channels", ">8"), ("deliverables", ">12"), ("load s", ">7"),
    ("total s", ">7"), ("ms/ch mean", ">10"), ("ms/ch p95", ">9"), ("list ms/ch", ">10"), ("rows/ch", ">7"),
    ("cpu ms/ch", ">9"), ("stmts mean", ">10"), ("stmts max", ">9"), ("txn/ch", ">6"), ("conn/ch", ">7"),
    ("vs small", ">8"),
]  # fmt: skip


def report(runs: list[Run]) -> None:
    print()
    head = " ".join(f"{name:{fmt}}" for name, fmt in COLUMNS)
    print(head)
    print("-" * len(head))
    small = {r.db: r for r in runs if r.variant == "small"}
    for r in runs:
        base, p = small.get(r.db), r.best
        ratio = f"{r.mean_ms / base.mean_ms:.2f}x" if base and r is not base else ""
        values = [
            r.db, r.variant, f"{r.channels:,}", f"{r.deliverables:,}", f"{r.load_s:.1f}", f"{r.total:.2f}",
            f"{r.mean_ms:.2f}", f"{r.p95_ms:.2f}", f"{r.per_channel(p.list_ms):.3f}",
            f"{r.per_channel(p.rows):.1f}",
            f"{p.cpu_s * 1000 / r.channels:.2f}", f"{statistics.fmean(p.statements):.2f}",
            f"{max(p.statements)}",
            f"{r.per_channel(p.transactions):.1f}", f"{r.per_channel(p.checkouts):.1f}", ratio,
        ]  # fmt: skip
        print(" ".join(f"{v:{fmt}}" for v, (_, fmt) in zip(values, COLUMNS, strict=True)))
    print()
    print(f"goals (issue 2): <= {GOALS['statements']} statements per channel digest, <= {GOALS['ms']:g} ms "
          f"per channel, history variant within {GOALS['ratio'] - 1:.0%} of small")
    for r in runs:
        most = max(r.best.statements)
        line = (f"  {r.db:<9} {r.variant:<8} statements max {most}: {mark(most <= GOALS['statements'])}; "
                f"mean {r.mean_ms:.2f} ms: {mark(r.mean_ms <= GOALS['ms'])}")
        base = small.get(r.db)
        if base and r is not base:
            factor = r.mean_ms / base.mean_ms
            line += f"; ratio {factor:.2f}: {mark(factor <= GOALS['ratio'])}"
        print(line)
    print("\nFigures from the fastest of the passes; total s = that pass; list ms/ch = the pass's one")
    print("list_charters over the channels (included in ms/ch); rows/ch = deliverables each digest is built")
    print(f"from (the period's complete ones and the newest {MAX_DRAFTS} drafts);")
    print("cpu ms/ch = this process's CPU; txn/ch, conn/ch = transactions begun and pool checkouts")
    print("per channel digest.")
    control = [r for r in runs if r.best.control]
    if control:
        sent = [
            ", ".join(f"{r.per_channel(n):.0f} {kind}" for kind, n in sorted(r.best.control.items()))
            + f" ({r.db} {r.variant})"
            for r in control
        ]
        print("Statements exclude transaction control (sent through a cursor); per channel digest:")
        print(f"{'; '.join(sent)}.")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    doc = __doc__ or ""
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0], prog="python -m bench.digest_scale")
    p.add_argument("--channels", type=int, default=1000)
    p.add_argument("--per-channel", type=int, default=100, help="recent deliverables per channel")
    p.add_argument("--history", type=int, default=1_000_000,
                   help="older deliverables in the second variant, in total (0: skip it)")
    p.add_argument("--history-drafts", type=float, default=0.02,
                   help="share of that history left as drafts forever (default 0.02)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    p.add_argument("--repeat", type=int, default=5, help="measured passes over every channel (default 5)")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test",
                   help="an administrator connection; the bench creates its own database next to it")
    p.add_argument("--pg-db", default="outputs_bench",
                   help="the database it creates and drops (and the same name + _history)")
    args = p.parse_args(argv)
    if args.quick:
        args.channels = max(1, args.channels // 10)
        args.per_channel = max(1, args.per_channel // 10)
        args.history = args.history // 10
    return args


async def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    print(f"digest_scale: {args.channels:,} channels x {args.per_channel} deliverables; history "
          f"{args.history:,} ({args.history_drafts:.0%} drafts); {args.repeat} passes; periods closed "
          f"by {NOW.isoformat()}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    runs: list[Run] = []
    shown: list[str] = []
    for name in ("sqlite", "postgres"):
        if args.db not in (name, "both"):
            continue
        loaded = await bench_one(name, args)
        runs += [Run(name, v.variant, args.channels, v.deliverables, v.load_s, v.passes) for v in loaded]
        last, first = loaded[-1], loaded[0]
        if plan_shape(first.plans) == plan_shape(last.plans):
            shown.append(f"{name}: query plans of channel 0's digest, {last.variant} variant "
                         f"(the small variant's have the same shape):\n{last.plans}")
        else:
            shown.append(f"{name}: query plans of channel 0's digest, {last.variant} variant:\n{last.plans}\n"
                         f"{name}: the small variant's differ:\n{first.plans}")
    print()
    print("\n\n".join(shown))
    report(runs)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
