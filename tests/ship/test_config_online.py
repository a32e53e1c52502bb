"""Issue 13, point 11: `config check` no longer calls a malformed Slack token ready, and
`--online` asks Slack (`auth.test`, on the local fake Web API) whether it accepts the token."""

from __future__ import annotations

import pytest

from app.cli import main
from storage.database import Database
from tests.ship.test_config_check import SECRET, TOKEN, env  # noqa: F401  (env is a fixture)
from tests.slack.fake_slack import FakeSlack

pytestmark = pytest.mark.usefixtures("restore_logging")


def test_a_token_of_the_wrong_kind_is_not_ready(env, db: Database, capsys) -> None:  # noqa: F811
    env.setenv("DATABASE_URL", db.url)
    env.setenv("SLACK_BOT_TOKEN", "notatoken")
    env.setenv("SLACK_SIGNING_SECRET", SECRET)
    code = main(["config", "check"])
    out = capsys.readouterr().out
    assert code == 1
    assert "slack: NOT READY: SLACK_BOT_TOKEN does not start with xoxb-" in out
    assert "slack: ready" not in out


async def _with_fake(env, db: Database, capsys, fail: str | None):  # noqa: F811
    import asyncio

    fake = FakeSlack()
    if fail:
        fake.fail["auth.test"] = fail
    await fake.start()
    try:
        env.setenv("DATABASE_URL", db.url)
        env.setenv("SLACK_BOT_TOKEN", TOKEN)
        env.setenv("SLACK_SIGNING_SECRET", SECRET)
        env.setenv("OUTPUTS_SLACK__API_BASE_URL", fake.api_url)
        code = await asyncio.to_thread(main, ["config", "check", "--online"])
    finally:
        await fake.close()
    return code, capsys.readouterr().out, fake


async def test_online_asks_slack_and_reports_what_it_said(env, db: Database, capsys) -> None:  # noqa: F811
    code, out, fake = await _with_fake(env, db, capsys, None)
    assert code == 0, out
    assert "slack: Slack accepts the bot token: workspace Test" in out
    assert [c.token for c in fake.calls if c.method == "auth.test"] == [TOKEN]


async def test_online_reports_a_refused_token(env, db: Database, capsys) -> None:  # noqa: F811
    code, out, _ = await _with_fake(env, db, capsys, "invalid_auth")
    assert code == 1
    assert "slack: NOT READY: Slack refused the bot token (invalid_auth)" in out
