"""The directory's and dashboard's reads: what they count, and in how many statements.

Statements are counted with a `before_cursor_execute` listener on the test database (SQLite's
BEGIN and PRAGMA left out): a workspace of 30 chartered channels must cost what one of 2
costs, on both databases.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot import directory
from bot.charter import ChannelKey, Charter, OutputType, Schedule, Target
from bot.context import EngineSettings, Services
from bot.deliverable import Status
from bot.directory import DeliverableFilter, Viewer
from bot.periods import Period
from bot.ports import ChannelInfo, CountWindow
from storage.database import Database
from storage.repository import SqlRepository
from tests.clock import FakeClock
from tests.storage.factories import new

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday
AT = datetime(2026, 1, 1, tzinfo=UTC)
FRIDAY = Schedule(weekday=4)  # 16:00, here in UTC
WEEKLY = OutputType(key="solution", label="Problem solved", target=Target(count=2))
MONTHLY = OutputType(key="idea", label="Product idea", target=Target(count=5, per="month"))
LOOSE = OutputType(key="note", label="Note", description="Anything worth keeping")
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")


def services(repo: SqlRepository) -> Services:
    return Services(repo=repo, clock=FakeClock(NOW), settings=EngineSettings())


def ch(channel_id: str, workspace: str = "T1") -> ChannelKey:
    return ChannelKey(platform="slack", workspace_id=workspace, channel_id=channel_id)


VIEWER = Viewer(platform="slack", workspace_id="T1", user_id="U1", language="en")


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(CONTROL):
            seen.append(statement)

    engine = db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


async def chartered(
    repo: SqlRepository,
    key: ChannelKey,
    *,
    private: bool = False,
    purpose: str = "We solve customer problems",
    types: tuple[OutputType, ...] = (WEEKLY, MONTHLY, LOOSE),
) -> None:
    await repo.upsert_channel(ChannelInfo(key=key, name=key.channel_id.lower(), is_private=private))
    charter = Charter(channel=key, purpose=purpose, types=types, schedule=FRIDAY)
    await repo.save_charter(charter, "U1", "test", AT)


async def workspace_of(repo: SqlRepository, first: int, last: int) -> None:
    """Channels first..last-1, every third private, each with work in the last 3 weeks."""
    for n in range(first, last):
        key = ch(f"C{n:03d}")
        await chartered(repo, key, private=n % 3 == 2)
        for k, days in enumerate((1, 8, 15)):
            when = NOW - timedelta(days=days)
            await repo.capture(new(key, message_id=f"{n}-{k}", created_at=when))


async def test_the_whole_workspace_costs_the_same_statements_for_2_or_30_channels(db: Database) -> None:
    repo = SqlRepository(db)
    s = services(repo)
    viewer = Viewer(platform="slack", workspace_id="T1", user_id="U1", language="en",
                    private_channels=frozenset({"C002", "C029"}))  # fmt: skip
    q = datetime(2026, 11, 1, tzinfo=UTC)
    counts: dict[int, dict[str, int]] = {}
    for size in (2, 30):
        await workspace_of(repo, 2 if size == 30 else 0, size)
        counts[size] = {}
        with statements(db) as seen:
            shown = await directory.overview(s, viewer)
        counts[size]["overview"] = len(seen)
        assert {x.channel.key.channel_id for x in shown} == {
            f"C{n:03d}" for n in range(size) if n % 3 != 2 or n in (2, 29)
        }
        with statements(db) as seen:
            await directory.directory(s, viewer, "customer problems")
        counts[size]["directory words"] = len(seen)
        with statements(db) as seen:
            report = await directory.quarter_report(s, viewer, q.year, 4)
        counts[size]["quarter"] = len(seen)
        assert len(report.channels) == len(shown)
        with statements(db) as seen:
            page = await directory.channel_page(s, viewer, "C001", DeliverableFilter(words="printer"))
        counts[size]["channel page"] = len(seen)
        assert page is not None and page.total == 3
    assert counts[2] == counts[30]
    assert counts[30] == {"overview": 2, "directory words": 2, "quarter": 4, "channel page": 3}


async def test_history_this_period_and_the_month_so_far(db: Database) -> None:
    repo = SqlRepository(db)
    key = ch("C1")
    await chartered(repo, key)
    # this period: Fri 20 Nov 16:00 → Fri 27 Nov 16:00; the one before from 13 Nov
    for n, (type_, when) in enumerate(
        [
            ("solution", datetime(2026, 11, 24, tzinfo=UTC)),
            ("solution", datetime(2026, 11, 20, 16, 0, tzinfo=UTC)),  # its first instant
            ("solution", datetime(2026, 11, 20, 15, 59, tzinfo=UTC)),  # the period before
            ("idea", datetime(2026, 11, 2, tzinfo=UTC)),  # this month, three periods back
            ("idea", datetime(2026, 10, 31, tzinfo=UTC)),  # last month, in that same period
            ("retired", datetime(2026, 11, 24, tzinfo=UTC)),  # a type no longer declared
        ]
    ):
        await repo.capture(new(key, type=type_, message_id=f"m{n}", created_at=when))
    await repo.capture(new(key, message_id="draft", status=Status.DRAFT, created_at=NOW - timedelta(hours=1)))
    [s] = await directory.directory(services(repo), VIEWER, periods=4)
    assert s.period == Period(datetime(2026, 11, 20, 16, tzinfo=UTC), datetime(2026, 11, 27, 16, tzinfo=UTC))
    assert len(s.periods) == 4 and s.periods[-1] == s.period
    by_key = {t.type.key: t for t in s.types}
    assert by_key["solution"].history == (0, 0, 1, 2) and by_key["solution"].produced == 2
    assert by_key["solution"].met is True
    # a monthly target counts the month so far, not the period
    assert by_key["idea"].history == (2, 0, 0, 0) and by_key["idea"].produced == 1
    assert by_key["idea"].met is False
    assert by_key["note"].met is None
    assert s.produced == 2 and s.produced_by_period == (2, 0, 1, 2)


async def test_the_quarter_in_numbers(db: Database) -> None:
    repo = SqlRepository(db)
    key = ch("C1")
    await chartered(repo, key)
    inside = datetime(2026, 11, 10, tzinfo=UTC)
    rows = [
        ("solution", "U1", inside, Status.COMPLETE),
        ("solution", "U1", inside + timedelta(days=1), Status.COMPLETE),
        ("solution", "U2", datetime(2026, 10, 1, tzinfo=UTC), Status.COMPLETE),  # the first instant
        ("idea", "U2", datetime(2026, 12, 31, 23, 59, tzinfo=UTC), Status.COMPLETE),
        ("idea", "U3", datetime(2026, 9, 30, 23, 59, tzinfo=UTC), Status.COMPLETE),  # the quarter before
        ("idea", "U3", datetime(2027, 1, 1, tzinfo=UTC), Status.COMPLETE),  # the next one
        ("idea", "U3", inside, Status.WITHDRAWN),
        ("idea", "U3", inside, Status.DRAFT),
    ]
    ids = []
    for n, (type_, who, when, status) in enumerate(rows):
        d = new(key, type=type_, message_id=f"m{n}", created_at=when, status=status)
        if status == Status.WITHDRAWN:
            d = d.model_copy(update={"completed_at": when})
        saved, _ = await repo.capture(d.model_copy(update={"author_id": who}))
        ids.append(saved.id)
    for user in ("U5", "U6", "U7"):  # the oldest of the quarter is the most tagged
        await repo.add_tagging(ids[2], user, "reaction", "bulb")
    report = await directory.quarter_report(services(repo), VIEWER, 2026, 4)
    assert (report.start, report.end) == (datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    [q] = report.channels
    assert q.produced == {"solution": 3, "idea": 1, "note": 0}
    # Fridays 2 Oct to 25 Dec: 13 digests; a monthly target three times
    assert len(q.standing.periods) == 13
    assert q.declared == {"solution": 26, "idea": 15}
    assert [d.id for d in q.notable] == [ids[2], ids[3], ids[1], ids[0]]
    assert q.contributors == (("U1", 2), ("U2", 2))
    # the chart shows the digests' periods: the first began on 25 September, the last ended
    # on 25 December
    assert q.standing.produced_by_period[0] == 2 and sum(q.standing.produced_by_period) == 4
    with pytest.raises(ValueError):
        await directory.quarter_report(services(repo), VIEWER, 2026, 5)


async def test_the_channel_page_filters(db: Database) -> None:
    repo = SqlRepository(db)
    key = ch("C1")
    await chartered(repo, key)
    base = datetime(2026, 11, 2, tzinfo=UTC)
    made = []
    for n, (type_, status, text) in enumerate(
        [
            ("solution", Status.COMPLETE, "Printer jam fixed"),
            ("solution", Status.DRAFT, "Printer toner half done"),
            ("idea", Status.COMPLETE, "Dark mode for the printer page"),
            ("idea", Status.WITHDRAWN, "Printer idea taken back"),
            ("idea", Status.DELETED, ""),
            ("note", Status.COMPLETE, "Meeting notes"),
        ]
    ):
        saved, _ = await repo.capture(
            new(
                key,
                type=type_,
                status=status,
                text=text,
                message_id=f"m{n}",
                created_at=base + timedelta(days=n),
            )
        )
        made.append(saved.id)
    s = services(repo)

    async def shown(**f: Any) -> tuple[list[int | None], int]:
        page = await directory.channel_page(s, VIEWER, "C1", DeliverableFilter(**f))
        assert page is not None
        return [d.id for d in page.deliverables], page.total

    assert await shown() == ([made[5], made[2], made[1], made[0]], 4)  # newest first; never withdrawn
    assert await shown(type="solution") == ([made[1], made[0]], 2)
    assert await shown(status=Status.WITHDRAWN) == ([made[3]], 1)
    assert await shown(status=Status.DELETED) == ([made[4]], 1)
    assert await shown(words="printer") == ([made[2], made[1], made[0]], 3)
    assert await shown(words="printer", type="idea") == ([made[2]], 1)
    week = Period(base + timedelta(days=1), base + timedelta(days=3))
    assert await shown(period=week) == ([made[2], made[1]], 2)
    page = await directory.channel_page(s, VIEWER, "C1", DeliverableFilter(), limit=1)
    assert page is not None and len(page.deliverables) == 1 and page.total == 4
    assert await shown(words="'; DROP TABLE deliverables; --") == ([], 0)


async def test_a_page_that_may_not_be_seen_is_none_alike(db: Database) -> None:
    repo = SqlRepository(db)
    await chartered(repo, ch("CPRIV"), private=True)
    await chartered(repo, ch("COTHER", workspace="T2"))
    await repo.upsert_channel(ChannelInfo(key=ch("CBARE"), name="bare"))
    s, flt = services(repo), DeliverableFilter()
    for channel_id in ("CPRIV", "COTHER", "CBARE", "CNONE"):
        assert await directory.channel_page(s, VIEWER, channel_id, flt) is None
    member = Viewer(platform="slack", workspace_id="T1", user_id="U1", language="en",
                    private_channels=frozenset({"CPRIV"}))  # fmt: skip
    assert await directory.channel_page(s, member, "CPRIV", flt) is not None


async def test_a_monthly_window_over_500_channels_passes_sqlites_parameter_limit(db: Database) -> None:
    # 500 channels × 13 windows as one JSON parameter: no "too many SQL variables"
    repo = SqlRepository(db)
    await chartered(repo, ch("C1"))
    await repo.capture(new(ch("C1"), created_at=NOW - timedelta(hours=1)))
    windows = [
        CountWindow(f"C{c}", i, NOW - timedelta(days=7 * (i + 1)), NOW - timedelta(days=7 * i))
        for c in range(500)
        for i in range(13)
    ]
    counts = await repo.completed_counts("slack", "T1", windows)
    assert counts == {("C1", 0): {"solution": 1}}
