"""The tables. Migrations create them; these classes only describe them to SQLAlchemy.

Search plumbing (SQLite's FTS5 table and triggers, PostgreSQL's generated tsvector column
and its GIN index) lives only in the migrations: it differs per dialect and the ORM never
reads it. `migrations/filters.py` hides it from the models-vs-migrations comparison.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.coltypes import UTCDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: sa.JSON()}


class CharterRow(Base):
    """The charter stored whole as JSON; the other columns exist to be queried."""

    __tablename__ = "charters"
    __table_args__ = (
        sa.UniqueConstraint("platform", "workspace_id", "channel_id", name="uq_charters_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    channel_id: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]]
    version: Mapped[int]
    timezone: Mapped[str] = mapped_column(sa.String(64))
    schedule_weekday: Mapped[int | None]
    schedule_time: Mapped[time | None]
    paused_until: Mapped[date | None]
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(sa.String(64))


class CharterVersionRow(Base):
    __tablename__ = "charter_versions"
    __table_args__ = (sa.UniqueConstraint("charter_id", "version", name="uq_charter_versions_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charter_id: Mapped[int] = mapped_column(sa.ForeignKey("charters.id", ondelete="CASCADE"))
    version: Mapped[int]
    changed_by: Mapped[str] = mapped_column(sa.String(64))
    changed_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(sa.Text)
    snapshot: Mapped[dict[str, Any]]


class ChannelRow(Base):
    __tablename__ = "channels"
    __table_args__ = (
        sa.UniqueConstraint("platform", "workspace_id", "channel_id", name="uq_channels_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    channel_id: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(255))
    is_private: Mapped[bool]
    creator_id: Mapped[str | None] = mapped_column(sa.String(64))


class WorkspaceRow(Base):
    __tablename__ = "workspaces"
    __table_args__ = (sa.UniqueConstraint("platform", "workspace_id", name="uq_workspaces_workspace"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    rollup_channel_id: Mapped[str | None] = mapped_column(sa.String(64))


class DeliverableRow(Base):
    __tablename__ = "deliverables"
    __table_args__ = (
        # NULL message ids never collide: `deliver` commands have no source message.
        sa.UniqueConstraint(
            "platform",
            "workspace_id",
            "channel_id",
            "message_id",
            "type",
            name="uq_deliverables_message_type",
        ),
        # digests: the complete deliverables of one channel, by completed_at
        sa.Index(
            "ix_deliverables_channel_status_completed",
            "platform",
            "workspace_id",
            "channel_id",
            "status",
            "completed_at",
        ),
        # drafts of one channel (digests): without it, SQLite reads the channel's history
        sa.Index(
            "ix_deliverables_channel_status_created",
            "platform",
            "workspace_id",
            "channel_id",
            "status",
            "created_at",
        ),
        # list and per-channel export, newest first
        sa.Index("ix_deliverables_channel_created", "platform", "workspace_id", "channel_id", "created_at"),
        # `drafts`: one user's drafts in a workspace, oldest first
        sa.Index(
            "ix_deliverables_tagger_status", "platform", "workspace_id", "tagged_by", "status", "created_at"
        ),
        sa.Index("ix_deliverables_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    channel_id: Mapped[str] = mapped_column(sa.String(64))
    type: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[str | None] = mapped_column(sa.String(64))
    tagged_by: Mapped[str] = mapped_column(sa.String(64))
    via: Mapped[str] = mapped_column(sa.String(16))
    permalink: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[str | None] = mapped_column(sa.String(128))
    thread_id: Mapped[str | None] = mapped_column(sa.String(128))
    fields: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class TaggingRow(Base):
    __tablename__ = "taggings"
    __table_args__ = (sa.UniqueConstraint("deliverable_id", "user_id", "emoji", name="uq_taggings_tagging"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(sa.ForeignKey("deliverables.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(sa.String(64))
    via: Mapped[str] = mapped_column(sa.String(16))
    # '' for taggings without a reaction: NULL would defeat the unique constraint
    emoji: Mapped[str] = mapped_column(sa.String(64))


class OnceMarkerRow(Base):
    __tablename__ = "once_markers"
    __table_args__ = (
        sa.UniqueConstraint(
            "kind",
            "platform",
            "workspace_id",
            "channel_id",
            "subject",
            "period",
            name="uq_once_markers_marker",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    channel_id: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(128))
    period: Mapped[str] = mapped_column(sa.String(64))


class DigestRunRow(Base):
    __tablename__ = "digest_runs"
    __table_args__ = (
        sa.UniqueConstraint(
            "platform", "workspace_id", "channel_id", "period_end", name="uq_digest_runs_period"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    channel_id: Mapped[str] = mapped_column(sa.String(64))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    status: Mapped[str] = mapped_column(sa.String(16))
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(sa.String(128))
    error: Mapped[str | None] = mapped_column(sa.Text)
    late: Mapped[bool]


class ConsoleMessageRow(Base):
    """Messages of the `outputs-bot shell` simulated workspace."""

    __tablename__ = "console_messages"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    channel_id: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[str] = mapped_column(sa.String(64))
    text: Mapped[str] = mapped_column(sa.Text)
    thread_id: Mapped[str | None] = mapped_column(sa.String(128))
    deleted: Mapped[bool]
    created_at: Mapped[datetime]


class ConversationRefRow(Base):
    """How to reach a channel proactively (Teams: the conversation reference and service URL).

    Written when the bot is installed or hears from a conversation; the scheduler reads it to
    post digests and nudges there; removed when the bot is removed.
    """

    __tablename__ = "conversation_refs"
    __table_args__ = (
        sa.UniqueConstraint("platform", "workspace_id", "channel_id", name="uq_conversation_refs_channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    channel_id: Mapped[str] = mapped_column(sa.String(256))
    service_url: Mapped[str] = mapped_column(sa.String(512))
    reference: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class PendingFileRow(Base):
    """A file offered to one person and not yet accepted (Teams: the file consent card).

    Teams sends a bot's file only once the person accepts its consent card, minutes later
    and maybe on another replica, so the content waits here under a random token (the only
    thing the card carries). Deleted once used; rows older than a day are deleted too.
    """

    __tablename__ = "pending_files"
    __table_args__ = (
        sa.UniqueConstraint("token", name="uq_pending_files_token"),
        sa.Index("ix_pending_files_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(sa.String(64))
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(255))
    content: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime]


WAITING = sa.text("status IN ('pending', 'running')")
FAILED = sa.text("status = 'failed'")


class InboxRow(Base):
    """A request the bot acknowledged, until it is worked (see bot/inbox.py)."""

    __tablename__ = "inbox"
    __table_args__ = (
        sa.UniqueConstraint("identity", name="uq_inbox_identity"),
        sa.Index("ix_inbox_finished_at", "finished_at"),
        # Only the unfinished entries, which every claim reads in id order: a few rows,
        # however many finished ones are kept (storage/inbox.py spells the WHERE the same
        # way). No index on status alone: SQLite's planner would take it for the claim and
        # sort every waiting entry (migration 0008).
        sa.Index("ix_inbox_waiting", "id", "not_before", postgresql_where=WAITING, sqlite_where=WAITING),
        sa.Index("ix_inbox_failed", "id", postgresql_where=FAILED, sqlite_where=FAILED),
        sa.Index("ix_inbox_waiting_key", "order_key", "id", postgresql_where=WAITING, sqlite_where=WAITING),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    identity: Mapped[str] = mapped_column(sa.String(128))
    platform: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(64))
    order_key: Mapped[str | None] = mapped_column(sa.String(255))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(sa.String(16))  # pending | running | done | failed
    attempts: Mapped[int] = mapped_column(default=0)
    not_before: Mapped[datetime]  # when it may be taken: its next try, or its lease's end
    owner: Mapped[str | None] = mapped_column(sa.String(32))
    lease_until: Mapped[datetime | None]
    received_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)


import storage.slack_tables  # noqa: E402, F401  (slack-sdk's OAuth tables join this metadata)


class PersonRow(Base):
    """A person's language: their platform's locale, or the one they chose (`chosen`)."""

    __tablename__ = "people"
    __table_args__ = (sa.UniqueConstraint("platform", "workspace_id", "user_id", name="uq_people_person"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(16))
    chosen: Mapped[bool]
    updated_at: Mapped[datetime]


class _DashboardGrant:
    """Who a dashboard link or session is for, under the SHA-256 of its token (bot/signin.py):
    the columns both tables hold."""

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    platform: Mapped[str] = mapped_column(sa.String(16))
    workspace_id: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(16))
    private_channels: Mapped[list[str]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class DashboardLinkRow(_DashboardGrant, Base):
    """A dashboard sign-in link."""

    __tablename__ = "dashboard_links"
    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="uq_dashboard_links_token_hash"),
        sa.Index("ix_dashboard_links_expires_at", "expires_at"),
    )

    used_at: Mapped[datetime | None]


class DashboardSessionRow(_DashboardGrant, Base):
    """A signed-in dashboard session, under its cookie's token."""

    __tablename__ = "dashboard_sessions"
    __table_args__ = (
        sa.UniqueConstraint("token_hash", name="uq_dashboard_sessions_token_hash"),
        sa.Index("ix_dashboard_sessions_expires_at", "expires_at"),
    )
