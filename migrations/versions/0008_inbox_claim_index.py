"""The inbox's claim reads its due entries in id order straight from the waiting index.

With an index on (status, id) beside it, SQLite's planner took that one for the claim's
`status IN ('pending', 'running')` and sorted every waiting entry by id on each claim: with
a backlog of thousands, most of a claim's time. The waiting entries' index now also holds
`not_before`, so the oldest due ones are read in order without a look at the table, and
the (status, id) index gives way to one on the failed entries, which the counts and
`outputs-bot inbox` read.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = sa.text("status IN ('pending', 'running')")
FAILED = sa.text("status = 'failed'")


def upgrade() -> None:
    op.drop_index("ix_inbox_status", table_name="inbox")
    op.drop_index("ix_inbox_waiting", table_name="inbox")
    op.create_index(
        "ix_inbox_waiting", "inbox", ["id", "not_before"], postgresql_where=WAITING, sqlite_where=WAITING
    )
    op.create_index("ix_inbox_failed", "inbox", ["id"], postgresql_where=FAILED, sqlite_where=FAILED)


def downgrade() -> None:
    op.drop_index("ix_inbox_failed", table_name="inbox")
    op.drop_index("ix_inbox_waiting", table_name="inbox")
    op.create_index("ix_inbox_waiting", "inbox", ["id"], postgresql_where=WAITING, sqlite_where=WAITING)
    op.create_index("ix_inbox_status", "inbox", ["status", "id"])
