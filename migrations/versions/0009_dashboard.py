"""The web dashboard's sign-in links and sessions.

Both are keyed by the SHA-256 of a random token: the token travels (in a chat message, in a
cookie) and is never stored, so a copy of the database opens no dashboard. Each row carries
the person's private channel memberships as they were when the link was asked for (see
docs/rules.md on the membership snapshot).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

UTC = sa.DateTime(timezone=True)

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _person_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("private_channels", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "dashboard_links",
        *_person_columns(),
        sa.Column("used_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dashboard_links"),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_links_token_hash"),
    )
    op.create_index("ix_dashboard_links_expires_at", "dashboard_links", ["expires_at"])
    op.create_table(
        "dashboard_sessions",
        *_person_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_dashboard_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_sessions_token_hash"),
    )
    op.create_index("ix_dashboard_sessions_expires_at", "dashboard_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_dashboard_sessions_expires_at", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
    op.drop_index("ix_dashboard_links_expires_at", table_name="dashboard_links")
    op.drop_table("dashboard_links")
