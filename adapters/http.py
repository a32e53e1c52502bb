"""The one aiohttp application: platform routes, `/healthz`."""

from __future__ import annotations

import logging

from aiohttp import web

from adapters.platform import PlatformServer
from bot.bootstrap import App
from storage.database import SchemaBehind, ensure_current

log = logging.getLogger(__name__)
APP_KEY = web.AppKey("outputs_app", App)


async def healthz(request: web.Request) -> web.Response:
    """Up, database reachable and migrated: 200; anything else: 503 with the reason."""
    app = request.app[APP_KEY]
    try:
        await ensure_current(app.db)
    except SchemaBehind as exc:
        return web.json_response({"status": "unavailable", "database": str(exc)}, status=503)
    except Exception as exc:  # an unreachable database is exactly what this endpoint reports
        log.warning("health check: database unreachable: %s", type(exc).__name__)
        return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok"})


def build_web_app(app: App, servers: list[PlatformServer]) -> web.Application:
    web_app = web.Application(client_max_size=1024 * 1024)
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    for server in servers:
        server.add_routes(web_app)
    return web_app
