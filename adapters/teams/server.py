"""The Teams `PlatformServer`: `POST /api/messages` on the shared server, its Poster, and its
inbox work: activities are kept by `intake.Intake` before they are answered and worked by
`work.TeamsWork` in the inbox's workers, which `serve` starts for every platform."""

from __future__ import annotations

import logging
import sys

from aiohttp import web
from botframework.connector.auth import BotFrameworkAuthentication

from adapters.refusals import Refusals
from adapters.runtime import Runtime
from adapters.teams import faults, work
from adapters.teams.adapter import TeamsAdapter, on_turn_error
from adapters.teams.auth import authenticated, authentication
from adapters.teams.bot import OutputsBot
from adapters.teams.delivery import Delivery
from adapters.teams.intake import Answers, Intake
from adapters.teams.owners import GRAPH_URL, TeamOwners, TokenSource, app_token_source
from adapters.teams.people import People
from adapters.teams.readers import Readers
from bot.charter import ChannelKey
from bot.config import Settings
from bot.events import Reply
from bot.inbox import Handler

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
        app: Runtime,
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
        self.adapter.refusals = Refusals("teams")
        self.adapter.observer = app.engine.services.observer
        self.refs = app.conversations
        self.people = People()
        self.files = app.pending_files  # `export` files waiting for their consent card
        readers = Readers(app.engine)  # the language each person reads
        self.delivery = Delivery(self.adapter, t.app_id, self.refs, self.people, self.files, readers)
        owners = TeamOwners(graph_token or app_token_source(t), graph_url)
        self.bot = OutputsBot(app.engine, self.refs, self.delivery, owners, self.people)
        self.answers = Answers()  # invoke answers from this replica's workers to its requests
        self.intake = Intake(app.inbox, self.bot, self.answers, self.adapter, readers)
        self.turns = work.Turns(self.adapter, t.app_id)
        self.poster = TeamsPoster(self.delivery)

    def classify(self, exc: BaseException) -> str | None:
        """A Teams fault that may pass (retried by the inbox), as a short reason; else None."""
        return faults.classify(exc)

    def work(self) -> dict[str, Handler]:
        """The inbox's Teams kinds → what a worker runs for each."""
        return work.handlers(self.turns, self.bot, self.answers)

    async def messages(self, request: web.Request) -> web.Response:
        return await self.adapter.handle(request, self.intake)

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
        """Nothing of Teams' own runs beside HTTP: its work is the inbox workers', stopped by
        `serve` (what they did not finish stays pending for the next start)."""


def build(app: Runtime, settings: Settings, socket_mode: bool = False) -> TeamsServer:
    return TeamsServer(app, settings)
