"""The console adapter, driven by scripts as `outputs-bot shell` reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from adapters.console.shell import Shell
from adapters.console.world import MovableClock
from bot.context import EngineSettings
from bot.engine import Engine
from storage.console_store import ConsoleMessages

ROOT = Path(__file__).resolve().parents[2]


async def run(db, repo, lines: list[str], start=datetime(2026, 11, 23, 9, 0, tzinfo=UTC)) -> list[str]:
    out: list[str] = []
    clock = MovableClock(start)
    shell = Shell(Engine(repo, clock, EngineSettings()), ConsoleMessages(db), clock, out.append)
    await shell.start()
    for line in lines:
        out.append(f"> {line}")
        await shell.line(line)
    return out


SETUP = [
    "/outputs purpose Solve problems",
    '/outputs type add solution "Problem solved" emoji=white_check_mark fields=problem,fix target=1/week',
    "/outputs schedule fri 16:00 Europe/Paris",
]


async def test_declare_capture_enforce_digest(sqlite_db, sqlite_repo):
    out = await run(
        sqlite_db,
        sqlite_repo,
        [
            *SETUP,
            ":user alice",
            "The VPN drops every hour: renewed the DHCP lease time",
            "+:white_check_mark: #1",
            '/outputs complete 1 problem="VPN drops" fix="DHCP lease"',
            "/outputs deliver report nope",
            ":time +5d",
        ],
    )
    text = "\n".join(out)
    assert "#1" in text and "Recorded #1" in text and "still needs: Problem, Fix" in text
    assert "`report` is not an output type" in text
    assert "[#general] Outputs: *What we produced* in #general" in text
    assert "✅ Problem solved: 1/1 (met)" in text
    assert "Posted late" not in text  # the clock stepped onto the digest time
    assert "Welcome to #general" in text  # alice got the charter privately


async def test_reactions_edit_delete_lang_and_bad_lines(sqlite_db, sqlite_repo):
    out = await run(
        sqlite_db,
        sqlite_repo,
        [
            *SETUP,
            "first draft of the fix",
            "+:white_check_mark: #1",
            ":edit #1 final text of the fix",
            "/outputs list",
            ":delete #1",
            "/outputs list all",
            "-:white_check_mark: #1",
            ":edit #99 nothing",
            ":time soon",
            ":nonsense",
            "/outputs type add",
            ":lang fr",
            "/outputs blah",
            ":channel secret private",
            ":quit",
        ],
    )
    text = "\n".join(out)
    assert "final text of the fix" in text
    assert "(no message #99)" in text and "Usage: :time +3d" in text and "Unknown console line" in text
    assert "Usage: `/outputs type add" in text
    assert "(dans #secret)" in text  # after :lang fr the console speaks French
    assert "Traceback" not in text and "! error" not in text


def test_cli_shell_reads_a_script_from_stdin(cli):
    assert cli("migrate").returncode == 0
    script = "\n".join([*SETUP, "hello world", "+:white_check_mark: #1", "/outputs drafts", ":quit"])
    res = cli("shell", input=script)
    assert res.returncode == 0, res.stderr
    assert "Recorded #1" in res.stdout and "still needs: Problem, Fix" in res.stdout


def test_cli_demo_runs_start_to_finish(cli, tmp_path):
    res = cli("shell", "--demo")
    assert res.returncode == 0, res.stderr
    assert "Declared output type Problem solved" in res.stdout
    assert "What we produced" in res.stdout and "Contributors" in res.stdout
    assert not list(tmp_path.iterdir())  # the demo leaves no database behind
