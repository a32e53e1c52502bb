"""What the composition root hands every adapter: the engine, the inbox and the ports.

`app.bootstrap.App` is the one implementation; adapters are typed against this Protocol so
that none of them imports the composition root or `storage/` (tests/test_dependency_rule.py).
"""

from __future__ import annotations

from typing import Protocol

from bot.config import Settings
from bot.engine import Engine
from bot.inbox import Classify, Inbox
from bot.platform_ports import ConsoleMessageStore, ConversationStore, PendingFileStore, SlackTokenStore


class Runtime(Protocol):
    # Read-only to the adapters (properties, so that App's concrete stores satisfy them).
    @property
    def settings(self) -> Settings: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def inbox(self) -> Inbox: ...
    @property
    def db_faults(self) -> Classify:
        """Which database failures may pass (retried by the inbox)."""
        ...

    @property
    def conversations(self) -> ConversationStore: ...
    @property
    def pending_files(self) -> PendingFileStore: ...
    @property
    def console_messages(self) -> ConsoleMessageStore: ...

    def slack_tokens(self, client_id: str, key: str) -> SlackTokenStore:
        """Slack OAuth's installations, their tokens sealed with `key`."""
        ...

    async def schema_problem(self) -> str | None:
        """Why the database cannot serve (its schema is behind), or None; raises when the
        database cannot be reached."""
        ...
