"""`outputs-bot digest` for cron, through the same claim, and `digest --status`."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

import pytest

from app.cli import main
from bot.charter import ChannelKey, Charter, OutputType
from storage.database import Database, migrate
from storage.repository import SqlRepository


def seed(url: str) -> None:
    async def go() -> None:
        await migrate(url)
        db = Database(url)
        try:
            repo = SqlRepository(db)
            weeks_ago = datetime.now(UTC) - timedelta(weeks=3)
            for ch in ("support", "gone"):
                key = ChannelKey(platform="console", workspace_id="console", channel_id=ch)
                charter = Charter(
                    channel=key, types=(OutputType(key="fix", label="Fix"),), created_at=weeks_ago
                )
                await repo.save_charter(charter, "admin", "test", weeks_ago)
        finally:
            await db.dispose()

    asyncio.run(go())


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    """Two console charters three weeks old, in a database the CLI finds by environment."""
    url = f"sqlite:///{tmp_path / 'o.db'}"
    for k in [k for k in os.environ if k.startswith("OUTPUTS_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("OUTPUTS_DATABASE__URL", url)
    monkeypatch.chdir(tmp_path)
    seed(url)


def test_cron_digest_posts_once_and_status_lists_the_runs(seeded, capsys):
    assert main(["digest", "--status"]) == 0
    assert "No digest has been posted yet." in capsys.readouterr().out

    assert main(["digest", "--channel", "support"]) == 0
    out = capsys.readouterr()
    assert "[console #support]" in out.out and "Posted late" in out.out and "missed" in out.out
    assert "console/support" in out.err and ": sent" in out.err and "gone" not in out.out

    assert main(["digest"]) == 0  # cron: the other channel now; support is not due again
    out = capsys.readouterr()
    assert "[console #gone]" in out.out and "[console #support]" not in out.out
    assert main(["digest"]) == 0
    assert "No digest is due." in capsys.readouterr().err

    assert main(["digest", "--status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("period end (UTC)") and len(lines) == 3
    assert all("sent, late" in line and "console/console/" in line for line in lines[1:])


def test_digest_for_a_channel_with_nothing_due_posts_its_current_period(seeded, capsys):
    assert main(["digest", "--channel", "support"]) == 0  # the due one, through the claim
    capsys.readouterr()
    assert main(["digest", "--channel", "support"]) == 0  # nothing due: the period so far, now
    out = capsys.readouterr()
    assert "[console #support]" in out.out and "Posted late" not in out.out
    assert "current period posted" in out.err
    assert main(["digest", "--status"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # still one claimed run: manual posts aren't runs
    assert main(["digest", "--channel", "nope"]) == 1
