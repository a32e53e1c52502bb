"""What the platform adapters keep in the project's database, as ports.

The engine's own needs are in `bot.ports`. These are the adapters' (a Teams conversation
reference, a file waiting for consent, the console's messages, Slack's stored tokens):
declared here so that `adapters/` never imports `storage/`; the composition root (`app/`)
hands each adapter the storage that implements them.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from bot.charter import ChannelKey


class ConversationRef(BaseModel):
    """How a bot reaches a conversation when nobody spoke to it (Teams)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    platform: str
    workspace_id: str
    channel_id: str
    service_url: str
    reference: dict[str, Any]
    updated_at: datetime


class ConversationStore(Protocol):
    async def save(
        self, key: ChannelKey, service_url: str, reference: dict[str, Any], at: datetime | None = None
    ) -> None:
        """Insert or replace the reference of `key` (the latest activity always wins)."""
        ...

    async def get(self, key: ChannelKey) -> ConversationRef | None: ...
    async def list(self, platform: str, workspace_id: str | None = None) -> list[ConversationRef]: ...
    async def forget(self, platform: str, workspace_id: str, channel_ids: Iterable[str]) -> int:
        """Delete the references of these channels; return how many there were."""
        ...


class PendingFile(BaseModel):
    """A file offered to one person, waiting for their consent (Teams' file consent card)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    token: str
    platform: str
    workspace_id: str
    user_id: str
    filename: str
    content: str
    created_at: datetime

    @property
    def data(self) -> bytes:
        return self.content.encode("utf-8")


class PendingFileStore(Protocol):
    async def add(
        self,
        platform: str,
        workspace_id: str,
        user_id: str,
        filename: str,
        content: str,
        at: datetime | None = None,
    ) -> str:
        """Keep a file for `user_id`; return the random token that finds it again."""
        ...

    async def get(self, token: str, at: datetime | None = None) -> PendingFile | None: ...
    async def delete(self, token: str) -> bool:
        """Forget the file of `token`; False when it was already gone (used elsewhere)."""
        ...

    async def sweep(self, at: datetime | None = None) -> int: ...


class ConsoleMessage(BaseModel):
    """A message of the console's simulated workspace (`outputs-bot shell`)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    workspace_id: str
    channel_id: str
    user_id: str
    text: str
    thread_id: str | None = None
    deleted: bool = False
    created_at: datetime


class ConsoleMessageStore(Protocol):
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
        ...

    async def get(self, message_id: int) -> ConsoleMessage | None: ...
    async def edit(self, message_id: int, text: str) -> bool: ...
    async def delete(self, message_id: int) -> bool: ...
    async def max_id(self) -> int: ...


class SlackTokenStore(Protocol):
    """Slack OAuth's stored installations, with their tokens encrypted at rest.

    `installations` and `oauth_states(…)` are slack-sdk's `AsyncInstallationStore` and
    `AsyncOAuthStateStore` (typed loosely here: the engine's package knows no SDK).
    """

    installations: Any
    # Set while a lookup found a workspace whose tokens no longer open with the key: the
    # store has just warned about it, so bolt's own ERROR for that request is redundant.
    unopened: ContextVar[str | None]

    def oauth_states(self, expiration_seconds: int) -> Any: ...
    async def enterprise_of(self, workspace_id: str) -> str | None: ...
