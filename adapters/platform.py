"""What a platform adapter gives the server: its routes, its poster, its lifecycle.

`serve` builds one `PlatformServer` per configured platform (Slack, Teams), mounts their
routes on the one aiohttp application, and hands their posters to the scheduler.
"""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from adapters.runtime import Runtime
from bot.digests import Poster
from bot.inbox import Classify, Handler, Workers, first_reason


class PlatformServer(Protocol):
    name: str  # the `platform` value of the channels it serves: "slack", "teams"
    poster: Poster
    classify: Classify  # which of this platform's failures may pass (retried by the inbox)

    def work(self) -> dict[str, Handler]:
        """The inbox kinds this platform keeps → what a worker runs for each."""
        ...

    def add_routes(self, web_app: web.Application) -> None:
        """Mount this platform's HTTP endpoints (none in Socket Mode)."""
        ...

    async def start(self) -> None:
        """Begin work that runs beside HTTP (a Socket Mode connection); may do nothing."""
        ...

    async def stop(self) -> None: ...


class Posters:
    """One Poster over several platforms: each reply goes to the adapter its channel lives on."""

    def __init__(self, servers: list[PlatformServer]) -> None:
        self._by_platform = {s.name: s.poster for s in servers}
        self.platforms = frozenset(self._by_platform)

    async def post(self, reply, channel):  # type: ignore[no-untyped-def]
        return await self._by_platform[channel.platform].post(reply, channel)


def inbox_workers(app: Runtime, servers: list[PlatformServer]) -> Workers:
    """One pool of workers for every platform's inbox entries."""
    handlers: dict[str, Handler] = {}
    for server in servers:
        handlers.update(server.work())
    classify = first_reason(*(s.classify for s in servers), app.db_faults)
    return Workers(app.inbox, handlers, classify)
