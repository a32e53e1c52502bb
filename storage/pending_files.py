"""Files offered to one person and waiting for their consent (Teams' file consent card).

A Teams bot can send a file only after the person accepts a consent card, which may be
minutes later, after a restart, on another replica. The file waits here, found again by a
random token: the card carries nothing else. A file is deleted once it is used, and
files older than `MAX_AGE` are neither returned nor kept (each new one sweeps them away).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bot.platform_ports import PendingFile
from storage.base import Store
from storage.models import PendingFileRow

MAX_AGE = timedelta(hours=24)
TOKEN_BYTES = 24  # 32 URL-safe characters: unguessable, and short enough for a card

_TABLE = PendingFileRow.__table__
_BY_TOKEN = sa.select(_TABLE).where(_TABLE.c.token == sa.bindparam("token"))


def _now(at: datetime | None) -> datetime:
    return at or datetime.now(UTC)


class PendingFiles(Store):
    async def add(
        self,
        platform: str,
        workspace_id: str,
        user_id: str,
        filename: str,
        content: str,
        at: datetime | None = None,
    ) -> str:
        """Keep a file for `user_id`; return its token. Expired files are deleted on the way."""
        now = _now(at)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        m = PendingFileRow
        async with self.db.write() as conn:
            await conn.execute(sa.delete(m).where(m.created_at < now - MAX_AGE))
            await conn.execute(
                sa.insert(m).values(
                    token=token,
                    platform=platform,
                    workspace_id=workspace_id,
                    user_id=user_id,
                    filename=filename[:255],
                    content=content,
                    created_at=now,
                )
            )
        return token

    async def get(self, token: str, at: datetime | None = None) -> PendingFile | None:
        """The file of `token`, or None when there is none or it is older than `MAX_AGE`."""
        if not token:
            return None
        rows = await self.db.read_rows(_BY_TOKEN, {"token": token})
        if not rows:
            return None
        found = PendingFile.model_validate(rows[0])
        return found if found.created_at >= _now(at) - MAX_AGE else None

    async def delete(self, token: str) -> bool:
        """Forget the file of `token`; False when it was already gone (used elsewhere)."""
        m = PendingFileRow
        async with self.db.write() as conn:
            result = await conn.execute(sa.delete(m).where(m.token == token))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def sweep(self, at: datetime | None = None) -> int:
        """Delete every file older than `MAX_AGE`; return how many there were."""
        m = PendingFileRow
        async with self.db.write() as conn:
            result = await conn.execute(sa.delete(m).where(m.created_at < _now(at) - MAX_AGE))
        return int(result.rowcount)  # type: ignore[attr-defined]
