"""The dashboard's session cookie.

HttpOnly (no script reads it; the pages have none anyway), SameSite=Lax (another site's
form cannot post with it, so signing out needs no other token), Path=/dashboard (the
platforms' routes never receive it), Secure when the dashboard is served over https. It
lives as long as the session, so a browser drops it when the server would refuse it.
"""

from __future__ import annotations

from aiohttp import web

from bot.signin import SESSION_LIFE

NAME = "outputs_session"
PATH = "/dashboard"


def read(request: web.Request) -> str | None:
    return request.cookies.get(NAME) or None


def _secure(public_url: str) -> bool:
    return public_url.strip().lower().startswith("https://")


def give(response: web.StreamResponse, token: str, public_url: str) -> None:
    response.set_cookie(
        NAME,
        token,
        max_age=int(SESSION_LIFE.total_seconds()),
        path=PATH,
        httponly=True,
        samesite="Lax",
        secure=_secure(public_url),
    )


def take_back(response: web.StreamResponse, public_url: str) -> None:
    response.del_cookie(NAME, path=PATH, httponly=True, samesite="Lax", secure=_secure(public_url))
