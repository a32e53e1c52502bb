"""What every dashboard answer carries, and the page for a failure of ours.

The headers: nothing is cached (pages show who may see what; a shared computer's back
button must not show them after sign-out), no referrer (the sign-in address carries a
token), and a policy that lets the page load its stylesheet and inline SVG, nothing else:
no script, no frame, no form posting anywhere but here.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from bot.i18n import Translator, normalize, translator

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}
HTML = "text/html"


def secure(response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, status=status, content_type=HTML, charset="utf-8")


def reader_t(request: web.Request, default: str) -> Translator:
    """Someone not signed in: the language their browser asks for first, if we have it."""
    first = request.headers.get("Accept-Language", "").split(",", 1)[0].split(";", 1)[0].strip()
    return translator(normalize(first) if first and first != "*" else default)


def plain(t: Translator, status: int, title: str, text: str) -> web.Response:
    """A short page of its own, for our own failure: rendering the dashboard's pages may be
    what failed."""
    back = t("Back to the dashboard")
    body = (
        f'<!doctype html>\n<html lang="{escape(t.lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        '<link rel="stylesheet" href="/dashboard/static/dashboard.css"></head>'
        f"<body><main><h1>{escape(title)}</h1><p>{escape(text)}</p>"
        f'<p><a href="/dashboard">{escape(back)}</a></p></main></body></html>\n'
    )
    return html(body, status)


def failed(t: Translator) -> web.Response:
    return plain(
        t,
        500,
        t("Something went wrong"),
        t("This page could not be shown. Whoever runs Outputs can find why in its logs."),
    )
