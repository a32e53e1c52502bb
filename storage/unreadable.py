"""Slack installations whose stored tokens no key opens: told at run time, listed and deleted.

When the key that encrypted a workspace's tokens is lost, nothing can read them again and
the workspace must install the app anew. Until then every request it sends is answered as
from a workspace where the app is not installed, and the log says so once a minute per
workspace (`Warnings`), with the way out: `outputs-bot secret forget-unreadable` lists the
rows of `slack_installations` and `slack_bots` that hold such a token (`find_unreadable`)
and, with `--yes`, deletes them (`forget_unreadable`), so that a new install starts clean.

A row is unreadable when one of its tokens is encrypted and none of the keys given opens
it: the store cannot use such a row at all (storage.slack_tokens opens every token of a
row or none). Rows that open, and tokens in plain text (`secret rotate` encrypts those),
are never touched. Nothing here ever prints or logs a token.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.secret_keys import KEY_ENV
from storage.secrets import SecretKeyError, TokenCipher, UnreadableToken
from storage.slack_tables import TOKEN_COLUMNS, bots, installations

log = logging.getLogger(__name__)
WARN_EVERY = 60.0  # seconds between two warnings about one workspace
FORGET = "outputs-bot secret forget-unreadable"

# The workspace whose stored tokens did not open during the current lookup, if any. bolt
# follows with an ERROR of its own on every such request ("the AuthorizeResult … was not
# found"), which says nothing more: adapters.slack.server drops it while this is set.
UNOPENED: ContextVar[str | None] = ContextVar("outputs_unopened_workspace", default=None)


def workspace_of(entity: Any) -> str:
    """How the log and the CLI name an installation: its workspace, else its org."""
    team = getattr(entity, "team_id", None)
    return str(team or f"org {getattr(entity, 'enterprise_id', None) or '?'}")


def unopened_message(workspace: str, exc: SecretKeyError) -> str:
    """What the operator is told when a workspace's stored tokens do not open."""
    if not isinstance(exc, UnreadableToken):  # plain text: `secret rotate` says what to do
        return f"Slack workspace {workspace}: {exc}"
    return (
        f"Slack workspace {workspace}: its stored tokens cannot be decrypted with {KEY_ENV} "
        "(the key that encrypted them is not among the keys given), so its requests are "
        "answered as from a workspace where the app is not installed. Put that key back in "
        f"{KEY_ENV}, after the current one; if it is lost, run `{FORGET} --yes` and have the "
        "workspace install the app again."
    )


class Warnings:
    """At most one warning per workspace and minute, with how many were held back: such a
    workspace is refused on every request it sends, and a line each would bury the log."""

    def __init__(self, every: float = WARN_EVERY) -> None:
        self.every = every
        self._held: Counter[str] = Counter()
        self._next: dict[str, float] = {}

    def warn(self, workspace: str, message: str) -> None:
        self._held[workspace] += 1
        now = time.monotonic()
        if now < self._next.get(workspace, 0.0):
            return
        count, self._held[workspace] = self._held[workspace], 0
        self._next[workspace] = now + self.every
        more = f" ({count - 1} more such lookups since the last warning)" if count > 1 else ""
        log.warning("%s%s", message, more)


@dataclass(frozen=True)
class UnreadableRow:
    """One stored row no key opens, as the CLI lists it (ids and dates, never a token)."""

    table: str
    id: int
    team_id: str | None
    team_name: str | None
    enterprise_id: str | None
    app_id: str | None
    user_id: str | None  # the installing user (installations only)
    installed_at: datetime | None

    @property
    def workspace(self) -> str:
        return workspace_of(self)


def _unreadable(conn: sa.Connection, cipher: TokenCipher) -> list[UnreadableRow]:
    out: list[UnreadableRow] = []
    for table in (installations, bots):
        names = TOKEN_COLUMNS[table.name]
        c = table.c
        user = c.user_id if "user_id" in c else sa.null().label("user_id")
        query = sa.select(
            c.id, c.team_id, c.team_name, c.enterprise_id, c.app_id, user, c.installed_at,
            *(c[n] for n in names),
        )
        for row in conn.execute(query).mappings():
            if all(cipher.opens(row[n]) for n in names):
                continue
            out.append(
                UnreadableRow(
                    table.name,
                    row["id"],
                    row["team_id"],
                    row["team_name"],
                    row["enterprise_id"],
                    row["app_id"],
                    row["user_id"],
                    row["installed_at"],
                )
            )
    return sorted(out, key=lambda r: (r.workspace, r.table, r.id))  # each workspace's together


def _forget(conn: sa.Connection, cipher: TokenCipher) -> list[UnreadableRow]:
    # Read again inside the deleting transaction: a row written or rotated meanwhile with a
    # key given is readable now, and stays.
    rows = _unreadable(conn, cipher)
    for table in (installations, bots):
        ids = [r.id for r in rows if r.table == table.name]
        if ids:
            conn.execute(table.delete().where(table.c.id.in_(ids)))
    return rows


async def find_unreadable(engine: AsyncEngine, cipher: TokenCipher) -> list[UnreadableRow]:
    """The installation and bot rows holding a token that none of `cipher`'s keys opens."""
    async with engine.connect() as conn:
        return await conn.run_sync(_unreadable, cipher)


async def forget_unreadable(engine: AsyncEngine, cipher: TokenCipher) -> list[UnreadableRow]:
    """Those rows deleted, in one transaction; the rows deleted."""
    async with engine.begin() as conn:
        return await conn.run_sync(_forget, cipher)
