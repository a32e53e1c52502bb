"""The web dashboard's sign-in links and sessions (the engine side is bot/signin.py).

Rows are found by the SHA-256 of their token, never by the token: a copy of the database
opens no dashboard. A link is used by one UPDATE that also checks it is unused and
unexpired, in the transaction that starts the session, so a link opened twice at once
starts one session.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.ports import DashboardGrant
from storage.base import Store
from storage.models import DashboardLinkRow, DashboardSessionRow

_LINKS = DashboardLinkRow.__table__
_SESSIONS = DashboardSessionRow.__table__
_PERSON = ("platform", "workspace_id", "user_id", "language", "private_channels", "expires_at")

_SESSION_BY_HASH = sa.select(*(_SESSIONS.c[name] for name in _PERSON)).where(
    _SESSIONS.c.token_hash == sa.bindparam("token_hash"),
    _SESSIONS.c.expires_at > sa.bindparam("at"),
)


def _values(grant: DashboardGrant) -> dict[str, Any]:
    return {
        "platform": grant.platform,
        "workspace_id": grant.workspace_id,
        "user_id": grant.user_id,
        "language": grant.language,
        # sorted: the same snapshot is the same JSON
        "private_channels": sorted(grant.private_channels),
        "expires_at": grant.expires_at,
    }


def _grant(row: Any) -> DashboardGrant:
    m = row._mapping
    return DashboardGrant(
        platform=m["platform"],
        workspace_id=m["workspace_id"],
        user_id=m["user_id"],
        language=m["language"],
        private_channels=frozenset(m["private_channels"] or ()),
        expires_at=m["expires_at"],
    )


class DashboardSessionStore(Store):
    async def add_dashboard_link(self, token_hash: str, grant: DashboardGrant, at: datetime) -> None:
        async with self.db.write() as conn:
            # asking for links is rare and expired rows are useless: sweeping here needs no job
            await conn.execute(sa.delete(DashboardLinkRow).where(DashboardLinkRow.expires_at <= at))
            await conn.execute(sa.delete(DashboardSessionRow).where(DashboardSessionRow.expires_at <= at))
            await conn.execute(
                sa.insert(DashboardLinkRow).values(token_hash=token_hash, created_at=at, **_values(grant))
            )

    async def exchange_dashboard_link(
        self, link_hash: str, session_hash: str, at: datetime, session_expires: datetime
    ) -> DashboardGrant | None:
        m = DashboardLinkRow
        use = (
            sa.update(m)
            .where(m.token_hash == link_hash, m.used_at.is_(None), m.expires_at > at)
            .values(used_at=at)
            .returning(*(m.__table__.c[name] for name in _PERSON))
        )
        async with self.db.write() as conn:
            row = (await conn.execute(use)).first()
            if row is None:
                return None
            link = _grant(row)
            grant = link.model_copy(update={"expires_at": session_expires})
            await conn.execute(
                sa.insert(DashboardSessionRow).values(
                    token_hash=session_hash, created_at=at, **_values(grant)
                )
            )
        return grant

    async def get_dashboard_session(self, token_hash: str, at: datetime) -> DashboardGrant | None:
        rows = await self.db.read_rows(_SESSION_BY_HASH, {"token_hash": token_hash, "at": at})
        return _grant(rows[0]) if rows else None

    async def delete_dashboard_session(self, token_hash: str) -> bool:
        m = DashboardSessionRow
        async with self.db.write() as conn:
            result = await conn.execute(sa.delete(m).where(m.token_hash == token_hash))
        return bool(result.rowcount)  # type: ignore[attr-defined]
