"""The `outputs-bot` command line: its subcommands, options and help texts."""

from __future__ import annotations

import argparse
from datetime import date


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="outputs-bot",
        description="Outputs: every channel declares what it produces; the bot captures it and "
        "reports each week.",
    )
    p.add_argument("--config", help="path to config.toml (default: $OUTPUTS_CONFIG, then ./config.toml)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser(
        "serve",
        help="run the HTTP server for Slack and Teams",
        description="Run one HTTP server for every configured platform: POST /slack/events, "
        "POST /api/messages (Teams), GET /healthz and GET /metrics. It listens on [server] host "
        "and port (OUTPUTS_SERVER__HOST, OUTPUTS_SERVER__PORT; default 0.0.0.0:3000). Slack and "
        "Teams must reach it over public HTTPS: put a reverse proxy or a tunnel in front. With no "
        "platform configured it exits and says which settings are missing.",
    )
    s.add_argument("--socket-mode", action="store_true", help="serve Slack over Socket Mode instead of HTTP")

    s = sub.add_parser(
        "shell",
        help="the console adapter: a simulated workspace on the same engine and database",
        description="The console adapter: one simulated workspace with channels, users, messages, "
        "reactions and a movable clock, on the same engine and database as serve. Type :help in it "
        "for the console lines, /outputs help for the commands. It reads standard input, so a "
        "script can be piped in.",
    )
    s.add_argument(
        "--demo",
        action="store_true",
        help="run the bundled demo script on a fresh temporary SQLite database, then stay "
        "interactive when standard input is a terminal",
    )
    s.add_argument("--script", metavar="FILE", help="read console lines from FILE before standard input")

    sub.add_parser(
        "migrate",
        help="upgrade the database schema to the latest version (Alembic)",
        description="Upgrade the database ([database] url, DATABASE_URL) to the schema this "
        "version needs, creating an SQLite file if there is none. The other commands refuse a "
        "database that is behind.",
    )

    s = sub.add_parser(
        "digest",
        help="compute and post the digests that are due",
        description="One scheduler pass, for cron: post the digests, reminders and roll-ups that "
        "are due, through the same once-only claims as serve (console channels are printed).",
    )
    s.add_argument(
        "--channel",
        metavar="ID",
        help="only this channel: its due digest through the claim, or else its current period so far, now",
    )
    s.add_argument(
        "--dry-run", action="store_true", help="print the digests without posting or recording them"
    )
    s.add_argument(
        "--status", action="store_true", help="list the digest runs: sent, failed (with the reason), claimed"
    )

    s = sub.add_parser(
        "charter",
        help="charters as code",
        description="Charters as code: export them as TOML, edit, and apply the file.",
    )
    csub = s.add_subparsers(dest="charter_command", metavar="ACTION", required=True)
    a = csub.add_parser(
        "apply",
        help="validate FILE.toml completely, then create or update its charters",
        description="Validate the whole file and report every problem (by channel and line) "
        "before changing anything; then create or update its charters.",
    )
    a.add_argument("file", metavar="FILE.toml")
    a.add_argument(
        "--by", default="charter-file", help="who the change is recorded as (default: charter-file)"
    )
    csub.add_parser(
        "export",
        help="print every charter as TOML, ready for `charter apply`",
        description="Print every charter as TOML, ready for `outputs-bot charter apply`.",
    )

    s = sub.add_parser(
        "config",
        help="the configuration as Outputs reads it",
        description="The configuration as Outputs reads it.",
    )
    csub = s.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check_help = (
        "print every setting (secrets masked), what each platform still needs, and whether "
        "the database is reachable and migrated; exit 1 when the database is not usable or no "
        "platform can be served"
    )
    c = csub.add_parser("check", help=check_help, description=check_help[:1].upper() + check_help[1:] + ".")
    c.add_argument(
        "--online",
        action="store_true",
        help="also ask the platforms whether they accept the credentials (Slack: auth.test; "
        "Teams: a token from the Microsoft identity platform)",
    )

    s = sub.add_parser(
        "secret",
        help="the key that encrypts stored platform tokens (OUTPUTS_SECRET_KEY)",
        description="Slack OAuth tokens are stored encrypted with the Fernet keys in "
        "OUTPUTS_SECRET_KEY (comma-separated: the first encrypts, all decrypt). See "
        "docs/operating.md for keeping, rotating and losing them.",
    )
    ssub = s.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    ssub.add_parser(
        "new",
        help="print a new key, for OUTPUTS_SECRET_KEY",
        description="Print a new Fernet key. It is not stored anywhere: keep it where the other "
        "secrets are kept.",
    )
    ssub.add_parser(
        "rotate",
        help="re-encrypt every stored token with the first key of OUTPUTS_SECRET_KEY",
        description="Re-encrypt every stored token with the first key of OUTPUTS_SECRET_KEY; the "
        "others must still open what they encrypted. Afterwards the old keys can be dropped.",
    )
    f = ssub.add_parser(
        "forget-unreadable",
        help="after a lost key: list, and with --yes delete, the Slack installations whose "
        "tokens no key in OUTPUTS_SECRET_KEY opens, so their workspaces can install the app again",
        description="When the key that encrypted some stored Slack tokens is lost, nothing can "
        "read them again: their workspaces are answered as if the app were not installed. This "
        "lists the installations (rows of slack_installations and slack_bots) holding a token "
        "that none of the keys in OUTPUTS_SECRET_KEY opens, and with --yes deletes them, so each "
        "of those workspaces can install the app again through /slack/install. Installations "
        "that open with the keys given are never touched, and no token is ever printed. If you "
        "still have the old key, put it back in OUTPUTS_SECRET_KEY (after the current one) "
        "instead.",
    )
    f.add_argument(
        "--yes",
        action="store_true",
        help="delete them (without it: a dry run that lists what would be deleted)",
    )

    s = sub.add_parser(
        "inbox",
        help="the requests kept and not yet worked: pending, running and failed counts, the oldest "
        "one's age, and the newest failures with their reason",
        description="Every request the bot answers is first written to the inbox, then worked. "
        "This shows what is waiting (pending: kept, waiting for a worker or for its next try after "
        "a passing fault; running: being worked) and what was given up on (failed: the person was "
        "told). Exit status 1 when something failed.",
    )
    s.add_argument(
        "--failures",
        type=int,
        default=10,
        metavar="N",
        help="how many of the newest failures to list (default 10)",
    )

    s = sub.add_parser(
        "export",
        help="print deliverables as CSV or JSON",
        description="Print deliverables (every channel, or one) as JSON (default) or CSV on standard output.",
    )
    s.add_argument("--format", choices=("csv", "json"), default="json")
    s.add_argument("--channel", metavar="ID", help="only this channel")
    s.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        type=day,
        help="only deliverables created on or after this day (UTC)",
    )
    return p


def day(text: str) -> date:
    """An argparse type: the error names the expected form, not Python's parser."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day; write it as YYYY-MM-DD") from None
