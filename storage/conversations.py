"""Conversation references: how the bot reaches a conversation when nobody spoke to it.

Teams lets a bot post only into conversations it has a reference for (the service URL and
the conversation's ids, as the Bot Framework sent them). Each adapter keeps its references
here as plain JSON; the scheduler's poster reads them back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bot.charter import ChannelKey
from bot.platform_ports import ConversationRef
from storage.base import Store
from storage.convert import channel_where
from storage.models import ConversationRefRow


class ConversationRefs(Store):
    async def save(
        self, key: ChannelKey, service_url: str, reference: dict[str, Any], at: datetime | None = None
    ) -> None:
        """Insert or replace the reference of `key` (the latest activity always wins)."""
        values = {"service_url": service_url, "reference": reference, "updated_at": at or datetime.now(UTC)}
        stmt = self.insert(ConversationRefRow).values(**key.model_dump(), **values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "channel_id"], set_=values
        )
        async with self.db.session() as s, s.begin():
            await s.execute(stmt)

    async def get(self, key: ChannelKey) -> ConversationRef | None:
        async with self.db.read_session() as s, s.begin():
            row = await s.scalar(sa.select(ConversationRefRow).where(*channel_where(ConversationRefRow, key)))
            return ConversationRef.model_validate(row) if row else None

    async def list(self, platform: str, workspace_id: str | None = None) -> list[ConversationRef]:
        m = ConversationRefRow
        stmt = sa.select(m).where(m.platform == platform).order_by(m.workspace_id, m.channel_id)
        if workspace_id is not None:
            stmt = stmt.where(m.workspace_id == workspace_id)
        async with self.db.read_session() as s, s.begin():
            return [ConversationRef.model_validate(r) for r in await s.scalars(stmt)]

    async def forget(self, platform: str, workspace_id: str, channel_ids: Iterable[str]) -> int:
        """Delete the references of these channels; return how many there were."""
        ids = list(channel_ids)
        if not ids:
            return 0
        m = ConversationRefRow
        stmt = sa.delete(m).where(
            m.platform == platform, m.workspace_id == workspace_id, m.channel_id.in_(ids)
        )
        async with self.db.session() as s, s.begin():
            return int((await s.execute(stmt)).rowcount)  # type: ignore[attr-defined]
