"""`outputs-bot config check`: what is set (secrets masked), what platforms need, the database."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from storage.database import Database

pytestmark = pytest.mark.usefixtures("restore_logging")
TOKEN = "xoxb-1111-2222-configchecktoken"
SECRET = "signing-secret-for-config-check"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID",
                 "SLACK_CLIENT_SECRET", "MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "DATABASE_URL",
                 "OUTPUTS_CONFIG", "OUTPUTS_DATABASE__URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no ./config.toml, no ./outputs.db
    monkeypatch.setenv("OUTPUTS_LOGGING__JSON", "true")
    return monkeypatch


def run(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["config", "check"])
    return code, capsys.readouterr().out


def test_ready_slack_on_a_migrated_database(env, db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    env.setenv("DATABASE_URL", db.url)
    env.setenv("SLACK_BOT_TOKEN", TOKEN)
    env.setenv("SLACK_SIGNING_SECRET", SECRET)
    code, out = run(capsys)
    assert code == 0, out
    assert "slack.bot_token" in out and "********" in out
    assert TOKEN not in out and SECRET not in out
    assert "slack: ready (HTTP)" in out
    assert "teams: not configured; needs MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD" in out
    assert "reachable and migrated" in out
    assert out.rstrip().endswith("OK: ready to serve slack.")


def test_an_unmigrated_database_fails_and_says_to_migrate(env, db_url: str, capsys) -> None:  # type: ignore[no-untyped-def]
    env.setenv("DATABASE_URL", db_url)
    env.setenv("SLACK_BOT_TOKEN", TOKEN)
    env.setenv("SLACK_SIGNING_SECRET", SECRET)
    code, out = run(capsys)
    assert code == 1
    assert "outputs-bot migrate" in out and "NOT READY: the database is not usable." in out


def test_no_platform_fails(env, sqlite_db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    env.setenv("DATABASE_URL", sqlite_db.url)
    code, out = run(capsys)
    assert code == 1
    assert "slack: not configured; needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN" in out
    assert "NOT READY: no platform is configured." in out


def test_socket_mode_only_and_unauthenticated_teams_are_said(env, sqlite_db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    env.setenv("DATABASE_URL", sqlite_db.url)
    env.setenv("SLACK_BOT_TOKEN", TOKEN)
    env.setenv("SLACK_APP_TOKEN", "xapp-1-A111-222-abc")
    env.setenv("OUTPUTS_TEAMS__ALLOW_UNAUTHENTICATED", "true")
    code, out = run(capsys)
    assert code == 0
    assert "slack: ready for `serve --socket-mode` only" in out
    assert "teams: ready, WITHOUT authentication" in out


def test_a_missing_sqlite_file_is_not_created(env, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    env.setenv("SLACK_BOT_TOKEN", TOKEN)
    env.setenv("SLACK_SIGNING_SECRET", SECRET)
    code, out = run(capsys)
    assert code == 1
    assert "outputs.db does not exist" in out
    assert not (tmp_path / "outputs.db").exists()


def test_an_unreachable_database_fails_without_showing_its_password(env, capsys) -> None:  # type: ignore[no-untyped-def]
    env.setenv("DATABASE_URL", "postgresql://outputs:hunter2secret@127.0.0.1:1/outputs")
    env.setenv("SLACK_BOT_TOKEN", TOKEN)
    env.setenv("SLACK_SIGNING_SECRET", SECRET)
    code, out = run(capsys)
    assert code == 1
    assert "NOT READY: unreachable" in out
    assert "hunter2secret" not in out and "outputs:********@127.0.0.1:1" in out


def test_a_config_file_is_named(env, sqlite_db: Database, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    toml = f'[database]\nurl = "{sqlite_db.url}"\n[teams]\nallow_unauthenticated = true\n'
    (tmp_path / "config.toml").write_text(toml)
    code, out = run(capsys)
    assert code == 0, out
    assert out.startswith(f"Configuration: {tmp_path / 'config.toml'}")
