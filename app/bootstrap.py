"""The one wiring place: settings → storage → engine → adapters.

Storage is reached through our own `storage` package; nothing here imports a platform SDK
or SQLAlchemy directly, and nothing connects at import time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.context import EngineSettings
from bot.engine import Engine
from bot.inbox import Classify, Inbox, InboxPolicy
from bot.ports import Clock
from storage import faults
from storage.console_store import ConsoleMessages
from storage.conversations import ConversationRefs
from storage.database import Database, SchemaBehind, ensure_current
from storage.inbox import SqlInbox
from storage.pending_files import PendingFiles
from storage.repository import SqlRepository
from storage.slack_tokens import SlackTokens


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
        public_url=settings.server.public_url,
    )


POOL_BESIDE_WORKERS = 4


def inbox_policy(settings: Settings) -> InboxPolicy:
    s = settings.inbox
    return InboxPolicy(
        workers=s.workers,
        horizon=timedelta(seconds=s.retry_horizon_seconds),
        lease=timedelta(seconds=s.lease_seconds),
        keep_done=timedelta(days=s.keep_done_days),
        accept_timeout=s.accept_timeout_seconds,
        poll=s.poll_seconds,
    )


@dataclass
class App:
    settings: Settings
    db: Database
    repo: SqlRepository
    engine: Engine
    inbox: Inbox
    conversations: ConversationRefs
    pending_files: PendingFiles
    console_messages: ConsoleMessages
    db_faults: Classify = faults.classify  # which database failures may pass

    def slack_tokens(self, client_id: str, key: str) -> SlackTokens:
        return SlackTokens(self.db, client_id, key)

    async def schema_problem(self) -> str | None:
        try:
            await ensure_current(self.db)
        except SchemaBehind as exc:
            return str(exc)
        return None

    async def close(self) -> None:
        await self.db.dispose()


async def build(
    settings: Settings, clock: Clock | None = None, *, url: str | None = None, check_schema: bool = True
) -> App:
    """Open the database (refusing one that is behind) and build the engine on it."""
    # The workers each hold at most one connection at a time; beside them the claimer, the
    # requests being kept, the scheduler and the health check need one each.
    db = Database(url or settings.database.url, pool_size=settings.inbox.workers + POOL_BESIDE_WORKERS)
    if check_schema:
        try:
            await ensure_current(db)
        except BaseException:
            await db.dispose()
            raise
    return assemble(settings, db, clock)


def assemble(settings: Settings, db: Database, clock: Clock | None = None) -> App:
    """The engine and the inbox on an open database."""
    repo = SqlRepository(db)
    clock = clock or SystemClock()
    engine = Engine(repo, clock, engine_settings(settings))
    policy = inbox_policy(settings)
    store = SqlInbox(db, accept_busy_ms=int(policy.accept_timeout * 1000))
    return App(
        settings,
        db,
        repo,
        engine,
        Inbox(store, clock, policy),
        ConversationRefs(db),
        PendingFiles(db),
        ConsoleMessages(db),
    )
