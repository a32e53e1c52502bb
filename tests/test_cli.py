"""`outputs-bot` end to end on a real SQLite file: in-process (`app.cli.main`, its output
captured), and once as a real subprocess whose reader leaves early."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tomllib

import pytest

CHARTERS = """
[[charter]]
platform = "console"
workspace_id = "console"
channel_id = "support"
purpose = "Solve customer problems"
owners = ["admin"]
timezone = "Europe/Paris"
language = "fr"
schedule = "fri 16:00"

[[charter.types]]
key = "solution"
label = "Problem solved"
emoji = "white_check_mark"
fields = ["problem", "fix", "area?"]
target = "3/week"

[[charter]]
platform = "console"
workspace_id = "console"
channel_id = "ideas"
purpose = "Ideas"
schedule = "off"
"""


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve"],
        ["shell"],
        ["migrate"],
        ["digest"],
        ["charter"],
        ["charter", "apply"],
        ["charter", "export"],
        ["export"],
    ],
)
def test_help_on_every_command(cli, args):
    res = cli(*args, "--help")
    assert res.returncode == 0 and "usage: outputs-bot" in res.stdout


def test_serve_without_a_platform_says_which_settings_are_missing(cli):
    res = cli("serve")
    assert res.returncode == 2
    assert "SLACK_SIGNING_SECRET" in res.stderr and "MICROSOFT_APP_ID" in res.stderr


def test_a_database_that_is_behind_is_refused(cli):
    res = cli("export")
    assert res.returncode != 0 and "outputs-bot migrate" in res.stderr
    assert cli("migrate").returncode == 0
    assert cli("export").returncode == 0


def test_bad_configuration_is_named(cli, tmp_path):
    (tmp_path / "bad.toml").write_text("[server]\nprot = 1\n")
    res = cli("--config", str(tmp_path / "bad.toml"), "migrate")
    assert res.returncode == 2 and "prot" in res.stderr and "bad.toml" in res.stderr


def test_charter_apply_export_round_trip(cli, tmp_path):
    cli("migrate")
    (tmp_path / "c.toml").write_text(CHARTERS)
    res = cli("charter", "apply", "c.toml")
    assert res.returncode == 0 and "2 created or updated" in res.stdout, res.stderr
    again = cli("charter", "apply", "c.toml")
    assert "0 created or updated" in again.stdout
    exported = cli("charter", "export").stdout
    support = next(c for c in tomllib.loads(exported)["charter"] if c["channel_id"] == "support")
    assert support["types"][0]["fields"] == ["problem", "fix", "area?"]
    assert exported.count("[[charter]]") == 2 and "[[charter.types]]" in exported
    (tmp_path / "e.toml").write_text(exported)
    assert "0 created or updated" in cli("charter", "apply", "e.toml").stdout


def test_charter_apply_validates_everything_before_changing_anything(cli, tmp_path):
    cli("migrate")
    bad = CHARTERS.replace('target = "3/week"', 'target = "3/fortnight"').replace(
        'schedule = "off"', 'schedule = "off"\ntimezone = "Mars/Olympus"\ncolour = "red"'
    )
    (tmp_path / "bad.toml").write_text(bad)
    res = cli("charter", "apply", "bad.toml")
    assert res.returncode == 1 and "nothing was changed" in res.stderr
    # every problem at once, each by its line and channel (and type), in words
    err = res.stderr
    assert "bad.toml:12: charter for support, type solution: target '3/fortnight' must look like" in err
    assert "bad.toml:19: charter for ideas: unknown key 'colour'" in res.stderr
    assert "bad.toml:19: charter for ideas: timezone: unknown timezone 'Mars/Olympus'" in res.stderr
    assert cli("charter", "export").stdout.count("[[charter]]") == 0
    (tmp_path / "broken.toml").write_text("[[charter]\n")
    assert "not valid TOML" in cli("charter", "apply", "broken.toml").stderr


def test_export_json_and_csv(cli, tmp_path):
    cli("migrate")
    (tmp_path / "c.toml").write_text(CHARTERS)
    cli("charter", "apply", "c.toml")
    script = "\n".join([":channel support", "/outputs deliver solution Fixed it problem=p fix=f", ":quit"])
    assert cli("shell", input=script).returncode == 0
    rows = json.loads(cli("export", "--format", "json").stdout)
    assert (
        len(rows) == 1
        and rows[0]["channel_id"] == "support"
        and rows[0]["fields"] == {"problem": "p", "fix": "f"}
    )
    assert rows[0]["status"] == "complete" and rows[0]["via"] == "command"
    assert json.loads(cli("export", "--channel", "nope").stdout) == []
    assert json.loads(cli("export", "--since", "2999-01-01").stdout) == []
    csv = cli("export", "--format", "csv").stdout
    assert csv.splitlines()[0].startswith("id,platform,workspace_id,channel_id,type,status")


def test_export_streams_every_row_as_the_whole_list_export_lays_it_out(cli, tmp_path):
    """More rows than one batch (EXPORT_BATCH), with commas, quotes, line breaks and accents:
    the streamed stdout is byte for byte what the whole-list export (before issue 12) printed."""
    from datetime import timedelta

    from storage.database import Database
    from storage.deliverables import EXPORT_BATCH
    from storage.repository import SqlRepository
    from tests.bot.test_export_format import old_to_csv, old_to_json
    from tests.storage.factories import T0, channel, new
    from tests.storage.plans import bulk_insert

    cli("migrate")
    n = 2 * EXPORT_BATCH + 7
    odd = ['a, "quoted" one', "two\nlines\r\nand a CR\r", "Résumé 🚀 «ok»", "plain"]

    async def fill() -> dict[str, str]:
        db = Database(f"sqlite:///{tmp_path / 'o.db'}")
        repo = SqlRepository(db)
        try:
            rows = []
            for i in range(n):
                text = odd[i % len(odd)]
                fields = {"problem": text} if i % 3 else {}
                at = T0 + timedelta(minutes=i // 4)  # ties across batch boundaries
                rows.append(new(channel(f"c{i % 2}"), message_id=str(i), text=text, fields=fields,
                                created_at=at))
            await bulk_insert(db, rows)
            everything = await repo.export()
            assert len(everything) == n
            assert everything == sorted(everything, key=lambda d: (d.created_at, d.id))
            c1 = [d for d in everything if d.channel.channel_id == "c1"]
            json_out = old_to_json(everything) + "\n"  # the CLI ends JSON with a line break
            return {"csv": old_to_csv(everything), "json": json_out, "c1": old_to_csv(c1)}
        finally:
            await db.dispose()

    expected = asyncio.run(fill())

    def export(*args: str) -> str:
        res = cli("export", *args)
        assert res.returncode == 0, res.stderr
        return res.stdout

    assert export("--format", "csv") == expected["csv"]
    out = export("--format", "json")
    assert out == expected["json"] and len(json.loads(out)) == n
    assert export("--format", "csv", "--channel", "c1") == expected["c1"]


def test_digest_for_one_channel_and_due(cli, tmp_path):
    cli("migrate")
    (tmp_path / "c.toml").write_text(CHARTERS)
    cli("charter", "apply", "c.toml")
    res = cli("digest", "--channel", "support", "--dry-run")
    assert res.returncode == 0 and "Problem solved" in res.stdout
    assert "Ce que nous avons produit" in res.stdout or "produit" in res.stdout  # the charter is in French
    res = cli("digest")
    assert res.returncode == 0, res.stderr
    assert cli("digest", "--channel", "nope").returncode == 1


def test_charter_apply_names_every_problem_by_channel_and_line(cli, tmp_path):
    """Issue 13, point 10: all errors at once, by channel and TOML line; which emoji is shared."""
    cli("migrate")
    bad = CHARTERS.replace('target = "3/week"', 'target = "abc"').replace(
        'schedule = "off"',
        'schedule = "off"\n\n[[charter.types]]\nkey = "idea"\nlabel = "Idée"\nemoji = "💡"\n\n'
        '[[charter.types]]\nkey = "bulb"\nlabel = "Bulb"\nemoji = "bulb"\nfields = ["Équipe", "équipe"]',
    )
    (tmp_path / "bad.toml").write_text(bad)
    res = cli("charter", "apply", "bad.toml")
    err = res.stderr
    assert res.returncode == 1 and "Traceback" not in err and "invalid literal" not in err
    assert "bad.toml:12: charter for support, type solution: target 'abc' must look like" in err
    assert "charter for ideas, type bulb: fields: field names must be unique (équipe)" in err
    # once the types are fixed, the emoji shared by two of them is named
    good_fields = bad.replace('fields = ["Équipe", "équipe"]', 'fields = ["Équipe"]')
    good_fields = good_fields.replace('"abc"', '"3/week"')
    (tmp_path / "bad.toml").write_text(good_fields)
    err = cli("charter", "apply", "bad.toml").stderr
    assert "two output types cannot share an emoji (:bulb: is on idea and bulb)" in err, err


def test_cli_errors_are_sentences_and_a_closed_pipe_is_quiet(cli, tmp_path):
    """Issue 13, point 11."""
    cli("migrate")
    res = cli("export", "--since", "yesterday")
    assert res.returncode == 2 and "'yesterday' is not a day; write it as YYYY-MM-DD" in res.stderr
    assert "fromisoformat" not in res.stderr
    for args in (["serve"], ["shell"], ["migrate"], ["digest"], ["charter", "apply"], ["export"],
                 ["config", "check"], ["inbox"]):
        out = cli(*args, "--help").stdout
        body = out.split("\n\n", 2)[1]  # argparse: usage, then the description
        assert not body.lstrip().startswith(("options:", "positional")), (args, out)
    serve = cli("serve", "--help").stdout
    assert "host" in serve and "port" in serve and "HTTPS" in serve
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPUTS_")}
    env["OUTPUTS_DATABASE__URL"] = f"sqlite:///{tmp_path / 'o.db'}"
    (tmp_path / "c.toml").write_text(CHARTERS)
    cli("charter", "apply", "c.toml")
    # more than a pipe's buffer, so that the writer is still writing when `head` leaves
    lines = [f"/outputs deliver solution Fix {i} {'x' * 4000} problem=p fix=f" for i in range(40)]
    script = "\n".join([":channel support", *lines])
    cli("shell", input=script + "\n:quit\n")
    res = subprocess.run(
        f"{sys.executable} -m app.cli export --format csv | head -3",
        shell=True, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )
    assert len(res.stdout.splitlines()) == 3
    assert "Traceback" not in res.stderr and "BrokenPipe" not in res.stderr, res.stderr


def test_charter_apply_refuses_an_emoji_that_can_never_tag(cli, tmp_path):
    """Issue 13, point 2, in charter files: a console or Teams charter's emoji must be a
    standard name; on Slack a name that is not standard may be the workspace's own."""
    cli("migrate")
    typo = CHARTERS.replace('emoji = "white_check_mark"', 'emoji = "white_chek_mark"', 1)
    assert typo != CHARTERS
    (tmp_path / "typo.toml").write_text(typo)
    res = cli("charter", "apply", "typo.toml")
    assert res.returncode == 1, res.stdout
    assert "emoji 'white_chek_mark' is not an emoji name (did you mean white_check_mark" in res.stderr
    custom = typo.replace('platform = "console"', 'platform = "slack"')
    (tmp_path / "custom.toml").write_text(custom)
    assert cli("charter", "apply", "custom.toml").returncode == 0
