"""Slack OAuth tokens encrypted at rest in slack-sdk's installation tables.

`EncryptedInstallationStore` is slack-sdk's `AsyncSQLAlchemyInstallationStore` with every
token (bot, bot refresh, user, user refresh) sealed by a `TokenCipher` before it is written
and opened after it is read, so what reaches the database, its WAL and its backups is
ciphertext. `reseal_tokens` re-encrypts what is stored with the first key (rotation);
`token_counts` tells how many stored tokens are encrypted (config check).

A row whose tokens no key opens is found as not installed: bolt answers the workspace as
such (200, "reinstall the app"), and the log gets one WARNING per workspace and minute
naming the way out (storage.unreadable: `outputs-bot secret forget-unreadable`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
    SQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import Database
from storage.secrets import SecretKeyError, TokenCipher, is_sealed
from storage.slack_tables import TOKEN_COLUMNS, bots, enterprise_of, installations
from storage.unreadable import UNOPENED, Warnings, unopened_message, workspace_of

_BOT_TOKENS = ("bot_token", "bot_refresh_token")
_ALL_TOKENS = (*_BOT_TOKENS, "user_token", "user_refresh_token")
_TABLES = (installations, bots)


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack-sdk's store on our tables, tokens sealed on save and opened on every find.

    Finds read (deferred on SQLite, beside the writers: they are on the ack path). Saves and
    deletes read, then write: they take this process's write turn and run on the writer
    engine, through a second slack-sdk store (`_writes`) on the same tables.
    """

    def __init__(self, client_id: str, db: Database, cipher: TokenCipher) -> None:
        super().__init__(client_id=client_id, engine=db.engine)
        self.installations = installations  # ours: the token columns are Text
        self.bots = bots
        self.cipher = cipher
        self.warnings = Warnings()
        self._db = db
        self._writes = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=db.writer)
        self._writes.installations = installations
        self._writes.bots = bots

    def _sealed(self, entity: Any, names: tuple[str, ...]) -> Any:
        out = copy.copy(entity)  # the caller's object keeps its tokens in the clear
        for name in names:
            setattr(out, name, self.cipher.seal(getattr(entity, name)))
        return out

    def _opened(self, entity: Any, names: tuple[str, ...]) -> Any:
        """The entity with its tokens opened; None when one will not open (the key that
        sealed it is gone): bolt then answers as for a workspace not installed, and the
        log says why and what to do, once a minute per workspace, without a traceback."""
        try:
            for name in names:
                setattr(entity, name, self.cipher.open(getattr(entity, name)))
        except SecretKeyError as exc:
            workspace = workspace_of(entity)
            UNOPENED.set(workspace)
            self.warnings.warn(workspace, unopened_message(workspace, exc))
            return None
        return entity

    async def async_save(self, installation: Installation) -> None:
        # slack-sdk saves the bot through async_save_bot(installation.to_bot()): sealed here,
        # those tokens go through it sealed already, and sealing leaves sealed values alone.
        async with self._db.turn():
            await self._writes.async_save(self._sealed(installation, _ALL_TOKENS))

    async def async_save_bot(self, bot: Bot) -> None:
        async with self._db.turn():
            await self._writes.async_save_bot(self._sealed(bot, _BOT_TOKENS))

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        async with self._db.turn():
            await self._writes.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        async with self._db.turn():
            await self._writes.async_delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        UNOPENED.set(None)  # this lookup's own outcome, not an earlier one's
        bot = await super().async_find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        return None if bot is None else self._opened(bot, _BOT_TOKENS)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        # slack-sdk's own, with the row opened before the newest bot's tokens are compared
        # with (and copied into) it: the parent compares a sealed value with an opened one.
        UNOPENED.set(None)
        if is_enterprise_install or team_id is None:
            team_id = None
        c = self.installations.c
        where = [c.client_id == self.client_id, c.enterprise_id == enterprise_id, c.team_id == team_id]
        if user_id is not None:
            where.append(c.user_id == user_id)
        query = self.installations.select().where(*where).order_by(c.installed_at.desc()).limit(1)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None:
            return None
        installation = self._opened(SQLAlchemyInstallationStore.build_installation_entity(row), _ALL_TOKENS)
        if installation is None:
            return None
        if user_id is not None or installation.bot_token is None:
            # the newest bot token, as slack-sdk does (bolt-python issue 664)
            latest = await self.async_find_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
            )
            if latest is not None and installation.bot_token != latest.bot_token:
                installation.bot_id = latest.bot_id
                installation.bot_user_id = latest.bot_user_id
                installation.bot_token = latest.bot_token
                installation.bot_scopes = latest.bot_scopes
                installation.bot_refresh_token = latest.bot_refresh_token
                installation.bot_token_expires_at = latest.bot_token_expires_at
        return installation


@dataclass(frozen=True)
class TokenCounts:
    encrypted: int
    plain: int
    unopened: int  # encrypted, and none of the keys given opens them


def reseal_rows(conn: sa.Connection, cipher: TokenCipher, *, legacy: bool = False) -> int:
    """Every stored token encrypted again with the first key, in the caller's transaction;
    the number of tokens rewritten. `legacy`: plain text is sealed too (see TokenCipher)."""
    changed = 0
    for table in _TABLES:
        names = TOKEN_COLUMNS[table.name]
        rows = conn.execute(sa.select(table.c.id, *(table.c[n] for n in names))).mappings().all()
        for row in rows:
            values = {n: cipher.reseal(row[n], legacy=legacy) for n in names if row[n] is not None}
            if values:
                conn.execute(table.update().where(table.c.id == row["id"]).values(**values))
                changed += len(values)
    return changed


async def reseal_tokens(engine: AsyncEngine, cipher: TokenCipher) -> int:
    """`outputs-bot secret rotate`: every stored token re-encrypted with the first key, in
    one transaction (a failure leaves them all as they were)."""
    async with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # what the rewritten rows held is zeroed, not left in free pages for the old key
            await conn.exec_driver_sql("PRAGMA secure_delete = ON")
        return await conn.run_sync(reseal_rows, cipher, legacy=True)


async def token_counts(engine: AsyncEngine, cipher: TokenCipher | None = None) -> TokenCounts:
    """How many stored tokens are encrypted, how many are not, and how many of the
    encrypted ones `cipher` cannot open."""
    encrypted = plain = unopened = 0
    async with engine.connect() as conn:
        for table in _TABLES:
            for name in TOKEN_COLUMNS[table.name]:
                column = table.c[name]
                for value in (await conn.execute(sa.select(column).where(column.is_not(None)))).scalars():
                    if not is_sealed(value):
                        plain += 1
                        continue
                    encrypted += 1
                    if cipher is not None:
                        try:
                            cipher.open(value)
                        except SecretKeyError:
                            unopened += 1
    return TokenCounts(encrypted, plain, unopened)


class OAuthStates(AsyncSQLAlchemyOAuthStateStore):
    """slack-sdk's OAuth state store, its writes (a consume reads, then deletes) in this
    process's write turn."""

    def __init__(self, db: Database, expiration_seconds: int) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=db.writer)
        self._db = db

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        async with self._db.turn():
            return await super().async_issue(*args, **kwargs)

    async def async_consume(self, state: str) -> bool:
        async with self._db.turn():
            return await super().async_consume(state)


class SlackTokens:
    """`bot.platform_ports.SlackTokenStore` on the project's database: what the Slack
    adapter's OAuth needs, built by the composition root with the key that seals tokens."""

    def __init__(self, db: Database, client_id: str, key: str) -> None:
        self._db = db
        self._client_id = client_id
        self.installations = EncryptedInstallationStore(client_id, db, TokenCipher(key))
        self.unopened = UNOPENED

    def oauth_states(self, expiration_seconds: int) -> OAuthStates:
        return OAuthStates(self._db, expiration_seconds)

    async def enterprise_of(self, workspace_id: str) -> str | None:
        return await enterprise_of(self._db.engine, self._client_id, workspace_id)
