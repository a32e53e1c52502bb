"""Signing in to the web dashboard: a one-time link asked for in chat, then a session.

The `dashboard` command issues a link for the person who asked; opening it starts a
session in that browser (a cookie). The chat platform already knows who the person is, so
the link is the whole sign-in: it is private (an ephemeral reply), short-lived and usable
once. Only the SHA-256 of a token is stored, never the token.

A session lasts `SESSION_LIFE` from sign-in, however active the person is: the private
channels it shows are those the person was a member of when the link was asked for, and a
fixed end bounds how long someone who left a channel may still read it (docs/rules.md,
rule 13). Eight hours is a working day on one link.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from bot.context import Services
from bot.directory import Viewer
from bot.ports import DashboardGrant

LINK_LIFE = timedelta(minutes=10)
SESSION_LIFE = timedelta(hours=8)
TOKEN_BYTES = 32
# token_urlsafe(32) gives 43 characters; anything much longer is not ours and is not hashed
_MAX_TOKEN = 128


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _implausible(token: str) -> bool:
    return len(token) > _MAX_TOKEN


def _viewer(grant: DashboardGrant) -> Viewer:
    return Viewer(
        platform=grant.platform,
        workspace_id=grant.workspace_id,
        user_id=grant.user_id,
        language=grant.language,
        private_channels=grant.private_channels,
    )


async def issue_link(services: Services, viewer: Viewer) -> str:
    """A new sign-in token for `viewer`, valid `LINK_LIFE` and usable once."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = services.clock.now()
    grant = DashboardGrant(
        platform=viewer.platform,
        workspace_id=viewer.workspace_id,
        user_id=viewer.user_id,
        language=viewer.language,
        private_channels=viewer.private_channels,
        expires_at=now + LINK_LIFE,
    )
    await services.repo.add_dashboard_link(token_hash(token), grant, now)
    return token


async def open_link(services: Services, token: str | None) -> tuple[str, Viewer] | None:
    """Use a sign-in token: a new session's token and its viewer, or None when the token is
    unknown, used or expired."""
    if not token or _implausible(token):
        return None
    session = secrets.token_urlsafe(TOKEN_BYTES)
    now = services.clock.now()
    grant = await services.repo.exchange_dashboard_link(
        token_hash(token), token_hash(session), now, now + SESSION_LIFE
    )
    return None if grant is None else (session, _viewer(grant))


async def viewer_of(services: Services, session: str | None) -> Viewer | None:
    """Who a session token signs in, or None when it is unknown, ended or expired."""
    if not session or _implausible(session):
        return None
    grant = await services.repo.get_dashboard_session(token_hash(session), services.clock.now())
    return None if grant is None else _viewer(grant)


async def sign_out(services: Services, session: str | None) -> None:
    if session and not _implausible(session):
        await services.repo.delete_dashboard_session(token_hash(session))
