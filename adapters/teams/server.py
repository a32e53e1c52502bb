"""The Teams `PlatformServer`: `POST /api/messages` on the shared server, and its Poster."""

from __future__ import annotations

import logging
import sys

from aiohttp import web
from botframework.connector.auth import BotFrameworkAuthentication

from adapters.teams.adapter import TeamsAdapter, on_turn_error
from adapters.teams.auth import authenticated, authentication
from adapters.teams.bot import OutputsBot
from adapters.teams.delivery import Background, Delivery, People
from adapters.teams.owners import GRAPH_URL, TeamOwners, TokenSource, app_token_source
from bot.bootstrap import App
from bot.charter import ChannelKey
from bot.config import Settings
from bot.events import Reply
from bot.inbox import Handler
from storage.conversations import ConversationRefs
from storage.pending_files import PendingFiles

log = logging.getLogger(__name__)
ROUTE = "/api/messages"


class TeamsPoster:
    """Posts for the scheduler and the CLI through stored conversation references."""

    platforms = frozenset({"teams"})

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery

    async def post(self, reply: Reply, channel: ChannelKey) -> str:
        return await self.delivery.post(reply, channel)


class TeamsServer:
    name = "teams"

    def __init__(
        self,
        app: App,
        settings: Settings,
        *,
        auth: BotFrameworkAuthentication | None = None,
        graph_token: TokenSource | None = None,
        graph_url: str = GRAPH_URL,
    ) -> None:
        t = settings.teams
        self.authenticated = authenticated(t)
        self.adapter = TeamsAdapter(auth or authentication(t))
        self.adapter.on_turn_error = on_turn_error
        self.adapter.connector_url = t.connector_base_url
        self.adapter.observer = app.engine.services.observer
        self.refs = ConversationRefs(app.db)
        self.people = People()
        self.background = Background()
        self.files = PendingFiles(app.db)  # `export` files waiting for their consent card
        self.delivery = Delivery(self.adapter, t.app_id, self.refs, self.people, self.files)
        owners = TeamOwners(graph_token or app_token_source(t), graph_url)
        self.bot = OutputsBot(app.engine, self.refs, self.delivery, owners, self.people, self.background)
        self.poster = TeamsPoster(self.delivery)

    def classify(self, exc: BaseException) -> str | None:
        return None

    def work(self) -> dict[str, Handler]:
        return {}

    async def messages(self, request: web.Request) -> web.Response:
        return await self.adapter.handle(request, self.bot)

    def add_routes(self, web_app: web.Application) -> None:
        web_app.router.add_post(ROUTE, self.messages)

    async def start(self) -> None:
        if not self.authenticated:
            warning = (
                f"WARNING: Microsoft Teams authentication is OFF: {ROUTE} accepts unsigned requests "
                "(teams.allow_unauthenticated = true, no MICROSOFT_APP_ID). Use this only for local testing."
            )
            log.warning(warning)
            print(warning, file=sys.stderr)

    async def stop(self) -> None:
        await self.background.drain()


def build(app: App, settings: Settings, socket_mode: bool = False) -> TeamsServer:
    return TeamsServer(app, settings)
