"""Messages of the console adapter's simulated workspace (`outputs-bot shell`).

Real platforms keep their own messages; the console keeps them here, so that `#12`
still means the same message after a restart and tagging can read it back.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from bot.platform_ports import ConsoleMessage
from storage.convert import without_nul
from storage.database import Database
from storage.models import ConsoleMessageRow


class ConsoleMessages:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        workspace_id: str,
        channel_id: str,
        user_id: str,
        text: str,
        thread_id: str | None = None,
        at: datetime | None = None,
    ) -> int:
        """Post a message; return its id (what the shell shows as `#12`)."""
        row = ConsoleMessageRow(
            workspace_id=workspace_id,
            channel_id=channel_id,
            user_id=user_id,
            text=without_nul(text),
            thread_id=thread_id,
            deleted=False,
            created_at=at or datetime.now(UTC),
        )
        async with self.db.session() as s, s.begin():
            s.add(row)
            await s.flush()
            return row.id

    async def get(self, message_id: int) -> ConsoleMessage | None:
        async with self.db.read_session() as s, s.begin():
            row = await s.get(ConsoleMessageRow, message_id)
            return ConsoleMessage.model_validate(row) if row else None

    async def edit(self, message_id: int, text: str) -> bool:
        """False when there is no such message, or it was deleted."""
        return await self._update(message_id, text=without_nul(text))

    async def delete(self, message_id: int) -> bool:
        return await self._update(message_id, deleted=True)

    async def max_id(self) -> int:
        async with self.db.read_session() as s, s.begin():
            return int(await s.scalar(sa.select(sa.func.max(ConsoleMessageRow.id))) or 0)

    async def _update(self, message_id: int, **values: object) -> bool:
        m = ConsoleMessageRow
        stmt = (
            sa.update(m)
            .where(m.id == message_id, m.deleted.is_(False))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        async with self.db.session() as s, s.begin():
            return bool((await s.execute(stmt)).rowcount)  # type: ignore[attr-defined]
