"""`SqlRepository`: the engine's `bot.ports.Repository` on SQLAlchemy.

Each method is one short transaction. The parts live in their own modules; this one
holds charters, channels and workspaces, and puts the parts together.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from bot.charter import ChannelKey, Charter, CharterVersion
from bot.ports import ChannelInfo, ConflictError, WorkspaceSettings
from storage.base import Store
from storage.convert import channel_where, charter_columns, to_channel, to_charter
from storage.dashboard_sessions import DashboardSessionStore
from storage.deliverables import DeliverableStore
from storage.digests import DigestStore
from storage.directory import DirectoryStore
from storage.models import ChannelRow, CharterRow, CharterVersionRow, WorkspaceRow
from storage.people import PeopleStore
from storage.search import SearchStore

# Built once: every command and every tagging reaction reads a charter, and building the
# expression and an ORM session per read cost more than the query itself.
_CHARTER_DATA = sa.select(CharterRow.data).where(
    CharterRow.platform == sa.bindparam("platform"),
    CharterRow.workspace_id == sa.bindparam("workspace_id"),
    CharterRow.channel_id == sa.bindparam("channel_id"),
)


class CharterStore(Store):
    async def get_charter(self, channel: ChannelKey) -> Charter | None:
        key = {
            "platform": channel.platform,
            "workspace_id": channel.workspace_id,
            "channel_id": channel.channel_id,
        }
        rows = await self.db.read_rows(_CHARTER_DATA, key)  # never queues behind SQLite's writers
        return Charter.model_validate(rows[0][0]) if rows else None

    async def save_charter(self, charter: Charter, by: str, summary: str, at: datetime) -> Charter:
        stored = charter.model_copy(
            update={"version": charter.version + 1, "updated_at": at, "updated_by": by}
        )
        values = charter_columns(stored)
        async with self.db.session() as s, s.begin():
            if charter.version == 0:
                key = stored.channel.model_dump()
                stmt = self.insert(CharterRow).values(**key, **values)
                stmt = stmt.on_conflict_do_nothing(index_elements=["platform", "workspace_id", "channel_id"])
            else:
                # the version test and the write are one statement: no lost update
                stmt = (
                    sa.update(CharterRow)
                    .where(*channel_where(CharterRow, charter.channel))
                    .where(CharterRow.version == charter.version)
                    .values(**values)
                )
            charter_id = await s.scalar(stmt.returning(CharterRow.id))
            if charter_id is None:
                raise ConflictError(
                    f"charter of {charter.channel.channel_id} is no longer at version {charter.version}"
                )
            s.add(
                CharterVersionRow(
                    charter_id=charter_id,
                    version=stored.version,
                    changed_by=by,
                    changed_at=at,
                    summary=summary,
                    snapshot=values["data"],
                )
            )
        return stored

    async def charter_history(self, channel: ChannelKey) -> list[CharterVersion]:
        """Oldest first."""
        stmt = (
            sa.select(CharterVersionRow)
            .join(CharterRow, CharterRow.id == CharterVersionRow.charter_id)
            .where(*channel_where(CharterRow, channel))
            .order_by(CharterVersionRow.version)
        )
        async with self.db.read_session() as s, s.begin():
            rows = (await s.scalars(stmt)).all()
        return [
            CharterVersion(
                version=r.version,
                changed_by=r.changed_by,
                changed_at=r.changed_at,
                summary=r.summary,
                charter=Charter.model_validate(r.snapshot),
            )
            for r in rows
        ]

    async def list_charters(
        self, platform: str | None = None, workspace_id: str | None = None
    ) -> list[Charter]:
        stmt = sa.select(CharterRow).order_by(
            CharterRow.platform, CharterRow.workspace_id, CharterRow.channel_id
        )
        if platform is not None:
            stmt = stmt.where(CharterRow.platform == platform)
        if workspace_id is not None:
            stmt = stmt.where(CharterRow.workspace_id == workspace_id)
        async with self.db.read_session() as s, s.begin():
            return [to_charter(r) for r in await s.scalars(stmt)]


class ChannelStore(Store):
    async def upsert_channel(self, info: ChannelInfo) -> None:
        """Insert or update; an empty name or unknown creator keeps what is stored."""
        stmt = self.insert(ChannelRow).values(
            **info.key.model_dump(),
            name=info.name,
            is_private=info.is_private,
            creator_id=info.creator_id,
        )
        new = stmt.excluded
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "channel_id"],
            set_={
                "name": sa.case((new.name == "", ChannelRow.name), else_=new.name),
                # a failed lookup (privacy not known) never changes what is stored
                "is_private": new.is_private if info.privacy_known else ChannelRow.is_private,
                "creator_id": sa.func.coalesce(new.creator_id, ChannelRow.creator_id),
            },
        )
        async with self.db.session() as s, s.begin():
            await s.execute(stmt)

    async def get_channel(self, channel: ChannelKey) -> ChannelInfo | None:
        async with self.db.read_session() as s, s.begin():
            row = await s.scalar(sa.select(ChannelRow).where(*channel_where(ChannelRow, channel)))
            return to_channel(row) if row else None

    async def list_channels(self, platform: str, workspace_id: str) -> list[ChannelInfo]:
        stmt = (
            sa.select(ChannelRow)
            .where(ChannelRow.platform == platform, ChannelRow.workspace_id == workspace_id)
            .order_by(ChannelRow.name, ChannelRow.channel_id)
        )
        async with self.db.read_session() as s, s.begin():
            return [to_channel(r) for r in await s.scalars(stmt)]

    async def get_workspace(self, platform: str, workspace_id: str) -> WorkspaceSettings:
        stmt = sa.select(WorkspaceRow.rollup_channel_id).where(
            WorkspaceRow.platform == platform, WorkspaceRow.workspace_id == workspace_id
        )
        async with self.db.read_session() as s, s.begin():
            rollup = await s.scalar(stmt)
        return WorkspaceSettings(platform=platform, workspace_id=workspace_id, rollup_channel_id=rollup)

    async def set_rollup_channel(self, platform: str, workspace_id: str, channel_id: str | None) -> None:
        stmt = self.insert(WorkspaceRow).values(
            platform=platform, workspace_id=workspace_id, rollup_channel_id=channel_id
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id"],
            set_={"rollup_channel_id": stmt.excluded.rollup_channel_id},
        )
        async with self.db.session() as s, s.begin():
            await s.execute(stmt)


class SqlRepository(
    CharterStore,
    ChannelStore,
    DeliverableStore,
    SearchStore,
    DigestStore,
    PeopleStore,
    DashboardSessionStore,
    DirectoryStore,
):
    """Implements `bot.ports.Repository`; `db` stays reachable for the console store."""
