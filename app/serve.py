"""`outputs-bot serve`: every configured platform on one HTTP server."""

from __future__ import annotations

import asyncio
import gc
import importlib
import logging
import signal
import sys

from aiohttp import web

from adapters.http import build_web_app
from adapters.platform import PlatformServer, Posters, inbox_workers
from app.bootstrap import App, build
from app.scheduler import Scheduler
from bot.config import Settings
from bot.secret_keys import KEY_ENV, MAKE_A_KEY

log = logging.getLogger(__name__)
NEEDS_KEY = (
    f"{KEY_ENV}, the key the workspaces' tokens are encrypted with in the database; {MAKE_A_KEY}"
)

# platform → "module:function" building its PlatformServer(app, settings, socket_mode).
FACTORIES = {
    "slack": "adapters.slack.server:build",
    "teams": "adapters.teams.server:build",
}


def oauth_without_key(settings: Settings, socket_mode: bool = False) -> bool:
    """Slack OAuth (several workspaces) would keep tokens, and there is no key to encrypt them."""
    s = settings.slack
    oauth = not socket_mode and bool(s.client_id) and s.client_secret is not None
    return oauth and settings.security.secret_key is None


def configured(settings: Settings, socket_mode: bool = False) -> tuple[list[str], list[str]]:
    """(platforms ready to serve, what each unready one is missing)."""
    ready: list[str] = []
    missing: list[str] = []
    s = settings.slack
    slack_auth = s.bot_token is not None or (s.client_id and s.client_secret is not None)
    if oauth_without_key(settings, socket_mode):
        missing.append(f"Slack: {NEEDS_KEY}")
    elif socket_mode:
        if s.app_token is not None and s.bot_token is not None:
            ready.append("slack")
        else:
            missing.append("Slack (Socket Mode): SLACK_APP_TOKEN and SLACK_BOT_TOKEN")
    elif s.signing_secret is not None and slack_auth:
        ready.append("slack")
    else:
        missing.append(
            "Slack: SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
            "(or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for several workspaces)"
        )
    t = settings.teams
    if (t.app_id and t.app_password is not None) or t.allow_unauthenticated:
        ready.append("teams")
    else:
        missing.append(
            "Microsoft Teams: MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD "
            "(or teams.allow_unauthenticated = true for local testing)"
        )
    return ready, missing


def settle_memory() -> None:
    """Move what start-up built (modules, SQLAlchemy's and pydantic's machinery, catalogues:
    ~120,000 objects) out of the collector's sight. They live as long as the process, yet
    every full collection walked them all: 60-150 ms pauses, in which no request is acked."""
    gc.collect()
    gc.freeze()


def load_servers(app: App, settings: Settings, names: list[str], socket_mode: bool) -> list[PlatformServer]:
    servers = []
    for name in names:
        module, _, func = FACTORIES[name].partition(":")
        servers.append(getattr(importlib.import_module(module), func)(app, settings, socket_mode))
    return servers


async def serve(settings: Settings, socket_mode: bool = False) -> int:
    if oauth_without_key(settings, socket_mode):  # whatever else is ready: tokens are never kept in clear
        print(f"outputs-bot serve: Slack OAuth is configured, and needs {NEEDS_KEY}", file=sys.stderr)
        return 2
    names, missing = configured(settings, socket_mode)
    if not names:
        print(
            "outputs-bot serve: no platform is configured. Set, for each platform you want:\n  "
            + "\n  ".join(missing),
            file=sys.stderr,
        )
        return 2
    app = await build(settings)
    servers = load_servers(app, settings, names, socket_mode)
    runner = web.AppRunner(build_web_app(app, servers), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.server.host, settings.server.port)
    await site.start()
    try:
        for server in servers:
            await server.start()
    except Exception as exc:  # a platform that cannot start (Socket Mode refused): say why, clean up
        log.error("a platform could not start: %s", exc)
        print(f"outputs-bot serve: {exc}", file=sys.stderr)
        for server in servers:
            await server.stop()
        await runner.cleanup()
        await app.close()
        return 1
    workers = inbox_workers(app, servers)
    workers.start()  # takes up at once what was kept and not worked before a restart
    scheduler = None
    if settings.scheduler.enabled:
        scheduler = Scheduler(app.engine.services, Posters(servers), settings.scheduler)
        await scheduler.start()  # rebuilds the jobs and posts whatever fell due while we were down
    settle_memory()
    log.info("serving %s on %s:%s", ", ".join(names), settings.server.host, settings.server.port)
    print(
        f"Outputs is serving {', '.join(names)} on http://{settings.server.host}:{settings.server.port}",
        file=sys.stderr,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if scheduler is not None:
            await scheduler.shutdown()
        await workers.stop()
        for server in servers:
            await server.stop()
        await runner.cleanup()
        await app.close()
    return 0
