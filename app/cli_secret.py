"""`outputs-bot secret rotate` and `secret forget-unreadable`: the stored tokens and their key.

(`secret new` needs no settings, so app.cli answers it before reading them.)
"""

from __future__ import annotations

import sys
from typing import Any

from bot.config import Settings

EXIT_USAGE = 2


async def secret(settings: Settings, args: Any) -> int:
    from bot.secret_keys import KEY_ENV, MAKE_A_KEY
    from storage.database import Database, ensure_current
    from storage.secrets import SecretKeyError, TokenCipher

    key = settings.security.secret_key
    if key is None:
        print(f"outputs-bot: {KEY_ENV} is not set; {MAKE_A_KEY}", file=sys.stderr)
        return EXIT_USAGE
    cipher = TokenCipher(key.get_secret_value())
    db = Database(settings.database.url)
    try:
        await ensure_current(db)
        if args.secret_command == "forget-unreadable":
            return await _forget(settings, db, cipher, args.yes)
        from storage.slack_tokens import reseal_tokens

        changed = await reseal_tokens(db.writer, cipher)
    except SecretKeyError as exc:  # one token would not open: none was changed
        print(f"outputs-bot: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    drop = " The keys after the first can now be removed." if cipher.key_count > 1 else ""
    print(f"{changed} stored tokens encrypted with the first key of {KEY_ENV}.{drop}")
    return 0


async def _forget(settings: Settings, db: Any, cipher: Any, yes: bool) -> int:
    """The installations whose tokens no key opens: listed, and deleted with --yes. A dry
    run by default, because a wrong key in the environment makes every row look lost."""
    from bot.secret_keys import KEY_ENV
    from storage.unreadable import FORGET, find_unreadable, forget_unreadable

    rows = await (forget_unreadable(db.writer, cipher) if yes else find_unreadable(db.engine, cipher))
    if not rows:
        print(f"Every stored Slack installation opens with {KEY_ENV}: nothing to delete.")
        return 0
    workspaces = sorted({r.workspace for r in rows})
    print(
        f"Slack tokens that no key in {KEY_ENV} opens, in {_n(len(rows), 'stored row')} "
        f"({_n(len(workspaces), 'workspace')}):"
    )
    for r in rows:
        when = f"installed {r.installed_at:%Y-%m-%d %H:%M} UTC" if r.installed_at else "install time unknown"
        by = f", installed by {r.user_id}" if r.user_id else ""
        name = f" ({r.team_name})" if r.team_name else ""
        print(f"  workspace {r.workspace}{name}: {r.table} #{r.id}, {when} (app {r.app_id or '?'}{by})")
    again = f"install the app again from {_install_url(settings)}"
    if yes:
        print(f"Deleted them. Have each of these workspaces {again}: {', '.join(workspaces)}.")
        return 0
    print(
        "Nothing was deleted (a dry run). If you still have the key that encrypted them, put it "
        f"back in {KEY_ENV}, after the current one, instead: they open again, and nothing is lost. "
        f"If it is lost, run `{FORGET} --yes` to delete them, then have each workspace {again}."
    )
    return 0


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _install_url(settings: Settings) -> str:
    public = settings.server.public_url.rstrip("/")
    path = settings.slack.installation_path
    return f"{public}{path}" if public else f"https://<your host>{path}"
