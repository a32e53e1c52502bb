"""The one wiring place: settings → storage → engine → adapters.

Storage is reached through our own `storage` package; nothing here imports a platform SDK
or SQLAlchemy directly, and nothing connects at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.config import Settings
from bot.context import EngineSettings
from bot.engine import Engine
from bot.ports import Clock
from storage.database import Database, ensure_current
from storage.repository import SqlRepository


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def engine_settings(settings: Settings, prefix: str = "/outputs") -> EngineSettings:
    return EngineSettings(
        admins=frozenset(settings.access.admins),
        default_timezone=settings.defaults.timezone,
        default_language=settings.defaults.language,
        default_schedule=settings.defaults.schedule_value(),
        max_items=settings.digest.max_items,
        sparkline_periods=settings.digest.sparkline_periods,
        command_prefix=prefix,
    )


@dataclass
class App:
    settings: Settings
    db: Database
    repo: SqlRepository
    engine: Engine

    async def close(self) -> None:
        await self.db.dispose()


async def build(
    settings: Settings, clock: Clock | None = None, *, url: str | None = None, check_schema: bool = True
) -> App:
    """Open the database (refusing one that is behind) and build the engine on it."""
    db = Database(url or settings.database.url)
    if check_schema:
        try:
            await ensure_current(db)
        except BaseException:
            await db.dispose()
            raise
    repo = SqlRepository(db)
    engine = Engine(repo, clock or SystemClock(), engine_settings(settings))
    return App(settings, db, repo, engine)
