"""The dashboard's HTTP routes, on the bot's one aiohttp application.

Every page but the sign-in link and the stylesheet needs a session; without one the answer
is 401 and says how to get a link, and shows nothing else. A channel the viewer may not see
(another workspace's, a private one they are not in, one without a charter) is answered
exactly as an id that does not exist: 404, so an address tells nothing about a channel one
may not see. The engine decides who sees what (bot.directory); this module only reads
requests and writes answers.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.dashboard import answers, cookies, query, render
from adapters.http import APP_KEY, Handler
from bot import directory, signin
from bot import export as exporting
from bot.commands.deliverable_cmds import CHAT_EXPORT_MAX_ROWS
from bot.context import Services
from bot.i18n import Translator, translator

log = logging.getLogger(__name__)

PREFIX = "/dashboard"
UNKNOWN = "dashboard-unknown"  # the route of what no other dashboard route takes
STYLESHEET = Path(__file__).resolve().parent / "static" / "dashboard.css"
# A CSV holds what the page's filter selects, newest first, up to the cap of an export in chat.
CSV_MAX_ROWS = CHAT_EXPORT_MAX_ROWS
MAX_CHANNEL_ID = 255  # longer than any platform's ids, and than the column
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# aiohttp 3.12+ wants typed request keys; older ones take a string.
VIEWER: Any = (
    web.RequestKey("outputs_dashboard_viewer", directory.Viewer)
    if hasattr(web, "RequestKey")
    else "outputs_dashboard_viewer"
)


class _NotSignedIn(Exception):
    pass


class _NotFound(Exception):
    pass


def _services(request: web.Request) -> Services:
    return request.app[APP_KEY].engine.services


def _t(request: web.Request) -> Translator:
    """The signed-in viewer's language; someone else's browser's."""
    viewer = request.get(VIEWER)
    if viewer is not None:
        return translator(viewer.language)
    return answers.reader_t(request, _services(request).settings.default_language)


async def _viewer(request: web.Request) -> directory.Viewer:
    viewer = await signin.viewer_of(_services(request), cookies.read(request))
    if viewer is None:
        raise _NotSignedIn
    request[VIEWER] = viewer
    return viewer


async def _channel_in_reach(
    request: web.Request, viewer: directory.Viewer
) -> tuple[str, directory.DeliverableFilter]:
    """The channel asked for and the filter asked for, once the viewer may see the channel;
    the query is read only then, so that a bad value tells nothing about a hidden channel."""
    channel_id = request.match_info["channel_id"]
    if channel_id != query.clean(channel_id) or len(channel_id) > MAX_CHANNEL_ID:
        raise _NotFound  # no channel has such an id; PostgreSQL would refuse the NUL
    charter = await directory.visible_charter(_services(request), viewer, channel_id)
    if charter is None:
        raise _NotFound
    return channel_id, query.deliverable_filter(request.query, charter)


async def overview(request: web.Request) -> web.StreamResponse:
    viewer = await _viewer(request)
    services = _services(request)
    words = query.words(request.query)
    standings = await directory.overview(services, viewer, words)
    return answers.html(render.overview(viewer, standings, words, services.clock.now()))


async def channel(request: web.Request) -> web.StreamResponse:
    viewer = await _viewer(request)
    services = _services(request)
    channel_id, flt = await _channel_in_reach(request, viewer)
    page = await directory.channel_page(services, viewer, channel_id, flt)
    if page is None:
        raise _NotFound
    periods = list(reversed(page.standing.periods))  # newest first, as the filter offers them
    return answers.html(render.channel(viewer, page, flt, periods, services.clock.now()))


async def channel_csv(request: web.Request) -> web.StreamResponse:
    viewer = await _viewer(request)
    services = _services(request)
    channel_id, flt = await _channel_in_reach(request, viewer)
    page = await directory.channel_page(services, viewer, channel_id, flt, limit=CSV_MAX_ROWS)
    if page is None:
        raise _NotFound
    name = _FILENAME_UNSAFE.sub("-", page.standing.channel.name or channel_id).strip("-.") or "channel"
    return web.Response(
        text=exporting.render(page.deliverables, "csv"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="outputs-{name}.csv"'},
    )


async def quarter(request: web.Request) -> web.StreamResponse:
    viewer = await _viewer(request)
    services = _services(request)
    year, q = query.quarter(request.query, services.clock.now())
    report = await directory.quarter_report(services, viewer, year, q)
    return answers.html(render.quarter(viewer, report))


async def sign_in(request: web.Request) -> web.StreamResponse:
    services = _services(request)
    opened = await signin.open_link(services, request.query.get("token"))
    if opened is None:
        raise _NotSignedIn
    session, _ = opened
    # a browser signing in again leaves no older session of its own behind
    await signin.sign_out(services, cookies.read(request))
    response = web.Response(status=303, headers={"Location": PREFIX})
    cookies.give(response, session, services.settings.public_url)
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    services = _services(request)
    viewer = await signin.viewer_of(services, cookies.read(request))
    await signin.sign_out(services, cookies.read(request))
    t = translator(viewer.language) if viewer else _t(request)
    response = answers.html(render.signed_out(t))
    cookies.take_back(response, services.settings.public_url)
    return response


async def stylesheet(request: web.Request) -> web.StreamResponse:
    try:
        css = STYLESHEET.read_bytes()
    except FileNotFoundError:
        raise web.HTTPNotFound from None
    return web.Response(body=css, content_type="text/css", charset="utf-8")


async def unknown(request: web.Request) -> web.StreamResponse:
    """Whatever no dashboard route takes: 405 for one of its addresses asked with another
    method, else 404."""
    for resource in request.app.router.resources():
        info = resource.get_info()
        if not resource.canonical.startswith(PREFIX) or resource.name == UNKNOWN:
            continue
        pattern, path = info.get("pattern"), info.get("path")
        if path == request.path or (pattern is not None and pattern.fullmatch(request.path)):
            raise web.HTTPMethodNotAllowed(request.method, sorted(route.method for route in resource))
    raise _NotFound


def guarded(handler: Handler) -> Handler:
    """Every dashboard answer: its headers, and pages for what did not go as asked. A wrapper
    of the dashboard's own routes, not a middleware: the platforms' requests (every ack)
    should not pay for it."""

    async def answer(request: web.Request) -> web.StreamResponse:
        response: web.StreamResponse
        try:
            response = await handler(request)
        except _NotSignedIn:
            response = answers.html(render.unauthorized(_t(request)), 401)
        except _NotFound:
            response = answers.html(render.not_found(_t(request)), 404)
        except query.BadQuery as exc:
            t = _t(request)
            message = t(
                "The value of “{name}” in this address is not one the dashboard knows.", name=exc.name
            )
            response = answers.html(render.bad_request(t, message), 400)
        except web.HTTPException as exc:
            answers.secure(exc)
            raise
        except Exception as exc:
            if request.app[APP_KEY].db_faults(exc) is None:
                log.exception("dashboard %s failed", request.path)  # ours: a bug to fix
                response = answers.failed(_t(request))
            else:
                log.warning("dashboard %s: database unavailable: %s", request.path, type(exc).__name__)
                response = answers.html(render.unavailable(_t(request)), 503)
        answers.secure(response)
        return response

    return answer


def add_routes(web_app: web.Application) -> None:
    r = web_app.router
    r.add_get(PREFIX, guarded(overview))
    r.add_get(PREFIX + "/signin", guarded(sign_in))
    r.add_post(PREFIX + "/signout", guarded(sign_out))
    r.add_get(PREFIX + "/quarter", guarded(quarter))
    r.add_get(PREFIX + "/static/dashboard.css", guarded(stylesheet))
    # the CSV first: a channel id may hold dots (Teams' do), so the page's pattern matches it too
    r.add_get(PREFIX + "/channels/{channel_id:[^/]+}.csv", guarded(channel_csv))
    r.add_get(PREFIX + "/channels/{channel_id}", guarded(channel))
    # last: what none of the above takes (the router tries resources in this order)
    r.add_route("*", PREFIX + "/{tail:.*}", guarded(unknown), name=UNKNOWN)
