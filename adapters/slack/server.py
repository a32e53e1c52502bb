"""The Slack PlatformServer: bolt's AsyncApp on our aiohttp server, or over Socket Mode.

One workspace with `SLACK_BOT_TOKEN`; several with `SLACK_CLIENT_ID`/`SLACK_CLIENT_SECRET`
(OAuth install, token rotation, tokens kept by slack-sdk's SQLAlchemy stores in our
database). Signatures are verified by bolt (v0 HMAC, 5-minute window). Every Web API call
goes to `slack.api_base_url` with slack-sdk's retry handlers for 429s and dropped
connections.

Requests come over HTTP (`events`) or, with `--socket-mode`, as envelopes on slack-sdk's
WebSocket (`SocketMode.handle`); both take the same way into bolt (`dispatch`), are counted
in `outputs_requests_total` by kind and status with their ack time, and give their work a
request id, workspace and channel in the log context.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextvars import ContextVar

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http import METRICS_KEY, label
from adapters.metrics import Metrics
from adapters.refusals import Refusals
from adapters.runtime import Runtime
from adapters.slack import faults, inbound
from adapters.slack.directory import Directory, api_error
from adapters.slack.handlers import Handlers
from adapters.slack.intake import Intake
from adapters.slack.observed import observed, request_kind, request_seen, socket_request_answered
from adapters.slack.poster import SlackPoster
from adapters.slack.retries import retry_handlers
from bot import logs
from bot.config import Settings
from bot.inbox import Handler, first_reason
from bot.platform_ports import SlackTokenStore

log = logging.getLogger(__name__)

# Scopes the features need, whatever `slack.scopes` leaves out (export sends a file in a
# private message: files:write and im:write; a type's custom emoji is checked against
# emoji.list: emoji:read).
NEEDED_SCOPES = ("emoji:read", "files:write", "im:write")


class ExplainedElsewhere(logging.Filter):
    """bolt's ERROR for a request it found no usable installation for, dropped when our
    installation store has just warned why (the workspace's tokens no longer open): that
    warning names the workspace and the way out, once a minute, where bolt's line would
    add an ERROR per request that says neither."""

    BOLT_LOGGER = "slack_bolt.AsyncMultiTeamsAuthorization"

    def __init__(self, unopened: ContextVar[str | None]) -> None:
        super().__init__()
        self.unopened = unopened

    def filter(self, record: logging.LogRecord) -> bool:
        return self.unopened.get() is None or not str(record.msg).startswith("Although the app should")

    @classmethod
    def install(cls, unopened: ContextVar[str | None]) -> None:
        bolt = logging.getLogger(cls.BOLT_LOGGER)
        if not any(isinstance(f, cls) for f in bolt.filters):
            bolt.addFilter(cls(unopened))


def refused_kind(body: str, content_type: str) -> str:
    """The kind a refused request claims to be, for the request counter (a known name or
    `other`, whatever it says), or `malformed` when it does not even parse."""
    try:
        return request_kind(inbound.parse(body, content_type))
    except inbound.Refused:
        return "malformed"


class SocketModeUnavailable(RuntimeError):
    """Slack would not open a Socket Mode connection (refused app token, Slack unreachable)."""


class SocketMode(AsyncSocketModeHandler):
    """bolt's Socket Mode handler, with each envelope taken in as an HTTP request is: a
    request id, its kind and log context, an ack owed while bolt runs, and counted."""

    def __init__(self, server: SlackServer, app_token: str) -> None:
        super().__init__(server.bolt, app_token, web_client=server.client)
        self.server = server

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        # slack-sdk runs each envelope in a task of its own: what is bound here stays with
        # this envelope and the work it starts.
        logs.bind(request_id=logs.new_request_id())
        started, wall = time.perf_counter(), time.time()
        try:
            payload = inbound.check(req.payload)
        except inbound.Refused as refused:
            # acked all the same: Slack would only deliver the same envelope again
            self.server.refusals.note(refused.kind, refused.status)
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        bolt_request = AsyncBoltRequest(mode="socket_mode", body=payload, headers=build_headers(req))
        kind = request_seen(bolt_request.body)
        status = 400  # what `SlackServer.events` answers when bolt fails
        try:
            response = await self.server.dispatch(bolt_request)
            status = response.status
        except Exception:
            log.exception("dispatching a Slack request failed")
            return  # no ack: Slack delivers the envelope again
        finally:
            socket_request_answered(self.server.metrics, kind, status, time.perf_counter() - started)
        await send_async_response(client, req, response, wall)


class SlackServer:
    name = "slack"

    def __init__(self, app: Runtime, settings: Settings, socket_mode: bool = False) -> None:
        s = settings.slack
        logs.redact_every_handler(logs.Redactor(logs.secrets_of(settings)))
        self.app = app
        self.settings = settings
        self.socket_mode = socket_mode
        self.classify = first_reason(faults.classify, app.db_faults)
        self.metrics: Metrics | None = None  # the web app's, once it is built (add_routes)
        self.directory = Directory()
        self.session = aiohttp.ClientSession()
        base = s.api_base_url if s.api_base_url.endswith("/") else s.api_base_url + "/"
        self.api_base_url = base
        token = s.bot_token.get_secret_value() if s.bot_token is not None else None
        self.oauth = not socket_mode and bool(s.client_id) and s.client_secret is not None
        self.client = self._client(None if self.oauth else token)
        self.authorize: AsyncInstallationStoreAuthorize | None = None
        self.tokens: SlackTokenStore | None = None
        secret = s.signing_secret.get_secret_value() if s.signing_secret is not None else None
        # Socket Mode has no secret and takes nothing over HTTP, so none is needed there
        self.verifier = SignatureVerifier(secret or "unused")
        self.refusals = Refusals("slack")
        if self.oauth:
            self.bolt = self._oauth_app(secret)
        else:
            self.bolt = AsyncApp(
                client=self.client,
                signing_secret=secret,
                process_before_response=True,
                request_verification_enabled=not socket_mode,
                name="outputs",
            )
        intake = Intake(app.inbox, self.client_for, self.directory, app.engine.services.languages.reader)
        self.handlers = Handlers(app.engine, self.directory, s.command, intake, self.classify, self.session)
        self.handlers.register(self.bolt, revocation=self.tokens is not None)
        self.poster = SlackPoster(self.client_for)
        self.socket: SocketMode | None = None

    def _client(self, token: str | None) -> AsyncWebClient:
        return AsyncWebClient(
            token=token,
            base_url=self.api_base_url,
            session=self.session,
            retry_handlers=observed(retry_handlers(), self.app.engine.services.observer),
        )

    def _oauth_app(self, secret: str | None) -> AsyncApp:
        s = self.settings.slack
        assert s.client_secret is not None
        client_secret = s.client_secret.get_secret_value()
        key = self.settings.security.secret_key
        if key is None:  # app.serve refuses to start first; this guards any other caller
            raise RuntimeError("Slack OAuth needs OUTPUTS_SECRET_KEY to encrypt the stored tokens")
        self.tokens = tokens = self.app.slack_tokens(s.client_id, key.get_secret_value())
        ExplainedElsewhere.install(tokens.unopened)
        states = tokens.oauth_states(expiration_seconds=600)
        scopes = list(dict.fromkeys([*s.scopes, *NEEDED_SCOPES]))
        public = self.settings.server.public_url.rstrip("/")
        oauth = AsyncOAuthSettings(
            client_id=s.client_id,
            client_secret=client_secret,
            scopes=scopes,
            install_path=s.installation_path,
            redirect_uri_path=s.redirect_uri_path,
            redirect_uri=f"{public}{s.redirect_uri_path}" if public else None,
            installation_store=tokens.installations,
            state_store=states,
        )
        self.authorize = AsyncInstallationStoreAuthorize(
            logger=log,
            installation_store=tokens.installations,
            client_id=s.client_id,
            client_secret=client_secret,
            token_rotation_expiration_minutes=oauth.token_rotation_expiration_minutes,
            client=self.client,
        )
        return AsyncApp(
            client=self.client,
            signing_secret=secret,
            process_before_response=True,
            oauth_settings=oauth,
            authorize=self.authorize,  # type: ignore[arg-type]  # an AsyncAuthorize is accepted
            name="outputs",
        )

    async def client_for(self, workspace_id: str) -> AsyncWebClient | None:
        """A client with the workspace's bot token (rotated when it is about to expire)."""
        if self.authorize is None or self.tokens is None:
            return self.client
        enterprise = await self.tokens.enterprise_of(workspace_id)
        result = await self.authorize(
            context=AsyncBoltContext(client=self.client),
            enterprise_id=enterprise,
            team_id=workspace_id,
            user_id=None,
        )
        if result is None or not result.bot_token:
            return None
        return self._client(result.bot_token)

    # ---- PlatformServer

    def add_routes(self, web_app: web.Application) -> None:
        # Envelopes come in over the socket, but count in the same /metrics as HTTP requests.
        self.metrics = web_app[METRICS_KEY]
        if self.socket_mode:
            return
        web_app.router.add_post("/slack/events", self.events)
        flow = self.bolt.oauth_flow
        if flow is not None:
            web_app.router.add_get(flow.install_path, self.install)
            web_app.router.add_get(flow.redirect_uri_path, self.oauth_redirect)

    async def events(self, request: web.Request) -> web.Response:
        """Checked (adapters.slack.inbound) before bolt sees it: refused requests get 401 or
        400, are counted by kind and logged at most once a minute per kind."""
        headers: dict[str, str | Sequence[str]] = dict(request.headers)
        try:
            body = await request.text()
            inbound.check_signature(self.verifier, body, headers)
            payload = inbound.check(body, request.content_type)
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=headers)
        except inbound.Refused as refused:
            label(request, refused_kind(body, request.content_type))
            self.refusals.note(refused.kind, refused.status)
            return web.Response(status=refused.status, text="request refused")
        except web.HTTPRequestEntityTooLarge:
            label(request, "malformed")
            self.refusals.note("too_large", 413)
            return web.Response(status=413, text="request refused")
        except Exception as exc:  # undecodable (not UTF-8): Slack never sends these
            label(request, "malformed")
            self.refusals.note(f"unreadable ({type(exc).__name__})", 400)
            return web.Response(status=400, text="request refused")
        bolt_request.body = payload  # the checked and cleaned payload; bolt verifies the raw body
        label(request, request_seen(payload))  # adapters.http's middleware counts it
        try:
            response = await self.dispatch(bolt_request)
        except Exception:
            log.exception("dispatching a Slack request failed")
            return web.Response(status=400, text="request not understood")
        return await to_aiohttp_response(response)

    async def dispatch(self, bolt_request: AsyncBoltRequest) -> BoltResponse:
        """Into bolt, from HTTP or the socket alike."""
        return await self.bolt.async_dispatch(bolt_request)

    def work(self) -> dict[str, Handler]:
        """What the inbox's workers run for the entries this platform keeps."""
        return self.handlers.work()

    async def install(self, request: web.Request) -> web.Response:
        flow = self.bolt.oauth_flow
        assert flow is not None
        bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
        return await to_aiohttp_response(await flow.handle_installation(bolt_request))

    async def oauth_redirect(self, request: web.Request) -> web.Response:
        flow = self.bolt.oauth_flow
        assert flow is not None
        bolt_request = AsyncBoltRequest(body="", query=request.query_string, headers=dict(request.headers))
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

    async def start(self) -> None:
        if self.socket_mode:
            app_token = self.settings.slack.app_token
            assert app_token is not None, "Socket Mode needs SLACK_APP_TOKEN"
            self.socket = SocketMode(self, app_token.get_secret_value())
            # The first URL is asked for here, so a refused app token or an unreachable Slack
            # stops `serve` with the reason; slack-sdk would retry it forever in silence.
            # Reconnections (Slack's `disconnect` requests, a dropped link) stay slack-sdk's.
            try:
                opened = await self.client.apps_connections_open(app_token=app_token.get_secret_value())
            except Exception as exc:
                await self.socket.close_async()
                self.socket = None
                raise SocketModeUnavailable(
                    f"Socket Mode: apps.connections.open at {self.api_base_url} failed ({api_error(exc)}). "
                    "SLACK_APP_TOKEN must be an app-level token (xapp-…) with connections:write."
                ) from None
            self.socket.client.wss_uri = str(opened["url"])
            await self.socket.connect_async()

    async def stop(self) -> None:
        if self.socket is not None:
            await self.socket.close_async()
            self.socket = None
        await self.session.close()


def build(app: Runtime, settings: Settings, socket_mode: bool = False) -> SlackServer:
    return SlackServer(app, settings, socket_mode)
