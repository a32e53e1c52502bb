"""Slack OAuth tokens encrypted at rest: token columns widened to Text, stored tokens encrypted.

A Fernet token of a long (rotated) Slack token does not fit slack-sdk's String(200), so the
token columns become Text first; then every token stored in plain text by older versions is
encrypted with the first key of OUTPUTS_SECRET_KEY (storage.secrets). With plain-text tokens
stored and no key, the upgrade stops and changes nothing. Downgrading decrypts them (older
versions read plain text) and narrows the columns back; it too needs the key.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import op

if TYPE_CHECKING:
    from storage.secrets import TokenCipher

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENS = {
    "slack_installations": ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    "slack_bots": ("bot_token", "bot_refresh_token"),
}
# the names bot.config reads the key from, the first found winning as there
KEY_NAMES = ("OUTPUTS_SECURITY__SECRET_KEY", "OUTPUTS_SECRET_KEY")


def _table(name: str) -> sa.TableClause:
    return sa.table(name, sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in TOKENS[name]))


def _secret_key() -> str | None:
    config = op.get_context().config
    given = config.attributes.get("secret_key") if config is not None else None
    if given:
        return str(given)
    return next((os.environ[n] for n in KEY_NAMES if os.environ.get(n)), None)


def _tokens(conn: sa.Connection, sealed: bool) -> list[tuple[sa.TableClause, int, dict[str, str]]]:
    """(table, row id, {column: value}) for the stored tokens that are (not) encrypted."""
    from storage.secrets import is_sealed

    found = []
    for name, columns in TOKENS.items():
        table = _table(name)
        for row in conn.execute(sa.select(table)).mappings():
            values = {c: row[c] for c in columns if row[c] is not None and is_sealed(row[c]) == sealed}
            if values:
                found.append((table, row["id"], values))
    return found


def _cipher(what: str) -> TokenCipher:
    from bot.secret_keys import MAKE_A_KEY
    from storage.secrets import MissingSecretKey, TokenCipher

    key = _secret_key()
    if not key:
        raise MissingSecretKey(
            f"{what}: set OUTPUTS_SECRET_KEY to a Fernet key and run the command again "
            f"({MAKE_A_KEY}). Nothing was changed."
        )
    return TokenCipher(key)


def _alter(to: sa.types.TypeEngine, existing: sa.types.TypeEngine) -> None:
    for name, columns in TOKENS.items():
        with op.batch_alter_table(name) as batch:
            for column in columns:
                batch.alter_column(column, existing_type=existing, type_=to)


def upgrade() -> None:
    conn = op.get_bind()
    plain = _tokens(conn, sealed=False)
    if plain:  # the key is asked for before anything changes
        cipher = _cipher(
            f"Slack tokens are stored in plain text ({len(plain)} rows) and are now encrypted at rest"
        )
        if conn.dialect.name == "sqlite":
            # what the plain-text rows held (the table copy below drops them too) is zeroed
            # in the file, not left in its free pages
            conn.exec_driver_sql("PRAGMA secure_delete = ON")
    # widened first: PostgreSQL would refuse a sealed token longer than 200 characters
    _alter(sa.Text(), sa.String(200))
    for table, row_id, values in plain:
        sealed = {c: cipher.seal(v) for c, v in values.items()}
        conn.execute(sa.update(table).where(table.c.id == row_id).values(**sealed))


def downgrade() -> None:
    # versions before this one read plain text: the tokens are decrypted, then fit String(200)
    conn = op.get_bind()
    sealed = _tokens(conn, sealed=True)
    if sealed:
        cipher = _cipher(
            f"Slack tokens are stored encrypted ({len(sealed)} rows) and older versions read plain text"
        )
        for table, row_id, values in sealed:
            opened = {c: cipher.open(v) for c, v in values.items()}
            conn.execute(sa.update(table).where(table.c.id == row_id).values(**opened))
    _alter(sa.String(200), sa.Text())
