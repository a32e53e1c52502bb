"""Ranked full-text search over one workspace's deliverables.

SQLite uses the FTS5 table `deliverables_fts`, PostgreSQL the generated `search_vector`
column; the migration creates both. The words are user input: they reach the database
only as bound parameters, and on SQLite each one is quoted as a plain FTS5 string, so
`AND`, `NEAR`, `*`, `"`, `-` or `)` mean nothing special and cannot break the query.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from bot.deliverable import Status
from bot.ports import SearchHit
from storage.base import Store
from storage.convert import to_deliverable
from storage.models import ChannelRow, DeliverableRow

MAX_WORDS = 16
_VISIBLE = [Status.DRAFT.value, Status.COMPLETE.value]


def fts5_query(words: str) -> str:
    """Each word becomes a quoted FTS5 string (quotes doubled); all are required."""
    tokens = words.split()[:MAX_WORDS]
    return " ".join('"' + token.replace('"', '""') + '"' for token in tokens)


def _match_sqlite(words: str) -> tuple[Any, Any, Any]:
    fts = sa.table("deliverables_fts", sa.column("rowid"))
    match = sa.text("deliverables_fts MATCH :fts_query").bindparams(fts_query=fts5_query(words))
    # bm25 is lower for better matches; a title hit weighs most, the body least
    bm25 = sa.func.bm25(sa.literal_column("deliverables_fts"), 8.0, 1.0, 3.0, 2.0)
    return fts, fts.c.rowid == DeliverableRow.id, (match, -bm25)


def _match_postgresql(words: str) -> tuple[Any, Any, Any]:
    # plainto_tsquery ANDs the words and ignores any operator syntax, like the FTS5 side
    query = sa.func.plainto_tsquery(sa.literal_column("'simple'::regconfig"), words)
    vector: sa.ColumnElement[Any] = sa.literal_column("deliverables.search_vector")
    return None, None, (vector.op("@@")(query), sa.func.ts_rank(vector, query))


class SearchStore(Store):
    async def search(self, platform: str, workspace_id: str, words: str, limit: int = 20) -> list[SearchHit]:
        """Ranked full-text search within one workspace (withdrawn/deleted excluded)."""
        words = words.replace("\x00", " ")  # no stored text holds one, and FTS5 stops at it
        if not words.split():
            return []
        if self.db.dialect == "postgresql":
            fts, on, (match, rank) = _match_postgresql(words)
        else:
            fts, on, (match, rank) = _match_sqlite(words)
        d, c = DeliverableRow, ChannelRow
        stmt = sa.select(d, c.is_private, c.name, rank.label("rank")).select_from(d)
        if fts is not None:
            stmt = stmt.join(fts, on)
        stmt = (
            stmt.outerjoin(
                c,
                sa.and_(
                    c.platform == d.platform,
                    c.workspace_id == d.workspace_id,
                    c.channel_id == d.channel_id,
                ),
            )
            .where(match, d.platform == platform, d.workspace_id == workspace_id)
            .where(d.status.in_(_VISIBLE))
            .order_by(sa.desc("rank"), d.created_at.desc(), d.id.desc())
            .limit(limit)
        )
        async with self.db.read_session() as s, s.begin():
            rows = (await s.execute(stmt)).all()
        return [
            SearchHit(
                deliverable=to_deliverable(row),
                channel_is_private=bool(is_private),
                channel_name=name or "",
                rank=float(rank),
            )
            for row, is_private, name, rank in rows
        ]
