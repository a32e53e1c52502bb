"""Teams' share of metrics and log context: what an activity is, connector errors and retries.

- `activity_seen` names a request's kind (the activity type; `invoke:<name>` for invokes)
  and binds the tenant (workspace) and conversation (channel) to the log context.
- `watch(client, observer)` counts a connector client's retries (urllib3's Retry, which
  adapters.teams.adapter configures) and the errors it finally gets (HTTP status >= 400).
"""

from __future__ import annotations

import copy
from typing import Any, Self

from aiohttp import web
from urllib3.util.retry import Retry

from adapters.http import label
from bot import logs
from bot.observe import Observer

PLATFORM = "teams"


# Read before the token is checked: only known names become label values.
TYPES = frozenset(
    {
        "message",
        "conversationUpdate",
        "invoke",
        "messageReaction",
        "installationUpdate",
        "event",
        "typing",
        "endOfConversation",
        "messageUpdate",
        "messageDelete",
    }
)
INVOKES = frozenset(
    {
        "composeExtension/fetchTask",
        "composeExtension/submitAction",
        "composeExtension/query",
        "adaptiveCard/action",
        "task/fetch",
        "task/submit",
        "signin/verifyState",
    }
)


def activity_kind(body: dict[str, Any]) -> str:
    kind = str(body.get("type") or "")
    if kind == "invoke":
        name = body.get("name")
        return f"invoke:{name}" if isinstance(name, str) and name in INVOKES else "invoke"
    return kind if kind in TYPES else "other"


def _dict(d: dict[str, Any], key: str) -> dict[str, Any]:
    value = d.get(key)
    return value if isinstance(value, dict) else {}


def _ids(body: dict[str, Any]) -> tuple[str | None, str | None]:
    conversation, data = _dict(body, "conversation"), _dict(body, "channelData")
    tenant = conversation.get("tenantId") or _dict(data, "tenant").get("id")
    channel = _dict(data, "channel").get("id") or conversation.get("id")
    return (
        tenant if isinstance(tenant, str) else None,
        channel if isinstance(channel, str) else None,
    )


def activity_seen(request: web.Request, body: dict[str, Any]) -> None:
    label(request, activity_kind(body))
    tenant, channel = _ids(body)
    logs.bind(workspace=tenant, channel=channel)


class CountedRetry(Retry):
    """urllib3's Retry, telling the observer about each retry it grants."""

    observer: Observer | None = None

    def new(self, **kw: Any) -> Self:
        fresh = super().new(**kw)
        fresh.observer = self.observer
        return fresh

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # type: ignore[no-untyped-def]
        fresh = super().increment(method, url, response, error, _pool, _stacktrace)  # raises when spent
        if self.observer is not None:
            reason = f"http_{response.status}" if response is not None and response.status else "connection"
            self.observer.api_retry(PLATFORM, "ratelimited" if reason == "http_429" else reason)
        return fresh


def counted(retry: Retry, observer: Observer) -> Retry:
    out = copy.copy(retry)
    out.__class__ = CountedRetry
    out.observer = observer  # type: ignore[attr-defined]
    return out


def watch_errors(session: Any, observer: Observer) -> None:
    """A requests session hook: every final connector answer of 400 or more is an error."""

    def hook(response: Any, *args: Any, **kwargs: Any) -> None:
        if getattr(response, "status_code", 0) >= 400:
            observer.api_error(PLATFORM, f"http_{response.status_code}")

    session.hooks["response"].append(hook)
