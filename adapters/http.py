"""The one aiohttp application: platform routes, `/healthz`, `/metrics`, the dashboard.

A middleware gives every request an id for the logs (`X-Request-Id`, taken from the
request when it carries a sane one) and, for the platforms' routes, counts it by platform,
kind and status and times its answer (the ack). Adapters name the kind more precisely
with `label()` (a slash command, an event type, an activity type).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from adapters.metrics import Metrics
from adapters.platform import PlatformServer
from adapters.runtime import Runtime
from bot import logs

log = logging.getLogger(__name__)
APP_KEY = web.AppKey("outputs_app", Runtime)
METRICS_KEY = web.AppKey("outputs_metrics", Metrics)
# aiohttp 3.12+ wants typed request keys; older ones take a string.
KIND: Any = web.RequestKey("outputs_kind", str) if hasattr(web, "RequestKey") else "outputs_kind"
HEALTH_TIMEOUT_SECONDS = 5.0
INBOX_STATS_TIMEOUT_SECONDS = 2.0
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# path prefix → platform; anything else (health, metrics) is not a platform request.
PLATFORM_PATHS = (("/slack/", "slack"), ("/api/messages", "teams"))

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def label(request: web.Request, kind: str) -> None:
    """Name what a platform request is, for `outputs_requests_total{kind=…}`."""
    request[KIND] = kind


def platform_of(path: str) -> str | None:
    return next((name for prefix, name in PLATFORM_PATHS if path.startswith(prefix)), None)


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = request.headers.get("X-Request-Id", "")
    request_id = given if _REQUEST_ID.match(given) else logs.new_request_id()
    logs.bind(request_id=request_id)  # this request's task only: aiohttp runs one per request
    platform = platform_of(request.path)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers["X-Request-Id"] = request_id
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        seconds = time.perf_counter() - started
        if platform is not None:
            kind = request.get(KIND) or request.path.rsplit("/", 1)[-1] or "unknown"
            request.app[METRICS_KEY].request(platform, kind, status, seconds)
            # the one line per platform request: what and how it went, never the payload
            log.info("%s %s: %d in %.1f ms", platform, kind, status, seconds * 1000)
        else:
            log.debug("%s %s: %d in %.1f ms", request.method, request.path, status, seconds * 1000)


class HealthCheck:
    """One look at the database at a time, answered within `HEALTH_TIMEOUT_SECONDS` whatever
    the database does. Cancelling a query stuck on a lock does not free it (SQLite's driver
    waits in a thread, and closing the connection waits for that thread), so the look runs
    in a task of its own that the answer stops waiting for; probes arriving meanwhile wait
    on the same look instead of starting more."""

    def __init__(self, app: Runtime) -> None:
        self.app = app
        self._look: asyncio.Task[str | None] | None = None

    async def answer(self) -> web.Response:
        if self._look is None or self._look.done():
            self._look = asyncio.get_running_loop().create_task(self.app.schema_problem())
            self._look.add_done_callback(_retrieve)
        done, _ = await asyncio.wait({self._look}, timeout=HEALTH_TIMEOUT_SECONDS)
        if not done:
            log.warning("health check: the database did not answer within %g s", HEALTH_TIMEOUT_SECONDS)
            return web.json_response({"status": "unavailable", "database": "no answer"}, status=503)
        exc = self._look.exception()
        if exc is None and (behind := self._look.result()) is not None:
            return web.json_response({"status": "unavailable", "database": behind}, status=503)
        if exc is not None:  # an unreachable database is exactly what this endpoint reports
            log.warning("health check: database unreachable: %s", type(exc).__name__)
            return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok"})


HEALTH_KEY = web.AppKey("outputs_health", HealthCheck)


def _retrieve(task: asyncio.Task[str | None]) -> None:
    if not task.cancelled():
        task.exception()  # looked at by `answer`, or by nobody when no probe waited that long


async def healthz(request: web.Request) -> web.Response:
    """Up, database reachable and migrated: 200; anything else: 503 with the reason."""
    return await request.app[HEALTH_KEY].answer()


async def metrics(request: web.Request) -> web.Response:
    m = request.app[METRICS_KEY]
    app = request.app[APP_KEY]
    try:
        async with asyncio.timeout(INBOX_STATS_TIMEOUT_SECONDS):
            stats = await app.inbox.stats()
    except Exception as exc:  # the database is away: the other metrics still answer
        log.warning("metrics: the inbox could not be read: %s", type(exc).__name__)
    else:
        oldest = 0.0
        if stats.oldest_pending is not None:
            oldest = max(0.0, (app.engine.services.clock.now() - stats.oldest_pending).total_seconds())
        m.inbox(stats.pending, stats.running, stats.failed, oldest)
    return web.Response(body=m.exposition(), headers={"Content-Type": m.content_type})


class UnparsableRequests(logging.Filter):
    """aiohttp logs a request it cannot parse (a request line or header too long, bytes that
    are not HTTP) as an ERROR with its traceback, before any handler of ours runs. It answers
    400: the fault is the client's, worth one line at INFO and no traceback."""

    LOGGER = "aiohttp.server"

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and 400 <= (exc.code or 400) < 500:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "unparsable HTTP request refused (%d): %s", (exc.code, exc.message)
            record.exc_info = record.exc_text = None
        return True

    @classmethod
    def install(cls) -> None:
        server = logging.getLogger(cls.LOGGER)
        if not any(isinstance(f, cls) for f in server.filters):
            server.addFilter(cls())


def build_web_app(
    app: Runtime, servers: list[PlatformServer], metrics_: Metrics | None = None
) -> web.Application:
    """The server for `app`; its metrics (a fresh registry unless given) observe the engine too."""
    UnparsableRequests.install()
    m = metrics_ or Metrics()
    app.engine.services.observer.attach(m)
    web_app = web.Application(client_max_size=1024 * 1024, middlewares=[observe])
    web_app[APP_KEY] = app
    web_app[METRICS_KEY] = m
    web_app[HEALTH_KEY] = HealthCheck(app)
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)
    for server in servers:
        server.add_routes(web_app)
    from adapters.dashboard import routes as dashboard  # it reads APP_KEY from this module

    dashboard.add_routes(web_app)
    return web_app
