"""The inbox: every acknowledged request, kept until it is worked.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

UTC = sa.DateTime(timezone=True)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True),
        sa.Column("identity", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("order_key", sa.String(255), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", UTC, nullable=False),
        sa.Column("owner", sa.String(32), nullable=True),
        sa.Column("lease_until", UTC, nullable=True),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("identity", name="uq_inbox_identity"),
    )
    op.create_index("ix_inbox_status", "inbox", ["status", "id"])
    op.create_index("ix_inbox_finished_at", "inbox", ["finished_at"])
    # the unfinished entries only: what every claim reads, however many finished ones are kept
    waiting = sa.text("status IN ('pending', 'running')")
    op.create_index("ix_inbox_waiting", "inbox", ["id"], postgresql_where=waiting, sqlite_where=waiting)
    op.create_index(
        "ix_inbox_waiting_key", "inbox", ["order_key", "id"], postgresql_where=waiting, sqlite_where=waiting
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_waiting_key", table_name="inbox")
    op.drop_index("ix_inbox_waiting", table_name="inbox")
    op.drop_index("ix_inbox_finished_at", table_name="inbox")
    op.drop_index("ix_inbox_status", table_name="inbox")
    op.drop_table("inbox")
