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


async def check(settings: Settings, out: IO[str], source: str = "") -> int:
    def say(line: str = "") -> None:
        print(line, file=out)

    say(f"Configuration: {source or 'defaults and environment (no config.toml)'}")
    shown = settings.describe()
    width = max(len(k) for k, _ in shown)
    for key, value in shown:
        say(f"  {key:<{width}} = {value}")

    ready = _platforms(settings, say)
    db_ok = await _database(settings, dict(shown)["database.url"], say)

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
    from adapters.serve import configured

    http_ready, http_missing = configured(settings, socket_mode=False)
    socket_ready, _ = configured(settings, socket_mode=True)
    say()
    say("Platforms:")
    for name in ("slack", "teams"):
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


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no detail"
