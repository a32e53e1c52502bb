"""People's languages: one row per person and workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from bot.ports import PersonLanguage
from storage.base import Store
from storage.models import PersonRow


class PeopleStore(Store):
    async def get_language(self, platform: str, workspace_id: str, user_id: str) -> PersonLanguage | None:
        stmt = sa.select(PersonRow.language, PersonRow.chosen).where(
            PersonRow.platform == platform,
            PersonRow.workspace_id == workspace_id,
            PersonRow.user_id == user_id,
        )
        async with self.db.read_session() as s, s.begin():
            row = (await s.execute(stmt)).first()
        return PersonLanguage(language=row.language, chosen=row.chosen) if row else None

    async def set_language(
        self, platform: str, workspace_id: str, user_id: str, language: str, *, chosen: bool, at: datetime
    ) -> None:
        stmt = self.insert(PersonRow).values(
            platform=platform,
            workspace_id=workspace_id,
            user_id=user_id,
            language=language,
            chosen=chosen,
            updated_at=at,
        )
        new = stmt.excluded
        # the platform's locale never overrides what the person chose, whichever write lands last
        where = None if chosen else PersonRow.chosen.is_(False)
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "workspace_id", "user_id"],
            set_={"language": new.language, "chosen": new.chosen, "updated_at": new.updated_at},
            where=where,
        )
        async with self.db.session() as s, s.begin():
            await s.execute(stmt)

    async def languages_of(self, platform: str, workspace_id: str, user_ids: Sequence[str]) -> dict[str, str]:
        if not user_ids:
            return {}
        stmt = sa.select(PersonRow.user_id, PersonRow.language).where(
            PersonRow.platform == platform,
            PersonRow.workspace_id == workspace_id,
            PersonRow.user_id.in_(sorted(set(user_ids))),
        )
        async with self.db.read_session() as s, s.begin():
            return {row.user_id: row.language for row in await s.execute(stmt)}
