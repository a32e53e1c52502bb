"""The console's `:time` steps through nudge, digest and roll-up times like a running scheduler."""

from __future__ import annotations

from tests.console.test_shell import run


async def test_time_shows_reminders_digests_drafts_and_the_rollup(sqlite_db, sqlite_repo):
    out = await run(
        sqlite_db,
        sqlite_repo,
        [
            "/outputs purpose Solve problems",
            '/outputs type add solution "Problem solved" emoji=white_check_mark '
            "fields=problem,fix target=2/week",
            "/outputs schedule fri 16:00 Europe/Paris",
            "/outputs rollup here",
            ":user alice",
            "The VPN drops every hour",
            "+:white_check_mark: #1",
            ":user admin",
            ":time +5d",
        ],
    )
    text = "\n".join(out)
    reminder = text.index("*Reminder:* the digest for #general is posted Friday 27 November 16:00")
    assert "Still missing: Problem solved (0 of 2)" in text
    draft = text.index("(private to alice) Your draft #1 in #general")
    digest = text.index("[#general] Outputs: *What we produced* in #general")
    rollup = text.index("[#general] Outputs: *Portfolio* of this workspace")
    assert draft < reminder < digest < rollup  # Tuesday 09:00 (tagged + 24 h), Wednesday 16:00, Friday
