"""What the engine needs from the outside world, as small Protocols.

The engine is handed these; `storage/` implements `Repository` with SQLAlchemy, each
adapter implements `Gateway` for its platform, and tests use the real SQLite repository
with recording fakes for the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from bot.charter import ChannelKey, Charter, CharterVersion
from bot.deliverable import Deliverable, NewDeliverable, Status


class ConflictError(Exception):
    """The charter changed since it was read; the caller reads again and retries."""


class ChannelInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: ChannelKey
    name: str = ""
    is_private: bool = False
    creator_id: str | None = None
    # False when the platform could not be asked (a failed lookup): `is_private` is then
    # True (SPEC rule 12: not knowing means private), and what is stored is never changed
    # by it; a new channel is stored as private until a lookup succeeds.
    privacy_known: bool = True


class WorkspaceSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    platform: str
    workspace_id: str
    rollup_channel_id: str | None = None


class SearchHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    deliverable: Deliverable
    channel_is_private: bool
    channel_name: str
    rank: float


class DigestFacts(BaseModel):
    """Everything a channel digest needs, fetched in one statement (one snapshot).

    `bucket_counts[type][i]` counts complete deliverables with `bounds[i] <= completed_at
    < bounds[i+1]`; the last bucket is the digest's period. `month_counts[type]` counts
    those with `month_start <= completed_at < bounds[-1]`. `current` holds the period's
    complete deliverables (oldest first). `drafts` holds the newest `max_drafts` drafts
    (of `draft_types`, when given) created before the end, oldest first, and `draft_count`
    how many such drafts there are in all. `channel_name` is the stored name ("" if none).
    """

    model_config = ConfigDict(frozen=True)

    bucket_counts: dict[str, list[int]]
    month_counts: dict[str, int]
    current: list[Deliverable]
    drafts: list[Deliverable]
    draft_count: int = 0
    channel_name: str = ""


class DigestRun(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: ChannelKey
    period_start: datetime
    period_end: datetime
    status: str  # claimed | sent | failed
    claimed_at: datetime
    sent_at: datetime | None = None
    message_id: str | None = None
    error: str | None = None
    late: bool = False


class PersonLanguage(BaseModel):
    """A person's language: `chosen` by them (`language me fr`), or their platform's locale."""

    model_config = ConfigDict(frozen=True)

    language: str
    chosen: bool = False


class CharteredChannel(BaseModel):
    """A charter with its channel's stored facts (`channel` None: no row was ever stored)."""

    model_config = ConfigDict(frozen=True)

    charter: Charter
    channel: ChannelInfo | None = None


class CountWindow(NamedTuple):
    """A span of one channel to count complete deliverables in: `start <= completed_at < end`.
    `bucket` tells the caller's windows of a channel apart (a period, a month, a quarter)."""

    channel_id: str
    bucket: int
    start: datetime
    end: datetime


class QuarterFacts(BaseModel):
    """What a quarter report reads, per channel id (see `Repository.quarter_facts`)."""

    model_config = ConfigDict(frozen=True)

    produced: dict[str, dict[str, int]] = {}  # type → complete deliverables
    notable: dict[str, list[Deliverable]] = {}  # most taggings first, then newest
    contributors: dict[str, list[tuple[str, int]]] = {}  # (user id, count), most first


class Repository(Protocol):
    """Everything the engine reads and writes. Every method is one short transaction."""

    # charters
    async def get_charter(self, channel: ChannelKey) -> Charter | None: ...
    async def save_charter(self, charter: Charter, by: str, summary: str, at: datetime) -> Charter:
        """Store `charter` as version `charter.version + 1` and keep the old one in history.

        Raises ConflictError when the stored version is not `charter.version`.
        """
        ...

    async def charter_history(self, channel: ChannelKey) -> list[CharterVersion]: ...
    async def list_charters(
        self, platform: str | None = None, workspace_id: str | None = None
    ) -> list[Charter]: ...

    # channels and workspaces
    async def upsert_channel(self, info: ChannelInfo) -> None: ...
    async def get_channel(self, channel: ChannelKey) -> ChannelInfo | None: ...
    async def list_channels(self, platform: str, workspace_id: str) -> list[ChannelInfo]: ...
    async def get_workspace(self, platform: str, workspace_id: str) -> WorkspaceSettings: ...
    async def set_rollup_channel(self, platform: str, workspace_id: str, channel_id: str | None) -> None: ...

    # deliverables
    async def capture(self, new: NewDeliverable, emoji: str | None = None) -> tuple[Deliverable, bool]:
        """Insert unless (channel, message_id, type) exists; return the row and whether it is new.

        With `emoji`, also record `new.tagged_by`'s tagging (as `add_tagging` does) in the
        same transaction. Safe under concurrency: any number of identical calls give one
        row and no error.
        """
        ...

    async def get_deliverable(self, deliverable_id: int) -> Deliverable | None: ...
    async def by_message(self, channel: ChannelKey, message_id: str) -> list[Deliverable]: ...
    async def update_deliverable(self, deliverable_id: int, **changes: Any) -> Deliverable: ...
    async def list_deliverables(
        self,
        channel: ChannelKey,
        *,
        type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        statuses: Sequence[Status] | None = None,
        limit: int | None = None,
    ) -> list[Deliverable]:
        """Newest first; `since`/`until` bound `created_at`."""
        ...

    async def drafts_of(self, platform: str, workspace_id: str, user_id: str) -> list[Deliverable]: ...
    async def recent_of(
        self, platform: str, workspace_id: str, user_id: str, limit: int = 10
    ) -> list[Deliverable]:
        """Complete deliverables `user_id` authored or tagged in one workspace, newest first."""
        ...

    async def export_size(
        self,
        platform: str | None = None,
        workspace_id: str | None = None,
        channel_id: str | None = None,
        since: datetime | None = None,
    ) -> int:
        """How many deliverables `export_batches` gives with the same filters."""
        ...

    def export_batches(
        self,
        platform: str | None = None,
        workspace_id: str | None = None,
        channel_id: str | None = None,
        since: datetime | None = None,
        *,
        newest: int | None = None,
        batch_size: int = ...,
    ) -> AsyncIterator[list[Deliverable]]:
        """Every status, oldest first, a short list at a time (an export never holds them
        all); `since` bounds `created_at`; `newest`: only the newest that many. Each list is
        one read of its own: nothing is locked or held open between them."""
        ...

    async def search(self, platform: str, workspace_id: str, words: str, limit: int = 20) -> list[SearchHit]:
        """Ranked full-text search within one workspace (withdrawn/deleted excluded)."""
        ...

    async def digest_facts(
        self,
        channel: ChannelKey,
        bounds: Sequence[datetime],
        month_start: datetime,
        *,
        draft_types: Sequence[str] | None = None,
        max_drafts: int | None = None,
    ) -> DigestFacts:
        """What one channel digest reads, in one read-only statement (see DigestFacts).

        `draft_types` limits the drafts (listed and counted) to those types; `max_drafts`
        caps how many are listed (None: all). One statement, whatever the history.
        """
        ...

    # who tagged a deliverable (rule 4)
    async def add_tagging(self, deliverable_id: int, user_id: str, via: str, emoji: str) -> bool: ...
    async def remove_tagging(self, deliverable_id: int, user_id: str, emoji: str) -> int:
        """Remove one tagging; return how many taggings of any kind remain."""
        ...

    # people's languages (SPEC: a reply to one person is in that person's language)
    async def get_language(self, platform: str, workspace_id: str, user_id: str) -> PersonLanguage | None: ...
    async def set_language(
        self, platform: str, workspace_id: str, user_id: str, language: str, *, chosen: bool, at: datetime
    ) -> None:
        """Store a person's language. A platform locale (`chosen=False`) never replaces a
        language the person chose."""
        ...

    async def languages_of(self, platform: str, workspace_id: str, user_ids: Sequence[str]) -> dict[str, str]:
        """The stored language of each of `user_ids` that has one."""
        ...

    # at-most-once markers (welcome messages, nudges)
    async def claim_once(self, kind: str, channel: ChannelKey, subject: str, period: str) -> bool: ...

    # digest runs: one per (channel, period end)
    async def claim_digest(
        self,
        channel: ChannelKey,
        period_start: datetime,
        period_end: datetime,
        now: datetime,
        lease_seconds: int,
        late: bool = False,
    ) -> bool: ...
    async def finish_digest(
        self,
        channel: ChannelKey,
        period_end: datetime,
        *,
        status: str,
        at: datetime,
        message_id: str | None = None,
        error: str | None = None,
    ) -> None: ...
    async def last_digest_ends(self, live_after: datetime | None = None) -> dict[ChannelKey, datetime]:
        """Per channel, the newest period end that has a digest run (sent, failed or claimed).

        With `live_after`, a run still `claimed` at or before that time (a dead replica's
        lease) does not count. One aggregate statement, whatever the history.
        """
        ...

    async def digest_runs(
        self, platform: str | None = None, workspace_id: str | None = None
    ) -> list[DigestRun]: ...

    # the web dashboard's sign-in links and sessions (bot/signin.py), by their token's hash
    async def add_dashboard_link(self, token_hash: str, grant: DashboardGrant, at: datetime) -> None:
        """Keep a link; expired links and sessions are deleted on the way."""
        ...

    async def exchange_dashboard_link(
        self, link_hash: str, session_hash: str, at: datetime, session_expires: datetime
    ) -> DashboardGrant | None:
        """Use a link once, if unused and unexpired at `at`, and start a session for its
        person: one transaction, so two concurrent opens start one session between them."""
        ...

    async def get_dashboard_session(self, token_hash: str, at: datetime) -> DashboardGrant | None: ...
    async def delete_dashboard_session(self, token_hash: str) -> bool: ...

    # directory and dashboard: a bounded number of statements, whatever the number of channels
    async def chartered_channels(
        self, platform: str, workspace_id: str, *, words: str = "", channel_id: str | None = None
    ) -> list[CharteredChannel]:
        """Every charter of one workspace with its channel's stored facts, in one statement.

        `words`: only charters whose purpose or types' keys, labels or descriptions hold all
        of them (full text); `channel_id`: that channel's only."""
        ...

    async def completed_counts(
        self, platform: str, workspace_id: str, windows: Sequence[CountWindow]
    ) -> dict[tuple[str, int], dict[str, int]]:
        """(channel id, bucket) → type → complete deliverables in that window; windows
        with none are left out. One statement, however many windows and channels."""
        ...

    async def deliverables_page(
        self,
        channel: ChannelKey,
        *,
        statuses: Sequence[Status],
        type: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        words: str = "",
        limit: int = 200,
    ) -> tuple[list[Deliverable], int]:
        """Newest first, at most `limit`, and how many match in all; `since`/`until` bound
        `created_at`; `words`: full text, as `search`. One statement."""
        ...

    async def quarter_facts(
        self,
        platform: str,
        workspace_id: str,
        windows: Sequence[CountWindow],
        *,
        notable: int = 5,
        contributors: int = 10,
    ) -> QuarterFacts:
        """Per channel, over its window (one per channel): the complete deliverables
        completed in it per type, the `notable` most tagged (then newest), and the
        `contributors` who authored most (the tagger when no author is known; ties by user
        id). The window's rows are read once, whatever the number of channels."""
        ...


class MessageSnapshot(BaseModel):
    """A platform message as it is now: what capture records."""

    model_config = ConfigDict(frozen=True)

    message_id: str
    text: str
    author_id: str | None
    permalink: str | None = None
    thread_id: str | None = None
    is_bot: bool = False


class Gateway(Protocol):
    """What the engine may ask the platform the event came from."""

    async def fetch_message(self, channel: ChannelKey, message_id: str) -> MessageSnapshot | None: ...
    async def is_member(self, channel: ChannelKey, user_id: str) -> bool: ...


@runtime_checkable
class EmojiSource(Protocol):
    """A gateway on a platform where a workspace has its own emoji (Slack)."""

    async def custom_emoji(self, workspace_id: str) -> frozenset[str] | None:
        """The workspace's custom emoji names (aliases included), or None when they could
        not be read just now."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware UTC datetime."""
        ...


class DashboardGrant(BaseModel):
    """Who a dashboard link or session is for, and the private channels they were a member
    of when they asked for the link (docs/rules.md: the membership snapshot)."""

    model_config = ConfigDict(frozen=True)

    platform: str
    workspace_id: str
    user_id: str
    language: str
    private_channels: frozenset[str] = frozenset()
    expires_at: datetime
