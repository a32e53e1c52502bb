"""`outputs-bot config check`: what is set, what each platform still needs, and the database.

Exit status: 0 when the database is reachable and migrated and at least one platform can be
served; 1 otherwise (so a deployment can run it as a gate before `serve`). Secrets are
shown only as set or not set; a password in the database URL is masked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import IO

from bot.config import Settings

DB_TIMEOUT_SECONDS = 15.0


async def check(settings: Settings, out: IO[str], source: str = "", *, online: bool = False) -> int:
    def say(line: str = "") -> None:
        print(line, file=out)

    say(f"Configuration: {source or 'defaults and environment (no config.toml)'}")
    shown = settings.describe()
    width = max(len(k) for k, _ in shown)
    for key, value in shown:
        say(f"  {key:<{width}} = {value}")

    ready = _platforms(settings, say)
    if online and "slack" in ready and not await _slack_online(settings, say):
        ready.remove("slack")
    if online and "teams" in ready and not await _teams_online(settings, say):
        ready.remove("teams")
    db_ok = await _database(settings, dict(shown)["database.url"], say)
    if db_ok and not await _stored_tokens(settings, say) and "slack" in ready:
        ready.remove("slack")

    say()
    if db_ok and ready:
        say(f"OK: ready to serve {', '.join(ready)}.")
        return 0
    problems = ([] if db_ok else ["the database is not usable"]) + (
        [] if ready else ["no platform is configured"]
    )
    say(f"NOT READY: {'; '.join(problems)}.")
    return 1


Say = Callable[..., None]
_LABELS = {"slack": "Slack:", "teams": "Microsoft Teams:"}


def _platforms(settings: Settings, say: Say) -> list[str]:
    from app.serve import configured

    http_ready, http_missing = configured(settings, socket_mode=False)
    socket_ready, _ = configured(settings, socket_mode=True)
    say()
    say("Platforms:")
    shaped = {name for name in ("slack", "teams") if _token_shape(settings, name, say)}
    http_ready = [n for n in http_ready if n in shaped]
    socket_ready = [n for n in socket_ready if n in shaped]
    for name in ("slack", "teams"):
        if name not in shaped:
            continue
        if name in http_ready:
            how = "ready (HTTP)"
            if name == "teams" and not settings.teams.app_id:
                how = "ready, WITHOUT authentication (teams.allow_unauthenticated; local testing only)"
            say(f"  {name}: {how}")
        elif name in socket_ready:
            say(f"  {name}: ready for `serve --socket-mode` only")
        else:
            need = next(m for m in http_missing if m.startswith(_LABELS[name]))
            say(f"  {name}: not configured; needs {need.split(': ', 1)[1]}")
    return sorted(set(http_ready) | set(socket_ready))


def _token_shape(settings: Settings, platform: str, say: Say) -> bool:
    """Offline: a Slack token of the wrong kind is caught before Slack is asked."""
    if platform != "slack":
        return True
    s = settings.slack
    problems = []
    for name, secret, prefixes in (
        ("SLACK_BOT_TOKEN", s.bot_token, ("xoxb-", "xoxe.xoxb-")),
        ("SLACK_APP_TOKEN", s.app_token, ("xapp-",)),
    ):
        if secret is not None and not secret.get_secret_value().startswith(prefixes):
            problems.append(f"{name} does not start with {prefixes[0]}")
    for problem in problems:
        say(f"  slack: NOT READY: {problem} (copy it again from the app's settings)")
    return not problems


async def _slack_online(settings: Settings, say: Say) -> bool:
    from adapters.slack.token_check import check_token

    token = settings.slack.bot_token
    if token is None:  # OAuth: each workspace's token is checked when it is used
        say("  slack: online check skipped (tokens come from OAuth installations)")
        return True
    accepted, detail = await check_token(token.get_secret_value(), settings.slack.api_base_url)
    if accepted:
        say(f"  slack: Slack accepts the bot token: {detail}")
    else:
        say(f"  slack: NOT READY: Slack refused the bot token ({detail})")
    return accepted


async def _teams_online(settings: Settings, say: Say) -> bool:
    from adapters.teams.token_check import TIMEOUT_SECONDS, check_token

    if not settings.teams.app_id:  # teams.allow_unauthenticated: no app, no token to ask for
        say("  teams: online check skipped (no MICROSOFT_APP_ID: authentication is off)")
        return True
    try:  # msal is blocking; its own timeout bounds each request, this the whole exchange
        async with asyncio.timeout(3 * TIMEOUT_SECONDS):
            accepted, detail = await asyncio.to_thread(check_token, settings.teams)
    except TimeoutError:
        accepted, detail = False, f"no answer from {settings.teams.login_url} in time"
    if accepted:
        say(f"  teams: ready: {detail}")
    else:
        say(f"  teams: NOT READY: {detail}")
    return accepted


async def _database(settings: Settings, shown_url: str, say: Say) -> bool:
    from storage.database import Database, SchemaBehind, async_url, ensure_current, schema_status

    say()
    say(f"Database: {shown_url}")
    url = settings.database.url
    parsed, _ = async_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if not path.exists():  # connecting would create an empty file
            say(f"  NOT READY: {path} does not exist; `outputs-bot migrate` creates it.")
            return False
    db = Database(url)
    try:
        async with asyncio.timeout(DB_TIMEOUT_SECONDS):
            current, head = await schema_status(db)
            try:
                await ensure_current(db)
            except SchemaBehind as exc:
                say(f"  reachable; revision {current or 'none'}, this version needs {head}")
                say(f"  NOT READY: {exc}")
                return False
    except TimeoutError:
        say(f"  NOT READY: no answer within {DB_TIMEOUT_SECONDS:g} s.")
        return False
    except Exception as exc:  # what the driver says, without the URL (it may hold a password)
        say(f"  NOT READY: unreachable ({type(exc).__name__}: {_first_line(exc)}).")
        return False
    finally:
        await db.dispose()
    say(f"  reachable and migrated (revision {current}).")
    return True


async def _stored_tokens(settings: Settings, say: Say) -> bool:
    """Whether a secret key is set, and whether the stored OAuth tokens are encrypted and
    open with it: False when Slack OAuth is configured and they would not serve."""
    from bot.secret_keys import KEY_ENV
    from storage.database import Database
    from storage.secrets import TokenCipher
    from storage.slack_tokens import token_counts

    key = settings.security.secret_key
    cipher = TokenCipher(key.get_secret_value()) if key is not None else None
    say()
    if cipher is None:
        say(f"Token encryption: no key ({KEY_ENV} not set; Slack OAuth needs one)")
    else:
        more = f", {cipher.key_count - 1} more that only decrypt" if cipher.key_count > 1 else ""
        say(f"Token encryption: {KEY_ENV} set (1 key that encrypts{more})")
    db = Database(settings.database.url)
    try:
        async with asyncio.timeout(DB_TIMEOUT_SECONDS):
            counts = await token_counts(db.engine, cipher)
    except Exception as exc:
        say(f"  NOT READY: the stored tokens could not be read ({type(exc).__name__}: {_first_line(exc)}).")
        return False
    finally:
        await db.dispose()
    if not counts.encrypted and not counts.plain:
        say("  no stored tokens (no Slack OAuth installation)")
        return True
    say(f"  stored tokens: {counts.encrypted} encrypted, {counts.plain} in plain text")
    if counts.plain:
        say("  NOT READY: tokens in plain text; `outputs-bot secret rotate` encrypts them.")
    if cipher is None:
        say(f"  {KEY_ENV} is not set, so the stored tokens cannot be used.")
    elif counts.unopened:
        say(
            f"  NOT READY: {counts.unopened} stored tokens do not open with {KEY_ENV}: put back the "
            "key that encrypted them (after the new one); if it is lost, `outputs-bot secret "
            "forget-unreadable` lists (and with --yes deletes) the installations to reinstall."
        )
    oauth = bool(settings.slack.client_id) and settings.slack.client_secret is not None
    return not oauth or (not counts.plain and cipher is not None and not counts.unopened)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no detail"
