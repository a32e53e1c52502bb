"""Who owns a team: Microsoft Graph's team roster, read with resource-specific consent.

The Bot Framework roster has no owner flag (its `userRole` says `user` for owners too), so
team owners come from `GET /teams/{group-id}/members` on Graph, where each member lists its
`roles`. The app asks for `TeamMember.Read.Group` in its manifest, which a team owner
grants when installing it; the token is the app's own (client credentials). Answers are
cached for a few minutes per team; when Graph cannot be asked (no app password, no
consent, a timeout, no token), nobody is a team owner and only configured admins and
charter owners can change the charter; a warning is logged, the last answer Graph gave
for that team, however old, is used instead, and Graph is asked again after a short wait.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.config import TeamsSettings

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
CACHE_SECONDS = 300
# After a failure, Graph is not asked about that team again for this long: with
# ChannelMessage.Read.Group every channel message reaches the bot and is checked for an owner.
RETRY_SECONDS = 30
TIMEOUT_SECONDS = 3.0  # an invoke must be answered within 5 seconds

TokenSource = Callable[[str], Awaitable[str | None]]  # tenant id → bearer token


class TokenUnavailable(RuntimeError):
    """Entra answered the token request with an error (msal's `error` code, no secret)."""


def app_token_source(settings: TeamsSettings) -> TokenSource | None:
    """Client-credentials tokens for Graph, from the app id and password; None without them.

    The authority is `{teams.login_url}/{tenant}`: `teams.tenant_id` for a single-tenant
    registration, else the tenant the activity came from. One msal application per
    authority, so msal's own token cache serves a token until it is about to expire.
    msal is synchronous (requests): it runs in a worker thread, with a request timeout so a
    hung login endpoint does not keep that thread forever. Instance discovery (a call to
    login.microsoftonline.com to vouch for the authority's host) is off: the authority is
    the one configured, and msal skips that check for Microsoft's own hosts anyway.
    """
    if not settings.app_id or settings.app_password is None:
        return None
    apps: dict[str, Any] = {}
    password = settings.app_password.get_secret_value()
    login_url = settings.login_url.rstrip("/")

    def acquire(tenant: str) -> str:
        import msal  # a botframework-connector dependency

        authority_tenant = settings.tenant_id or tenant
        app = apps.get(authority_tenant)
        if app is None:
            app = msal.ConfidentialClientApplication(
                settings.app_id,
                client_credential=password,
                authority=f"{login_url}/{authority_tenant}",
                instance_discovery=False,
                timeout=TIMEOUT_SECONDS,
            )
            apps[authority_tenant] = app
        result = app.acquire_token_for_client(scopes=[GRAPH_SCOPE])
        token = result.get("access_token") if isinstance(result, dict) else None
        if not isinstance(token, str) or not token:
            error = result.get("error") if isinstance(result, dict) else None
            raise TokenUnavailable(f"no Graph token for tenant {authority_tenant}: {error or 'no answer'}")
        return token

    async def token(tenant: str) -> str | None:
        return await asyncio.to_thread(acquire, tenant)

    return token


class TeamOwners:
    def __init__(
        self,
        token: TokenSource | None,
        graph_url: str = GRAPH_URL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.graph_url = graph_url.rstrip("/")
        self.clock = clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
        self._failed: dict[str, float] = {}  # group id → when Graph last could not answer

    async def owners(self, tenant: str, group_id: str) -> frozenset[str]:
        """The Entra object ids of the team's owners (empty when Graph cannot tell)."""
        cached = self._cache.get(group_id)
        if cached and self.clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        if self.token is None:
            return frozenset()
        last = cached[1] if cached else frozenset()
        failed = self._failed.get(group_id)
        if failed is not None and self.clock() - failed < RETRY_SECONDS:
            return last
        try:
            found = await asyncio.wait_for(self._fetch(tenant, group_id), TIMEOUT_SECONDS)
        except Exception as exc:  # Graph is an optional source; never fail a command on it
            log.warning("teams: could not read the owners of team %s: %r", group_id, exc)
            self._failed[group_id] = self.clock()
            return last
        self._failed.pop(group_id, None)
        self._cache[group_id] = (self.clock(), found)
        return found

    async def _fetch(self, tenant: str, group_id: str) -> frozenset[str]:
        assert self.token is not None
        token = await self.token(tenant)
        if not token:  # not an answer about the team: keep what Graph said before
            raise TokenUnavailable(f"no Graph token for tenant {tenant}")
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
