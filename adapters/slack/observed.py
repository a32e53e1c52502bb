"""Slack's share of metrics and log context: what a request is, and Web API errors and retries.

- `request_seen` names a request's kind (`command`, the event type, the interaction type,
  `url_verification`) for the request counter, and binds its workspace and channel to the
  log context, which the tasks the request starts inherit. Over HTTP the kind labels the
  request for adapters.http's middleware, which counts and times it; a Socket Mode envelope
  has no HTTP request, so `socket_request_answered` does the middleware's part for it.
- `observed(handlers, observer)` wraps slack-sdk's retry handlers: a first handler that only
  watches sees every Web API answer and counts the errors (`ok: false` codes, HTTP errors,
  exceptions); the real handlers count each retry they decide on.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from adapters.metrics import Metrics
from adapters.slack.inbound import HANDLED
from bot import logs
from bot.observe import Observer

log = logging.getLogger(__name__)
PLATFORM = "slack"


# The kind is read before bolt checks the signature: only known names become label values,
# so unsigned requests cannot grow the metric's label set.
KINDS = frozenset(
    {
        "url_verification",
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "interactive_message",
        "app_rate_limited",
    }
)
EVENTS = HANDLED | {"app_mention", "channel_rename", "channel_archive"}


def request_kind(body: dict[str, Any]) -> str:
    if body.get("command"):
        return "command"
    if body.get("ssl_check"):
        return "ssl_check"
    kind = str(body.get("type") or "")
    if kind == "event_callback":
        event = str(_dict(body, "event").get("type") or "")
        return event if event in EVENTS else "other_event"
    return kind if kind in KINDS else "other"


def _dict(d: dict[str, Any], key: str) -> dict[str, Any]:
    value = d.get(key)
    return value if isinstance(value, dict) else {}


def _ids(body: dict[str, Any]) -> tuple[str | None, str | None]:
    event, team, channel = _dict(body, "event"), _dict(body, "team"), _dict(body, "channel")
    item = _dict(event, "item")
    workspace = body.get("team_id") or team.get("id") or event.get("team")
    channel_id = body.get("channel_id") or channel.get("id") or event.get("channel") or item.get("channel")
    return (str(workspace) if workspace else None, str(channel_id) if isinstance(channel_id, str) else None)


def request_seen(body: dict[str, Any]) -> str:
    """The request's kind; its workspace and channel go to the log context of this task and
    the tasks it starts."""
    workspace, channel = _ids(body)
    logs.bind(workspace=workspace, channel=channel)
    return request_kind(body)


def socket_request_answered(metrics: Metrics | None, kind: str, status: int, seconds: float) -> None:
    """Count, time and log a Socket Mode envelope as adapters.http's middleware does a request
    (`status` is bolt's: 200 when acked)."""
    if metrics is not None:
        metrics.request(PLATFORM, kind, status, seconds)
    # the same line as an HTTP request's, so both transports read alike in the logs
    log.info("%s %s: %d in %.1f ms", PLATFORM, kind, status, seconds * 1000)


class _Watch(AsyncRetryHandler):
    """Never retries; sees every answer first and counts the errors."""

    def __init__(self, observer: Observer) -> None:
        super().__init__(max_retry_count=1_000_000)
        self.observer = observer

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is not None:
            self.observer.api_error(PLATFORM, type(error).__name__)
        elif response is not None:
            body = response.body if isinstance(response.body, dict) else {}
            if response.status_code == 429:
                self.observer.api_error(PLATFORM, "ratelimited")
            elif response.status_code >= 400:
                self.observer.api_error(PLATFORM, f"http_{response.status_code}")
            elif body.get("ok") is False:
                self.observer.api_error(PLATFORM, str(body.get("error") or "unknown"))
        return False


class _Counted(AsyncRetryHandler):
    """One of slack-sdk's handlers, counting the retries it decides on."""

    def __init__(self, inner: AsyncRetryHandler, observer: Observer, reason: str) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner, self.observer, self.reason = inner, observer, reason

    async def can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return await self.inner.can_retry_async(state=state, request=request, response=response, error=error)

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self.observer.api_retry(PLATFORM, self.reason)
        await self.inner.prepare_for_next_attempt_async(
            state=state, request=request, response=response, error=error
        )


def observed(handlers: list[Any], observer: Observer) -> list[Any]:
    counted = [
        _Counted(h, observer, "ratelimited" if "RateLimit" in type(h).__name__ else "connection")
        for h in handlers
    ]
    return [_Watch(observer), *counted]
