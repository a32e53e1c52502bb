"""Slack OAuth tokens encrypted at rest: the cipher, the installation store, migration 0007
(which encrypts the tokens older versions stored in plain text) and key rotation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk.oauth.installation_store.models.installation import Installation

from bot.secret_keys import new_key
from storage.database import Database, async_url, downgrade, migrate, schema_status
from storage.secrets import MARK, MissingSecretKey, SecretKeyError, TokenCipher, is_sealed
from storage.slack_tables import bots, installations
from storage.slack_tokens import EncryptedInstallationStore, reseal_tokens, token_counts
from storage.unreadable import UNOPENED, Warnings

CLIENT_ID = "111.222"
# A rotated bot token is long: sealed, it no longer fits slack-sdk's String(200).
LONG = "xoxe.xoxb-1-" + "A" * 140
TOKENS = {
    "bot_token": "xoxb-plain-bot-token-1",
    "bot_refresh_token": "xoxe-1-plain-refresh-2",
    "user_token": "xoxp-plain-user-token-3",
    "user_refresh_token": "xoxe-1-plain-user-refresh-4",
}


@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OUTPUTS_SECRET_KEY", "OUTPUTS_SECURITY__SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)


def installation(team: str = "T111", **tokens: str) -> Installation:
    return Installation(
        app_id="A111",
        enterprise_id=None,
        team_id=team,
        user_id="W111",
        bot_id="B111",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        user_scopes="search:read",
        token_type="bot",
        installed_at=datetime.now(UTC).timestamp(),
        **{**TOKENS, **tokens},
    )


async def stored_tokens(db: Database) -> list[str]:
    async with db.engine.connect() as conn:
        out: list[str] = []
        for table, names in ((installations, TOKENS), (bots, ("bot_token", "bot_refresh_token"))):
            for row in (await conn.execute(sa.select(*(table.c[n] for n in names)))).all():
                out += [v for v in row if v is not None]
    return out


def sqlite_bytes(url: str) -> bytes:
    path = Path(async_url(url)[0].database or "")
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


# --- the cipher ---------------------------------------------------------------------------


def test_seal_and_open() -> None:
    cipher = TokenCipher(new_key())
    sealed = cipher.seal("xoxb-1")
    assert sealed is not None and sealed.startswith(MARK) and "xoxb" not in sealed
    assert cipher.open(sealed) == "xoxb-1"
    assert cipher.seal(sealed) == sealed  # sealing twice changes nothing
    assert cipher.seal(None) is None and cipher.open(None) is None
    with pytest.raises(SecretKeyError, match="not encrypted"):
        cipher.open("xoxb-1")  # plain text is never taken for a token
    with pytest.raises(SecretKeyError, match="cannot be decrypted with OUTPUTS_SECRET_KEY"):
        TokenCipher(new_key()).open(sealed)


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    old, new = new_key(), new_key()
    sealed_with_old = TokenCipher(old).seal("xoxb-1")
    both = TokenCipher(f"{new}, {old}")
    assert both.key_count == 2
    assert both.open(sealed_with_old) == "xoxb-1"
    assert TokenCipher(new).open(both.seal("xoxb-2")) == "xoxb-2"
    resealed = both.reseal(sealed_with_old)
    assert TokenCipher(new).open(resealed) == "xoxb-1"
    with pytest.raises(SecretKeyError):
        both.reseal("xoxb-plain")  # plain text only where it is expected
    assert is_sealed(both.reseal("xoxb-plain", legacy=True))


def test_a_bad_key_says_how_to_make_one() -> None:
    with pytest.raises(ValueError, match="outputs-bot secret new") as err:
        TokenCipher(f"{new_key()},not-a-key")
    assert "key 2 of 2" in str(err.value) and "not-a-key" not in str(err.value)


# --- the installation store ---------------------------------------------------------------


async def test_the_store_seals_every_token_and_opens_them_on_every_find(db: Database) -> None:
    store = EncryptedInstallationStore(CLIENT_ID, db, TokenCipher(new_key()))
    await store.async_save(installation(bot_token=LONG))
    stored = await stored_tokens(db)
    assert len(stored) == 6 and all(v.startswith(MARK) for v in stored)
    assert not any(v in "".join(stored) for v in [LONG, *TOKENS.values()])
    assert max(map(len, stored)) > 200  # the widened columns hold it

    found = await store.async_find_installation(enterprise_id=None, team_id="T111")
    assert found is not None
    assert (found.bot_token, found.bot_refresh_token) == (LONG, TOKENS["bot_refresh_token"])
    assert found.user_token == TOKENS["user_token"]
    assert found.user_refresh_token == TOKENS["user_refresh_token"]
    by_user = await store.async_find_installation(enterprise_id=None, team_id="T111", user_id="W111")
    assert by_user is not None and by_user.bot_token == LONG and by_user.user_token == TOKENS["user_token"]
    bot = await store.async_find_bot(enterprise_id=None, team_id="T111")
    assert bot is not None and (bot.bot_token, bot.bot_refresh_token) == (LONG, TOKENS["bot_refresh_token"])
    assert await store.async_find_installation(enterprise_id=None, team_id="T999") is None

    # a caller's objects keep their tokens in the clear
    mine = installation(team="T222")
    await store.async_save(mine)
    assert mine.bot_token == TOKENS["bot_token"]
    counts = await token_counts(db.engine, store.cipher)
    assert (counts.encrypted, counts.plain, counts.unopened) == (12, 0, 0)
    assert (await token_counts(db.engine, TokenCipher(new_key()))).unopened == 12


async def test_tokens_sealed_with_a_lost_key_are_found_as_not_installed(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await EncryptedInstallationStore(CLIENT_ID, db, TokenCipher(new_key())).async_save(installation())
    other = EncryptedInstallationStore(CLIENT_ID, db, TokenCipher(new_key()))
    assert await other.async_find_installation(enterprise_id=None, team_id="T111") is None
    assert await other.async_find_bot(enterprise_id=None, team_id="T111") is None
    assert UNOPENED.get() == "T111"  # what lets the server drop bolt's own ERROR line
    [warning] = [r for r in caplog.records if r.name == "storage.unreadable"]
    assert warning.levelname == "WARNING" and warning.exc_info is None
    assert "Slack workspace T111: its stored tokens cannot be decrypted with OUTPUTS_SECRET" in caplog.text
    assert "outputs-bot secret forget-unreadable --yes" in caplog.text


def test_the_warning_about_a_workspace_comes_once_a_minute_with_a_count(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr("storage.unreadable.time.monotonic", lambda: now[0])
    warnings = Warnings(every=60)
    for _ in range(5):
        warnings.warn("T111", "lost")
    warnings.warn("T222", "lost too")
    now[0] += 61
    warnings.warn("T111", "lost")
    assert [r.getMessage() for r in caplog.records] == [
        "lost",
        "lost too",
        "lost (4 more such lookups since the last warning)",
    ]


async def test_rotation_reencrypts_every_token_with_the_first_key(db: Database) -> None:
    old, new = new_key(), new_key()
    await EncryptedInstallationStore(CLIENT_ID, db, TokenCipher(old)).async_save(installation())
    before = await stored_tokens(db)
    assert await reseal_tokens(db.engine, TokenCipher(f"{new},{old}")) == 6
    after = await stored_tokens(db)
    assert all(v.startswith(MARK) for v in after) and not set(before) & set(after)
    store = EncryptedInstallationStore(CLIENT_ID, db, TokenCipher(new))  # the old key dropped
    found = await store.async_find_installation(enterprise_id=None, team_id="T111")
    assert found is not None and found.bot_token == TOKENS["bot_token"]
    assert found.user_refresh_token == TOKENS["user_refresh_token"]
    with pytest.raises(SecretKeyError):  # without the key they were encrypted with: nothing changes
        await reseal_tokens(db.engine, TokenCipher(new_key()))
    assert await stored_tokens(db) == after


# --- migration 0007 -----------------------------------------------------------------------


@pytest.fixture
async def at_0006_with_plain_tokens(db_url: str) -> AsyncIterator[str]:
    """A database at revision 0006 holding an OAuth installation as older versions stored it."""
    await migrate(db_url, "0006")
    db = Database(db_url)
    try:
        row = {
            "client_id": CLIENT_ID,
            "app_id": "A111",
            "team_id": "T111",
            "bot_id": "B111",
            "is_enterprise_install": False,
            "installed_at": datetime(2026, 1, 1),
        }
        long_refresh = "xoxe-1-" + "R" * 150  # fits String(200) in plain text, not once sealed
        async with db.engine.begin() as conn:
            await conn.execute(installations.insert(), {**row, **TOKENS, "user_id": "W111"})
            await conn.execute(
                bots.insert(),
                {**row, "bot_token": TOKENS["bot_token"], "bot_refresh_token": long_refresh},
            )
    finally:
        await db.dispose()
    yield db_url


async def test_the_migration_encrypts_the_tokens_stored_in_plain_text(at_0006_with_plain_tokens: str) -> None:
    url, key = at_0006_with_plain_tokens, new_key()
    db = Database(url)
    if db.dialect == "sqlite":
        # some SQLite builds zero deleted content by default, some do not: the migration
        # must not depend on it
        @sa.event.listens_for(db.engine.sync_engine, "connect")
        def _keep_deleted_content(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA secure_delete = OFF")

    await migrate(db, secret_key=key)
    await db.dispose()  # the WAL checkpointed into the file
    db = Database(url)
    try:
        current, head = await schema_status(db)
        assert current == head
        stored = await stored_tokens(db)
        assert len(stored) == 6 and all(v.startswith(MARK) for v in stored)
        store = EncryptedInstallationStore(CLIENT_ID, db, TokenCipher(key))
        found = await store.async_find_installation(enterprise_id=None, team_id="T111")
        assert found is not None and found.user_token == TOKENS["user_token"]
        bot = await store.async_find_bot(enterprise_id=None, team_id="T111")
        assert bot is not None and bot.bot_refresh_token == "xoxe-1-" + "R" * 150
    finally:
        await db.dispose()
    if db.dialect == "sqlite":  # nor is the plain text left behind in the file's free pages
        everything = sqlite_bytes(url)
        assert b"T111" in everything
        for token in TOKENS.values():
            assert token.encode() not in everything, token


async def test_the_key_can_come_from_the_environment(
    at_0006_with_plain_tokens: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key()
    monkeypatch.setenv("OUTPUTS_SECRET_KEY", key)
    await migrate(at_0006_with_plain_tokens)
    db = Database(at_0006_with_plain_tokens)
    try:
        assert all(TokenCipher(key).open(v) for v in await stored_tokens(db))
    finally:
        await db.dispose()


async def test_without_a_key_the_migration_refuses_and_changes_nothing(
    at_0006_with_plain_tokens: str,
) -> None:
    url = at_0006_with_plain_tokens
    with pytest.raises(MissingSecretKey) as err:
        await migrate(url)
    message = str(err.value)
    assert "set OUTPUTS_SECRET_KEY" in message and "outputs-bot secret new" in message
    assert "Fernet.generate_key()" in message and "run the command again" in message
    db = Database(url)
    try:
        assert (await schema_status(db))[0] == "0006"
        stored = await stored_tokens(db)
        assert set(TOKENS.values()) <= set(stored) and not any(map(is_sealed, stored))
    finally:
        await db.dispose()


async def test_downgrading_decrypts_the_tokens_for_older_versions(at_0006_with_plain_tokens: str) -> None:
    url, key = at_0006_with_plain_tokens, new_key()
    await migrate(url, secret_key=key)
    db = Database(url)
    try:
        with pytest.raises(MissingSecretKey):
            await downgrade(db, "0006")
        await downgrade(db, "0006", secret_key=key)
        assert set(TOKENS.values()) <= set(await stored_tokens(db))
        assert (await token_counts(db.engine)).encrypted == 0
        await migrate(db, secret_key=key)
        assert (await token_counts(db.engine)).plain == 0
    finally:
        await db.dispose()
