"""The engine's frequent reads go through an index, never through the whole table."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.deliverable import Status
from storage.database import Database
from storage.repository import SqlRepository
from tests.storage.factories import CH, T0, channel, new
from tests.storage.plans import bulk_insert, query_plan, recorded_selects

FULL_SCAN = re.compile(r"SCAN deliverables(?!_fts)|Seq Scan on deliverables")

READS: dict[str, Callable[[SqlRepository], Awaitable[Any]]] = {
    "list": lambda r: r.list_deliverables(CH, limit=20),
    "list_window": lambda r: r.list_deliverables(
        CH, since=T0, until=T0 + timedelta(days=7), statuses=[Status.COMPLETE]
    ),
    "drafts_of": lambda r: r.drafts_of("slack", "T1", "U1"),
    "by_message": lambda r: r.by_message(CH, "m-3"),
    "export_channel": lambda r: r.export("slack", "T1", "C1"),
    "export_since": lambda r: r.export(since=T0 + timedelta(days=100)),
    "search": lambda r: r.search("slack", "T1", "printer"),
}


@pytest.mark.parametrize("read", READS)
async def test_reads_use_an_index(repo: SqlRepository, db: Database, read: str) -> None:
    rows = []
    for i in range(200):
        status = Status.DRAFT if i % 10 == 0 else Status.COMPLETE
        created = T0 + timedelta(days=i)
        tagger = f"U{i % 5}"
        rows.append(new(message_id=f"m-{i}", status=status, created_at=created, tagged_by=tagger))
        rows.append(new(channel(f"C{i % 7 + 2}"), message_id=f"o-{i}", created_at=created))
    await bulk_insert(db, rows)
    with recorded_selects(db) as statements:
        await READS[read](repo)
    assert statements
    for statement, params in statements:
        plan = await query_plan(db, statement, params)
        assert not FULL_SCAN.search(plan), plan
