"""Pending files: what a Teams file consent card offers, until the person accepts it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_files",
        sa.Column("id", sa.Integer, autoincrement=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("workspace_id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pending_files"),
        sa.UniqueConstraint("token", name="uq_pending_files_token"),
    )
    op.create_index("ix_pending_files_created_at", "pending_files", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_pending_files_created_at", table_name="pending_files")
    op.drop_table("pending_files")
