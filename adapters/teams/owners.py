"""Who owns a team: Microsoft Graph's team roster, read with resource-specific consent.

The Bot Framework roster has no owner flag (its `userRole` says `user` for owners too), so
team owners come from `GET /teams/{group-id}/members` on Graph, where each member lists its
`roles`. The app asks for `TeamMember.Read.Group` in its manifest, which a team owner
grants when installing it; the token is the app's own (client credentials). Answers are
cached for a few minutes per team; when Graph cannot be asked (no app password, no
consent, a timeout), nobody is a team owner and only configured admins and charter owners
can change the charter.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import aiohttp

from bot.config import TeamsSettings

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
CACHE_SECONDS = 300
TIMEOUT_SECONDS = 3.0  # an invoke must be answered within 5 seconds

TokenSource = Callable[[str], Awaitable[str | None]]  # tenant id → bearer token


def app_token_source(settings: TeamsSettings) -> TokenSource | None:
    """Client-credentials tokens for Graph, from the app id and password; None without them."""
    if not settings.app_id or settings.app_password is None:
        return None
    apps: dict[str, object] = {}
    password = settings.app_password.get_secret_value()

    def acquire(tenant: str) -> str | None:
        import msal  # a botframework-connector dependency

        authority_tenant = settings.tenant_id or tenant
        app = apps.get(authority_tenant)
        if app is None:
            app = msal.ConfidentialClientApplication(
                settings.app_id,
                client_credential=password,
                authority=f"https://login.microsoftonline.com/{authority_tenant}",
            )
            apps[authority_tenant] = app
        result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])  # type: ignore[attr-defined]
        return result.get("access_token") if isinstance(result, dict) else None

    async def token(tenant: str) -> str | None:
        return await asyncio.to_thread(acquire, tenant)

    return token


class TeamOwners:
    def __init__(self, token: TokenSource | None, graph_url: str = GRAPH_URL) -> None:
        self.token = token
        self.graph_url = graph_url.rstrip("/")
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def owners(self, tenant: str, group_id: str) -> frozenset[str]:
        """The Entra object ids of the team's owners (empty when Graph cannot tell)."""
        cached = self._cache.get(group_id)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        if self.token is None:
            return frozenset()
        try:
            found = await asyncio.wait_for(self._fetch(tenant, group_id), TIMEOUT_SECONDS)
        except Exception as exc:  # Graph is an optional source; never fail a command on it
            log.warning("teams: could not read the owners of team %s: %r", group_id, exc)
            return cached[1] if cached else frozenset()
        self._cache[group_id] = (time.monotonic(), found)
        return found

    async def _fetch(self, tenant: str, group_id: str) -> frozenset[str]:
        assert self.token is not None
        token = await self.token(tenant)
        if not token:
            return frozenset()
        owners: set[str] = set()
        url: str | None = f"{self.graph_url}/teams/{group_id}/members"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            while url:
                async with http.get(url) as resp:
                    resp.raise_for_status()
                    page = await resp.json()
                for member in page.get("value", []):
                    if "owner" in (member.get("roles") or []) and member.get("userId"):
                        owners.add(str(member["userId"]))
                url = page.get("@odata.nextLink")
        return frozenset(owners)
