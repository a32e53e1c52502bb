"""Initial schema: charters, channels, deliverables, search, digests, console.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = sa.DateTime(timezone=True)


def _channel_columns() -> list[sa.Column]:
    return [
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "charters",
        sa.Column("id", sa.Integer),
        *_channel_columns(),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("schedule_weekday", sa.Integer, nullable=True),
        sa.Column("schedule_time", sa.Time, nullable=True),
        sa.Column("paused_until", sa.Date, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_charters"),
        sa.UniqueConstraint("platform", "workspace_id", "channel_id", name="uq_charters_channel"),
    )
    op.create_table(
        "charter_versions",
        sa.Column("id", sa.Integer),
        sa.Column("charter_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("changed_by", sa.String(64), nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("snapshot", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_charter_versions"),
        sa.ForeignKeyConstraint(
            ["charter_id"], ["charters.id"], ondelete="CASCADE",
            name="fk_charter_versions_charter_id_charters",
        ),
        sa.UniqueConstraint("charter_id", "version", name="uq_charter_versions_version"),
    )
    op.create_table(
        "channels",
        sa.Column("id", sa.Integer),
        *_channel_columns(),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("is_private", sa.Boolean, nullable=False),
        sa.Column("creator_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_channels"),
        sa.UniqueConstraint("platform", "workspace_id", "channel_id", name="uq_channels_channel"),
    )
    op.create_table(
        "workspaces",
        sa.Column("id", sa.Integer),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("rollup_channel_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_workspaces"),
        sa.UniqueConstraint("platform", "workspace_id", name="uq_workspaces_workspace"),
    )
    op.create_table(
        "deliverables",
        sa.Column("id", sa.Integer, autoincrement=True),
        *_channel_columns(),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("author_id", sa.String(64), nullable=True),
        sa.Column("tagged_by", sa.String(64), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("permalink", sa.Text, nullable=True),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("thread_id", sa.String(128), nullable=True),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=True),
        sa.Column("completed_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_deliverables"),
        sa.UniqueConstraint(
            "platform", "workspace_id", "channel_id", "message_id", "type",
            name="uq_deliverables_message_type",
        ),
    )
    op.create_index(
        "ix_deliverables_channel_status_completed", "deliverables",
        ["platform", "workspace_id", "channel_id", "status", "completed_at"],
    )
    op.create_index(
        "ix_deliverables_channel_status_created", "deliverables",
        ["platform", "workspace_id", "channel_id", "status", "created_at"],
    )
    op.create_index(
        "ix_deliverables_channel_created", "deliverables",
        ["platform", "workspace_id", "channel_id", "created_at"],
    )
    op.create_index(
        "ix_deliverables_tagger_status", "deliverables",
        ["platform", "workspace_id", "tagged_by", "status", "created_at"],
    )
    op.create_index("ix_deliverables_created_at", "deliverables", ["created_at"])
    op.create_table(
        "taggings",
        sa.Column("id", sa.Integer),
        sa.Column("deliverable_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("emoji", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_taggings"),
        sa.ForeignKeyConstraint(
            ["deliverable_id"], ["deliverables.id"], ondelete="CASCADE",
            name="fk_taggings_deliverable_id_deliverables",
        ),
        sa.UniqueConstraint("deliverable_id", "user_id", "emoji", name="uq_taggings_tagging"),
    )
    op.create_table(
        "once_markers",
        sa.Column("id", sa.Integer),
        sa.Column("kind", sa.String(32), nullable=False),
        *_channel_columns(),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_once_markers"),
        sa.UniqueConstraint(
            "kind", "platform", "workspace_id", "channel_id", "subject", "period",
            name="uq_once_markers_marker",
        ),
    )
    op.create_table(
        "digest_runs",
        sa.Column("id", sa.Integer),
        *_channel_columns(),
        sa.Column("period_start", UTC, nullable=False),
        sa.Column("period_end", UTC, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("late", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digest_runs"),
        sa.UniqueConstraint(
            "platform", "workspace_id", "channel_id", "period_end", name="uq_digest_runs_period"
        ),
    )
    op.create_table(
        "console_messages",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("thread_id", sa.String(128), nullable=True),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_console_messages"),
    )
    if op.get_context().dialect.name == "postgresql":
        _postgresql_search()
    else:
        _sqlite_search()


def _postgresql_search() -> None:
    # 'simple': no stemming and no stop words, so French and English are treated alike.
    # Weights rank a match in the title above one in the fields, above one in the text.
    op.execute(
        """
        ALTER TABLE deliverables ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('simple'::regconfig, title), 'A')
            || setweight(json_to_tsvector('simple'::regconfig, fields, '["string"]'), 'B')
            || setweight(to_tsvector('simple'::regconfig, type), 'B')
            || setweight(to_tsvector('simple'::regconfig, text), 'C')
        ) STORED
        """
    )
    op.execute("CREATE INDEX ix_deliverables_search ON deliverables USING gin (search_vector)")


# Field values are indexed, not the raw JSON: keys would match every deliverable of a type.
_FIELD_VALUES = "(SELECT group_concat(value, ' ') FROM json_each({row}.fields))"
_FTS_ROW = "{row}.id, {row}.title, {row}.text, " + _FIELD_VALUES + ", {row}.type"


def _sqlite_search() -> None:
    # External content: the index keeps no copy of 40,000-character texts.
    op.execute(
        """
        CREATE VIRTUAL TABLE deliverables_fts USING fts5(
            title, text, fields, type,
            content='deliverables', content_rowid='id',
            tokenize='unicode61 remove_diacritics 2'
        )
        """
    )
    insert = "INSERT INTO deliverables_fts (rowid, title, text, fields, type) VALUES ({})"
    delete = (
        "INSERT INTO deliverables_fts (deliverables_fts, rowid, title, text, fields, type) "
        "VALUES ('delete', {})"
    )
    new, old = _FTS_ROW.format(row="new"), _FTS_ROW.format(row="old")
    op.execute(
        "CREATE TRIGGER deliverables_fts_ai AFTER INSERT ON deliverables BEGIN "
        f"{insert.format(new)}; END"
    )
    op.execute(
        "CREATE TRIGGER deliverables_fts_ad AFTER DELETE ON deliverables BEGIN "
        f"{delete.format(old)}; END"
    )
    op.execute(
        "CREATE TRIGGER deliverables_fts_au AFTER UPDATE OF title, text, fields, type "
        f"ON deliverables BEGIN {delete.format(old)}; {insert.format(new)}; END"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        for trigger in ("deliverables_fts_ai", "deliverables_fts_ad", "deliverables_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS deliverables_fts")
    for table in (
        "console_messages", "digest_runs", "once_markers", "taggings", "deliverables",
        "workspaces", "channels", "charter_versions", "charters",
    ):
        op.drop_table(table)
