"""Several workspaces: OAuth install into our database, token rotation, uninstall, no token in
logs, and no token in plain text anywhere in the database."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from bot.charter import ChannelKey
from bot.events import Audience, Reply
from bot.secret_keys import new_key
from storage.database import ONE_STATEMENT, Database, async_url
from storage.secrets import MARK, TokenCipher
from storage.slack_tables import bots, installations, oauth_states
from storage.slack_tokens import EncryptedInstallationStore
from tests.slack.conftest import Slack, fixture, start_slack, stop_slack
from tests.slack.fake_slack import FakeSlack

BOT_TOKEN = "xoxb-installed-token-1"
ROTATED = "xoxb-rotated-token-2"
REFRESH = "xoxe-1-refresh-token"
KEY = new_key()


def access(token: str, refresh: str, expires_in: int) -> dict:
    """oauth.v2.access as Slack answers it for a bot install with token rotation on."""
    return {
        "app_id": "A111",
        "authed_user": {"id": "W111"},
        "scope": "commands,chat:write",
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": "UBOT",
        "refresh_token": refresh,
        "expires_in": expires_in,
        "team": {"id": "T111", "name": "Test"},
        "enterprise": {"id": "E111", "name": "Org Name"},
        "is_enterprise_install": False,
    }


@pytest.fixture
async def oauth_slack(fake: FakeSlack, db: Database) -> AsyncIterator[Slack]:
    s = await start_slack(
        fake,
        db.url,
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID="111.222",
        SLACK_CLIENT_SECRET="client-secret-value",
        OUTPUTS_SECRET_KEY=KEY,
    )
    try:
        yield s
    finally:
        await stop_slack(s)


async def count(db: Database, table: sa.Table) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def install(slack: Slack, expires_in: int = 43_200) -> None:
    page = await slack.http.get("/slack/install")
    assert page.status == 200
    html = await page.text()
    link = re.search(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', html)
    assert link is not None
    query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert query["client_id"] == ["111.222"]
    assert "files:write" in query["scope"][0] and "reactions:read" in query["scope"][0]
    state = query["state"][0]
    slack.fake.oauth = access(BOT_TOKEN, REFRESH, expires_in)
    # The state cookie is Secure (Slack's browsers come over https): hand it back as they would.
    cookie = next(c.split(";")[0] for c in page.headers.getall("Set-Cookie") if "oauth-state" in c)
    done = await slack.http.get(
        f"/slack/oauth_redirect?code=the-code&state={state}", headers={"Cookie": cookie}
    )
    assert done.status == 200, await done.text()


async def test_install_stores_the_workspace_tokens_in_our_database(oauth_slack: Slack) -> None:
    await install(oauth_slack)
    assert await count(oauth_slack.app.db, installations) == 1
    assert await count(oauth_slack.app.db, bots) == 1
    assert await count(oauth_slack.app.db, oauth_states) == 0  # the state was consumed
    resp = await oauth_slack.command("help", user="W111")
    assert resp.status == 200
    assert {c.token for c in oauth_slack.fake.calls if c.method == "users.info"} == {BOT_TOKEN}
    ts = await oauth_slack.server.poster.post(
        Reply(Audience.CHANNEL, "C111", "Digest"),
        ChannelKey(platform="slack", workspace_id="T111", channel_id="C111"),
    )
    assert ts and oauth_slack.fake.calls[-1].token == BOT_TOKEN


async def test_a_redirect_with_a_forged_state_installs_nothing(oauth_slack: Slack) -> None:
    oauth_slack.fake.oauth = access(BOT_TOKEN, REFRESH, 43_200)
    resp = await oauth_slack.http.get("/slack/oauth_redirect?code=the-code&state=forged")
    assert resp.status == 400
    assert await count(oauth_slack.app.db, installations) == 0


async def test_tokens_about_to_expire_are_rotated(oauth_slack: Slack) -> None:
    await install(oauth_slack, expires_in=60)  # inside bolt's rotation window
    oauth_slack.fake.oauth = access(ROTATED, "xoxe-1-next", 43_200)
    await oauth_slack.command("help", user="W111")
    refresh = [c.args for c in oauth_slack.fake.calls if c.method == "oauth.v2.access"]
    assert refresh and refresh[-1].get("grant_type") == "refresh_token"
    assert {c.token for c in oauth_slack.fake.calls if c.method == "users.info"} == {ROTATED}


async def test_app_uninstalled_deletes_the_workspace_tokens_at_once(oauth_slack: Slack) -> None:
    await install(oauth_slack)
    resp = await oauth_slack.event(fixture("app_uninstalled"))
    assert resp.status == 200
    assert await count(oauth_slack.app.db, installations) == 0
    assert await count(oauth_slack.app.db, bots) == 0


async def test_tokens_revoked_deletes_the_bot_token_at_once(oauth_slack: Slack) -> None:
    await install(oauth_slack)
    resp = await oauth_slack.event(fixture("tokens_revoked"))
    assert resp.status == 200
    assert await count(oauth_slack.app.db, bots) == 0


async def test_tokens_never_appear_in_logs(oauth_slack: Slack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await install(oauth_slack, expires_in=60)
    oauth_slack.fake.oauth = access(ROTATED, "xoxe-1-next", 43_200)
    await oauth_slack.command("help", user="W111")
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "oauth.v2.access" in text  # slack-sdk did log its calls…
    for secret in (BOT_TOKEN, ROTATED, REFRESH, "xoxe-1-next", "client-secret-value"):
        assert secret not in text  # …without a token in them


async def everything_stored(db: Database) -> bytes:
    """All the database holds. SQLite: the file's bytes and its WAL's (after a checkpoint,
    so both what was written and what was copied back), free pages included. PostgreSQL:
    every row of every table, as text."""
    if db.dialect == "sqlite":
        # outside a transaction (ONE_STATEMENT: no BEGIN), where SQLite allows a checkpoint
        async with db.engine.execution_options(**{ONE_STATEMENT: True}).connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        path = Path(async_url(db.url)[0].database or "")
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    async with db.engine.connect() as conn:
        tables = (
            await conn.exec_driver_sql(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        ).scalars().all()
        assert "slack_installations" in tables
        rows = [
            row
            for table in tables
            for row in (await conn.exec_driver_sql(f'SELECT t::text FROM "{table}" t')).scalars()
        ]
    return "\n".join(rows).encode()


async def test_no_token_is_stored_in_plain_text_and_the_bot_still_works(oauth_slack: Slack) -> None:
    """Issue 12, point 7: after an install and a token rotation, no token appears in plain
    text anywhere in the database, and requests are authorised with the stored tokens."""
    await install(oauth_slack, expires_in=60)  # inside bolt's rotation window
    oauth_slack.fake.oauth = access(ROTATED, "xoxe-1-next", 43_200)
    resp = await oauth_slack.command("help", user="W111")  # the rotated token is saved
    assert resp.status == 200
    assert {c.token for c in oauth_slack.fake.calls if c.method == "users.info"} == {ROTATED}
    ts = await oauth_slack.server.poster.post(
        Reply(Audience.CHANNEL, "C111", "Digest"),
        ChannelKey(platform="slack", workspace_id="T111", channel_id="C111"),
    )
    assert ts and oauth_slack.fake.calls[-1].token == ROTATED

    db = oauth_slack.app.db
    async with db.engine.connect() as conn:
        stored = (await conn.execute(sa.select(bots.c.bot_token, bots.c.bot_refresh_token))).all()
    assert stored and all(v.startswith(MARK) for row in stored for v in row)
    everything = await everything_stored(db)
    assert b"T111" in everything  # the installation is there…
    for token in (BOT_TOKEN, ROTATED, REFRESH, "xoxe-1-next"):
        assert token.encode() not in everything, token  # …its tokens are not


async def test_with_the_key_lost_requests_are_answered_not_crashed(
    oauth_slack: Slack, caplog: pytest.LogCaptureFixture
) -> None:
    await install(oauth_slack)
    assert oauth_slack.server.tokens is not None
    store = oauth_slack.server.tokens.installations
    assert isinstance(store, EncryptedInstallationStore)
    store.cipher = TokenCipher(new_key())  # not the key the tokens were sealed with
    caplog.clear()
    for _ in range(3):
        resp = await oauth_slack.command("help", user="W111")
        assert resp.status == 200  # bolt answers as for a workspace not installed
    assert not [c for c in oauth_slack.fake.calls if c.method == "users.info"]
    assert all("reinstall this app" in text for text in oauth_slack.replies())
    # one clear WARNING, not an ERROR (nor a traceback) per request
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    message = warning.getMessage()
    assert message.startswith("Slack workspace T111: its stored tokens cannot be decrypted with")
    assert "run `outputs-bot secret forget-unreadable --yes` and have the workspace install" in message
    assert warning.exc_info is None and BOT_TOKEN not in message
