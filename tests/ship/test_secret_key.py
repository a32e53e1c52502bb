"""OUTPUTS_SECRET_KEY from the operator's side: `secret new`, `secret rotate`, `secret
forget-unreadable` after a lost key, `serve` refusing Slack OAuth without a key, and `config
check` reporting the key and the stored tokens."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from slack_sdk.oauth.installation_store.models.installation import Installation

from app.cli import main
from bot.secret_keys import new_key
from storage.database import Database
from storage.secrets import TokenCipher
from storage.slack_tables import bots, installations
from storage.slack_tokens import EncryptedInstallationStore, token_counts

pytestmark = pytest.mark.usefixtures("restore_logging")
CLIENT_ID = "111.222"
BOT_TOKEN = "xoxb-secret-key-test-token"
HOW = "outputs-bot secret new"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID",
                 "SLACK_CLIENT_SECRET", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "DATABASE_URL",
                 "OUTPUTS_CONFIG", "OUTPUTS_DATABASE__URL", "OUTPUTS_SECRET_KEY",
                 "OUTPUTS_SECURITY__SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OUTPUTS_LOGGING__JSON", "true")
    return monkeypatch


def oauth(env: pytest.MonkeyPatch, db: Database, key: str | None = None) -> None:
    env.setenv("DATABASE_URL", db.url)
    env.setenv("SLACK_CLIENT_ID", CLIENT_ID)
    env.setenv("SLACK_CLIENT_SECRET", "client-secret")
    env.setenv("SLACK_SIGNING_SECRET", "signing-secret")
    if key is not None:
        env.setenv("OUTPUTS_SECRET_KEY", key)


async def installed(db: Database, key: str, team: str = "T111") -> None:
    store = EncryptedInstallationStore(CLIENT_ID, db, TokenCipher(key))
    await store.async_save(
        Installation(
            app_id="A111",
            enterprise_id=None,
            team_id=team,
            user_id="W111",
            bot_token=BOT_TOKEN,
            bot_refresh_token="xoxe-1-refresh",
            bot_id="B111",
            bot_user_id="UBOT",
            installed_at=datetime.now(UTC).timestamp(),
        )
    )


def test_secret_new_prints_a_key_even_when_the_configured_one_is_bad(env, capsys) -> None:  # type: ignore[no-untyped-def]
    env.setenv("OUTPUTS_SECRET_KEY", "not-a-key")
    assert main(["secret", "new"]) == 0
    key = capsys.readouterr().out.strip()
    assert TokenCipher(key).open(TokenCipher(key).seal("x")) == "x"


def test_a_bad_key_is_refused_with_how_to_make_one(env, capsys) -> None:  # type: ignore[no-untyped-def]
    env.setenv("OUTPUTS_SECRET_KEY", "not-a-key")
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert "OUTPUTS_SECRET_KEY: security.secret_key: the key is not a Fernet key" in err
    assert HOW in err and "not-a-key" not in err


def test_serve_refuses_slack_oauth_without_a_key(env, sqlite_db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    oauth(env, sqlite_db)
    env.setenv("OUTPUTS_TEAMS__ALLOW_UNAUTHENTICATED", "true")  # another platform ready changes nothing
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "Slack OAuth is configured, and needs OUTPUTS_SECRET_KEY" in err and HOW in err
    assert "Fernet.generate_key()" in err


async def test_config_check_reports_the_key_and_the_stored_tokens(env, db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    oauth(env, db)
    assert await _check() == 1
    out = capsys.readouterr().out
    assert "slack: not configured; needs OUTPUTS_SECRET_KEY" in out and HOW in out
    assert "security.secret_key" in out and "Token encryption: no key" in out

    key = new_key()
    await installed(db, key)
    env.setenv("OUTPUTS_SECRET_KEY", f"{key},{new_key()}")
    assert await _check() == 0
    out = capsys.readouterr().out
    assert "Token encryption: OUTPUTS_SECRET_KEY set (1 key that encrypts, 1 more that only decrypt)" in out
    assert "stored tokens: 4 encrypted, 0 in plain text" in out and key not in out
    assert "slack: ready (HTTP)" in out

    env.setenv("OUTPUTS_SECRET_KEY", new_key())  # the key that encrypted them is lost
    assert await _check() == 1
    out = capsys.readouterr().out
    assert "NOT READY: 4 stored tokens do not open with OUTPUTS_SECRET_KEY" in out


async def _check() -> int:
    # `main` runs its own event loop: from an async test, in a thread
    import asyncio

    return await asyncio.to_thread(main, ["config", "check"])


async def test_secret_rotate_reencrypts_with_the_first_key(env, db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    old, new = new_key(), new_key()
    await installed(db, old)
    oauth(env, db)
    assert await asyncio.to_thread(main, ["secret", "rotate"]) == 2
    assert "OUTPUTS_SECRET_KEY is not set" in capsys.readouterr().err

    env.setenv("OUTPUTS_SECRET_KEY", f"{new},{old}")
    assert await asyncio.to_thread(main, ["secret", "rotate"]) == 0
    out = capsys.readouterr().out
    assert "4 stored tokens encrypted with the first key" in out and "can now be removed" in out
    counts = await token_counts(db.engine, TokenCipher(new))
    assert (counts.encrypted, counts.unopened) == (4, 0)
    assert (await token_counts(db.engine, TokenCipher(old))).unopened == 4

    env.setenv("OUTPUTS_SECRET_KEY", new_key())  # none of the keys that encrypted them
    assert await asyncio.to_thread(main, ["secret", "rotate"]) == 1
    assert "cannot be decrypted" in capsys.readouterr().err


async def rows(db: Database) -> dict[str, list[str]]:
    """The workspaces of the stored installation and bot rows, by table."""
    async with db.engine.connect() as conn:
        return {
            table.name: sorted((await conn.execute(sa.select(table.c.team_id))).scalars())
            for table in (installations, bots)
        }


async def test_forget_unreadable_deletes_only_what_no_key_opens(env, db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    """A lost key: its installations are listed, kept on a dry run and deleted with --yes;
    those sealed with the current key, or with an older key still listed, are kept."""
    import asyncio

    lost, current, old = new_key(), new_key(), new_key()
    await installed(db, lost, "T111")
    await installed(db, current, "T222")
    await installed(db, old, "T333")
    oauth(env, db)
    env.setenv("OUTPUTS_SERVER__PUBLIC_URL", "https://outputs.example.com")
    assert await asyncio.to_thread(main, ["secret", "forget-unreadable"]) == 2  # no key at all
    assert "OUTPUTS_SECRET_KEY is not set" in capsys.readouterr().err

    env.setenv("OUTPUTS_SECRET_KEY", f"{current},{old}")
    everything = {"slack_installations": ["T111", "T222", "T333"], "slack_bots": ["T111", "T222", "T333"]}
    assert await asyncio.to_thread(main, ["secret", "forget-unreadable"]) == 0
    out = capsys.readouterr().out
    assert "Slack tokens that no key in OUTPUTS_SECRET_KEY opens, in 2 stored rows (1 workspace):" in out
    assert "workspace T111: slack_installations #" in out and "workspace T111: slack_bots #" in out
    assert "installed by W111" in out and "T222" not in out and "T333" not in out
    assert "Nothing was deleted" in out and "secret forget-unreadable --yes" in out
    assert BOT_TOKEN not in out and "fernet:" not in out and "xoxe" not in out
    assert await rows(db) == everything  # a dry run

    assert await asyncio.to_thread(main, ["secret", "forget-unreadable", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Deleted them" in out and "https://outputs.example.com/slack/install: T111." in out
    assert BOT_TOKEN not in out and "fernet:" not in out
    assert await rows(db) == {"slack_installations": ["T222", "T333"], "slack_bots": ["T222", "T333"]}
    store = EncryptedInstallationStore(CLIENT_ID, db, TokenCipher(f"{current},{old}"))
    for team in ("T222", "T333"):  # what opens still serves
        found = await store.async_find_installation(enterprise_id=None, team_id=team)
        assert found is not None and found.bot_token == BOT_TOKEN

    assert await asyncio.to_thread(main, ["secret", "forget-unreadable", "--yes"]) == 0
    assert "nothing to delete" in capsys.readouterr().out
    assert (await token_counts(db.engine, TokenCipher(f"{current},{old}"))).unopened == 0
