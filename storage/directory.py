"""The directory's and the dashboard's reads: many channels at once, in a few statements.

A whole workspace's counts come from one statement, whatever the number of channels: the
caller's windows (channel, bucket, start, end) travel as ONE bound JSON parameter, read back
as rows (SQLite `json_each`, PostgreSQL `json_to_recordset`) and joined to the deliverables
on the (channel, status, completed_at) index. One parameter, not four per window: 500
channels × 13 windows would pass SQLite's bound-parameter limit.

Words are user input: bound parameters only. Charters are searched in `charters_fts`
(SQLite) or `charters.search_vector` (PostgreSQL), both from migration 0010; deliverables as
storage/search.py does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.charter import ChannelKey, Charter
from bot.deliverable import Deliverable, Status
from bot.ports import ChannelInfo, CharteredChannel, CountWindow, QuarterFacts
from storage.base import Store
from storage.convert import DELIVERABLE_COLUMNS, from_columns
from storage.models import ChannelRow, CharterRow, DeliverableRow, TaggingRow
from storage.search import fts5_query

_COMPLETE = Status.COMPLETE.value
_BY_TYPE, _PERSON, _NOTABLE = 0, 1, 2  # the parts of the quarter's statement
_D = DeliverableRow.__table__.c


def _tsquery(words: str) -> Any:
    # plainto_tsquery ANDs the words and ignores any operator syntax, like fts5_query
    return sa.func.plainto_tsquery(sa.literal_column("'simple'::regconfig"), words)


class DirectoryStore(Store):
    def _windows(self, platform: str, workspace_id: str, windows: Sequence[CountWindow]) -> Any:
        """The windows as a table (p, ws, c, i, lo, hi) built from one bound JSON parameter."""
        if self.db.dialect == "postgresql":
            records = [
                {"c": w.channel_id, "i": w.bucket, "lo": w.start.isoformat(), "hi": w.end.isoformat()}
                for w in windows
            ]
            source = sa.text(
                "SELECT CAST(:p AS text) AS p, CAST(:ws AS text) AS ws, c, i, lo, hi "
                "FROM json_to_recordset(CAST(:windows AS json)) "
                "AS w(c text, i integer, lo timestamptz, hi timestamptz)"
            ).bindparams(p=platform, ws=workspace_id, windows=json.dumps(records))
        else:
            # the text a datetime is stored as on SQLite: string order is time order
            dialect = self.db.engine.dialect
            stored = _D.completed_at.type.dialect_impl(dialect).bind_processor(dialect)
            assert stored is not None
            rows = [
                [platform, workspace_id, w.channel_id, w.bucket, stored(w.start), stored(w.end)]
                for w in windows
            ]
            source = sa.text(
                "SELECT json_extract(value, '$[0]') AS p, json_extract(value, '$[1]') AS ws, "
                "json_extract(value, '$[2]') AS c, json_extract(value, '$[3]') AS i, "
                "json_extract(value, '$[4]') AS lo, json_extract(value, '$[5]') AS hi "
                "FROM json_each(:windows)"
            ).bindparams(windows=json.dumps(rows))
        cols: list[Any] = [sa.column(name) for name in ("p", "ws", "c", "i", "lo", "hi")]
        return source.columns(*cols).subquery("w")

    def _completed_in(self, platform: str, workspace_id: str, w: Any) -> Any:
        """A window's complete deliverables. On SQLite the workspace comes from the windows
        too: compared with constants, it let the planner read the workspace's rows first
        (by any index that starts with it) and the windows inside, one pass per window; from
        the windows, only the (channel, status, completed_at) index can serve, windows first."""
        if self.db.dialect == "postgresql":
            where, ws = _D.platform == platform, _D.workspace_id == workspace_id
        else:
            where, ws = _D.platform == w.c.p, _D.workspace_id == w.c.ws
        return sa.and_(
            where,
            ws,
            _D.channel_id == w.c.c,
            _D.status == _COMPLETE,
            _D.completed_at >= w.c.lo,
            _D.completed_at < w.c.hi,
        )

    async def chartered_channels(
        self, platform: str, workspace_id: str, *, words: str = "", channel_id: str | None = None
    ) -> list[CharteredChannel]:
        c, ch = CharterRow.__table__.c, ChannelRow.__table__.c
        same = sa.and_(
            ch.platform == c.platform, ch.workspace_id == c.workspace_id, ch.channel_id == c.channel_id
        )
        stmt = (
            sa.select(c.data, ch.id, ch.name, ch.is_private, ch.creator_id)
            .select_from(CharterRow.__table__.outerjoin(ChannelRow.__table__, same))
            .where(c.platform == platform, c.workspace_id == workspace_id)
            .order_by(c.id)
        )
        if channel_id is not None:
            stmt = stmt.where(c.channel_id == channel_id)
        words = words.replace("\x00", " ")
        if words.split():
            if self.db.dialect == "postgresql":
                vector: Any = sa.literal_column("charters.search_vector")
                stmt = stmt.where(vector.op("@@")(_tsquery(words)))
            else:
                match = sa.text("SELECT rowid FROM charters_fts WHERE charters_fts MATCH :charter_words")
                stmt = stmt.where(c.id.in_(match.bindparams(charter_words=fts5_query(words))))
        found = []
        for data, row_id, name, is_private, creator in await self.db.read_rows(stmt, {}):
            charter = Charter.model_validate(data)
            info = None
            if row_id is not None:
                info = ChannelInfo(key=charter.channel, name=name, is_private=is_private, creator_id=creator)
            found.append(CharteredChannel(charter=charter, channel=info))
        return found

    async def completed_counts(
        self, platform: str, workspace_id: str, windows: Sequence[CountWindow]
    ) -> dict[tuple[str, int], dict[str, int]]:
        if not windows:
            return {}
        w = self._windows(platform, workspace_id, windows)
        stmt = (
            sa.select(w.c.c, w.c.i, _D.type, sa.func.count())
            .select_from(w.join(DeliverableRow.__table__, self._completed_in(platform, workspace_id, w)))
            .group_by(w.c.c, w.c.i, _D.type)
        )
        counts: dict[tuple[str, int], dict[str, int]] = {}
        for channel_id, index, type_key, n in await self.db.read_rows(stmt, {}):
            counts.setdefault((channel_id, int(index)), {})[type_key] = int(n)
        return counts

    async def deliverables_page(
        self,
        channel: ChannelKey,
        *,
        statuses: Sequence[Status],
        type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        words: str = "",
        limit: int = 200,
    ) -> tuple[list[Deliverable], int]:
        table: Any = DeliverableRow.__table__
        where: list[Any] = [
            _D.platform == channel.platform,
            _D.workspace_id == channel.workspace_id,
            _D.channel_id == channel.channel_id,
            _D.status.in_([str(s) for s in statuses]),
        ]
        if type is not None:
            where.append(_D.type == type)
        if since is not None:
            where.append(_D.created_at >= since)
        if until is not None:
            where.append(_D.created_at < until)
        words = words.replace("\x00", " ")  # no stored text holds one, and FTS5 stops at it
        if words.split():
            if self.db.dialect == "postgresql":
                vector: Any = sa.literal_column("deliverables.search_vector")
                where.append(vector.op("@@")(_tsquery(words)))
            else:
                fts = sa.table("deliverables_fts", sa.column("rowid"))
                table = table.join(fts, fts.c.rowid == _D.id)
                match = sa.text("deliverables_fts MATCH :fts_query")
                where.append(match.bindparams(fts_query=fts5_query(words)))
        # the total comes with the rows: counted before the LIMIT, in the same snapshot
        stmt = (
            sa.select(*[_D[k] for k in DELIVERABLE_COLUMNS], sa.func.count().over().label("total"))
            .select_from(table)
            .where(*where)
            .order_by(_D.created_at.desc(), _D.id.desc())
            .limit(max(1, limit))
        )
        rows = await self.db.read_rows(stmt, {})
        total = int(rows[0].total) if rows else 0
        return [from_columns(channel, r) for r in rows[: max(0, limit)]], total

    async def quarter_facts(
        self,
        platform: str,
        workspace_id: str,
        windows: Sequence[CountWindow],
        *,
        notable: int = 5,
        contributors: int = 10,
    ) -> QuarterFacts:
        """The quarter's complete deliverables are read once, into a CTE that the three
        aggregates share (both databases materialise a CTE used more than once); the few
        notable ones are then read whole by id, on the same read connection."""
        if not windows:
            return QuarterFacts()
        w = self._windows(platform, workspace_id, windows)
        t = TaggingRow.__table__.c
        tags = sa.select(sa.func.count()).where(t.deliverable_id == _D.id).scalar_subquery()
        who = sa.func.coalesce(_D.author_id, _D.tagged_by)
        q = (
            sa.select(_D.id, _D.channel_id, _D.type, who.label("who"), _D.completed_at, tags.label("tags"))
            .select_from(w.join(DeliverableRow.__table__, self._completed_in(platform, workspace_id, w)))
            .cte("quarter")
        )
        # one shape for the three parts: (kind, channel, key, count, rank); a notable row's
        # key is its id as text and its count its id
        by_type = sa.select(
            sa.literal_column(str(_BY_TYPE)).label("kind"),
            q.c.channel_id,
            q.c.type.label("key"),
            sa.func.count().label("n"),
            sa.literal_column("0").label("rank"),
        ).group_by(q.c.channel_id, q.c.type)
        people = (
            sa.select(q.c.channel_id, q.c.who, sa.func.count().label("n"))
            .group_by(q.c.channel_id, q.c.who)
            .subquery("people")
        )
        most = (people.c.n.desc(), people.c.who)
        people_rank = sa.func.row_number().over(partition_by=people.c.channel_id, order_by=most)
        ranked_people = sa.select(people, people_rank.label("rank")).subquery("ranked_people")
        top_people = sa.select(
            sa.literal_column(str(_PERSON)), *[ranked_people.c[k] for k in ("channel_id", "who", "n", "rank")]
        ).where(ranked_people.c.rank <= contributors)
        most_tagged = (q.c.tags.desc(), q.c.completed_at.desc(), q.c.id.desc())
        tag_rank = sa.func.row_number().over(partition_by=q.c.channel_id, order_by=most_tagged)
        ranked = sa.select(q.c.id, q.c.channel_id, tag_rank.label("rank")).subquery("ranked")
        top = sa.select(
            sa.literal_column(str(_NOTABLE)),
            ranked.c.channel_id,
            sa.cast(ranked.c.id, sa.String),
            ranked.c.id,
            ranked.c.rank,
        ).where(ranked.c.rank <= notable)
        produced: dict[str, dict[str, int]] = {}
        people_of: dict[str, list[tuple[int, str, int]]] = {}
        notable_ids: dict[int, tuple[str, int]] = {}  # id → (channel, rank)
        async with self.db.read() as conn:
            for kind, channel_id, k, n, rank in (
                await conn.execute(sa.union_all(by_type, top_people, top))
            ).all():
                if kind == _BY_TYPE:
                    produced.setdefault(channel_id, {})[k] = int(n)
                elif kind == _PERSON:
                    people_of.setdefault(channel_id, []).append((int(rank), k, int(n)))
                else:
                    notable_ids[int(n)] = (channel_id, int(rank))
            rows: Sequence[Any] = ()
            if notable_ids:
                if self.db.dialect == "postgresql":
                    ids = sa.text("SELECT value::bigint FROM json_array_elements_text(CAST(:ids AS json))")
                else:
                    ids = sa.text("SELECT value FROM json_each(:ids)")
                wanted = ids.bindparams(ids=json.dumps(sorted(notable_ids))).columns(sa.column("value"))
                stmt = sa.select(*[_D[k] for k in DELIVERABLE_COLUMNS]).where(_D.id.in_(wanted))
                rows = (await conn.execute(stmt)).all()
        found: dict[str, list[tuple[int, Deliverable]]] = {}
        for r in rows:
            channel_id, rank = notable_ids[r.id]
            key = ChannelKey(platform=platform, workspace_id=workspace_id, channel_id=channel_id)
            found.setdefault(channel_id, []).append((rank, from_columns(key, r)))
        return QuarterFacts(
            produced=produced,
            notable={c: [d for _, d in sorted(items, key=lambda x: x[0])] for c, items in found.items()},
            contributors={c: [(u, n) for _, u, n in sorted(items)] for c, items in people_of.items()},
        )
