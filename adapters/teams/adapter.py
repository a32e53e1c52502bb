"""The CloudAdapter, with what botbuilder-integration-aiohttp 4.17 gets wrong fixed here.

- Invokes that return a body answered HTTP 500: `CloudAdapter.process` runs the body through
  `serializer_helper` a second time, but `ActivityHandler._create_invoke_response` has already
  turned it into a dict (`'dict' object has no attribute 'is_xml_model'`, the traceback of
  microsoft/teams-sdk#2547). We serialize only what is still a model.
- A missing Authorization header became `""`, which the parameterised authentication does not
  treat as missing; an unknown signing key raised IndexError; a malformed body raised from
  `Activity().deserialize`: all of these were 500s. We answer 400 for bad bodies and 401 for
  anything the authentication refuses, and run the turn only after both passed.
- An activity the inbox could not keep, and about which nobody can be told in the
  conversation (`adapters.teams.intake`), is answered 503: `NotKept` passes through the
  turn error handler, which would otherwise log it and let the answer be 200.
- Connector calls retried neither 429 nor any POST (msrest's retry policy predates urllib3 2's
  `allowed_methods`): each connector client gets a retry policy that does, honouring Retry-After.
- msrest waits 100 seconds for an answer: a hung Connector would hold an inbox worker for most
  of its lease. Each call gets `CONNECTOR_TIMEOUT_SECONDS`; no answer by then is a fault that
  may pass (`faults.classify`), not sent again by the client (it may have been taken).
- msrest makes every client's retry policy by testing each of 999 status codes against a
  list of 500 (`ClientRetryPolicy.safe_codes`): milliseconds of CPU per connector call, as
  botbuilder makes a client per call. The list is made a set once; the codes are the same.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import requests
from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.serialization import Model
from msrest.universal_http.requests import ClientRetryPolicy
from urllib3.util.retry import Retry

from adapters.payloads import clean
from adapters.refusals import Refusals
from adapters.teams import observed
from bot.observe import Observer

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 512 * 1024
# 429 and the 5xx a gateway answers when the connector is briefly unavailable. Backoff doubles
# from 0.5 s; a Retry-After header wins. At most 4 retries: the digest is retried later anyway.
RETRY_STATUSES = (429, 500, 502, 503, 504)
BACKOFF_SECONDS = 0.5
# Teams drops an invoke not answered within 5 seconds; this leaves room for the network.
INVOKE_DEADLINE_SECONDS = 4.0
# Connect and read timeout of one connector call (its answers take well under a second).
CONNECTOR_TIMEOUT_SECONDS = 20.0


ClientRetryPolicy.safe_codes = frozenset(ClientRetryPolicy.safe_codes)  # type: ignore[assignment]


class NotKept(Exception):
    """The activity could not be written to the inbox: it must not be answered 200."""


def connector_retry() -> Retry:
    retry = Retry(
        total=4,
        connect=2,
        read=0,  # a POST whose answer was lost may have been delivered: never post it twice
        status=4,
        backoff_factor=BACKOFF_SECONDS,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=None,  # every method, POST included
        respect_retry_after_header=True,
        raise_on_status=False,
        backoff_max=30,
    )
    retry.BACKOFF_MAX = 30  # type: ignore[attr-defined]  # msrest logs this urllib3 1 name
    return retry


def configure_retries(client: Any, observer: Observer | None = None) -> None:
    """Give a connector client our retry policy. msrest opens the client's requests session
    (with its own policy) as soon as the client exists, so the session is replaced too."""
    retry = connector_retry()
    client.config.retry_policy.policy = retry if observer is None else observed.counted(retry, observer)
    client.config.connection.timeout = CONNECTOR_TIMEOUT_SECONDS
    driver = getattr(getattr(client.config.pipeline, "_sender", None), "driver", None)
    if driver is None or not hasattr(driver, "session"):
        log.warning("teams: connector client of an unknown shape; 429s will not be retried")
        return
    driver.session = requests.Session()  # the setter applies config.retry_policy
    if observer is not None:
        observed.watch_errors(driver.session, observer)


def problem(body: Any) -> str | None:
    """Why an activity cannot be processed at all, or None."""
    if not isinstance(body, dict):
        return "an activity is a JSON object"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return "type is required"
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        return "conversation.id is required"
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.startswith(("https://", "http://")):
        return "serviceUrl must be an http(s) URL"
    for account in ("from", "recipient"):
        if account in body and not isinstance(body[account], dict):
            return f"{account} must be an object"
    if not isinstance(body.get("channelId", ""), str):
        return "channelId must be a string"
    return None


class TeamsAdapter(CloudAdapter):
    # `teams.connector_base_url`: where replies go instead of each activity's serviceUrl.
    connector_url: str = ""
    observer: Observer | None = None  # metrics: connector errors and retries (adapters.teams.observed)
    # Seconds an invoke's work may take before it is answered "still working" (Teams waits 5).
    invoke_deadline: float = INVOKE_DEADLINE_SECONDS
    refusals: Refusals = Refusals("teams")  # the server gives each adapter its own

    async def handle(self, request: web.Request, bot: Bot) -> web.Response:
        """POST /api/messages: authenticate, run the turn, answer with the invoke's body."""
        if request.content_type != "application/json":
            return self._refuse(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "expected application/json")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "activity too large")
        if len(raw) > MAX_BODY_BYTES:
            return self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "activity too large")
        try:
            body = clean(json.loads(raw))
        except (ValueError, UnicodeDecodeError, RecursionError):  # TooDeep is a ValueError
            return self._refuse(HTTPStatus.BAD_REQUEST, "body is not JSON")
        if reason := problem(body):
            return self._refuse(HTTPStatus.BAD_REQUEST, reason)
        observed.activity_seen(request, body)  # metrics kind, log context
        try:
            activity: Activity = Activity().deserialize(body)
        except Exception:  # msrest raises several kinds on odd shapes
            return self._refuse(HTTPStatus.BAD_REQUEST, "not an activity")
        activity.wire = body  # type: ignore[attr-defined]  # the JSON as sent: msrest drops fields
        header = request.headers.get("Authorization") or None
        try:
            auth = await self.bot_framework_authentication.authenticate_request(activity, header)  # type: ignore[arg-type]
        except Exception:  # PermissionError, jwt errors, unknown key ids: all mean "no"
            return self._refuse(HTTPStatus.UNAUTHORIZED, "unauthorized")
        if self.connector_url:  # after authentication: the token vouches for the real one
            activity.service_url = self.connector_url
        try:
            invoke = await self.process_activity(auth, activity, bot.on_turn)
        except NotKept:
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "not recorded: try again")
        return response(invoke)

    def _refuse(self, status: HTTPStatus, message: str) -> web.Response:
        """Counted and logged once a minute per kind (adapters.refusals), never a traceback."""
        self.refusals.note(message, int(status))
        return _error(status, message)

    def _create_turn_context(self, activity, claims_identity, oauth_scope, connector_client, *args):  # type: ignore[no-untyped-def]
        if connector_client is not None:
            configure_retries(connector_client, self.observer)
        return super()._create_turn_context(activity, claims_identity, oauth_scope, connector_client, *args)


def wire_of(activity: Activity) -> dict[str, Any]:
    """The activity as Teams sent it. `Activity.serialize()` loses what its models do not
    declare (a mention's `mentioned`, `conversation.tenantId`…), so the request's JSON is kept."""
    raw = getattr(activity, "wire", None)
    return raw if isinstance(raw, dict) else activity.serialize()


def response(invoke: InvokeResponse | None) -> web.Response:
    if invoke is None:
        return web.Response(status=HTTPStatus.OK)
    status = int(invoke.status or HTTPStatus.OK)
    if status == HTTPStatus.NOT_IMPLEMENTED:
        # An invoke nobody answered (an unknown name): Teams expects an empty 200, not a 5xx.
        return web.Response(status=HTTPStatus.OK)
    body = invoke.body
    if body is None:
        return web.Response(status=status)
    if isinstance(body, Model):
        body = serializer_helper(body)
    return web.json_response(body, status=status)


def _error(status: HTTPStatus, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def on_turn_error(context: TurnContext, error: Exception) -> None:
    """A failing turn is logged with its context; the request still gets its answer."""
    if isinstance(error, NotKept):
        raise error
    a = context.activity
    log.error(
        "teams: turn failed (type=%s name=%s conversation=%s): %r",
        a.type,
        a.name,
        a.conversation.id if a.conversation else None,
        error,
        exc_info=error,
    )
