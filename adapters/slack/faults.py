"""Which Slack failures may pass (so the inbox tries the work again later) and which are final.

Slack's edge and the proxies in front of it answer 5xx with HTML or plain text, and slack-sdk
then raises `SlackApiError` with no readable body; 429s outlast the client's own retries;
connections drop or time out. Those pass. An error Slack states (`channel_not_found`,
`not_in_channel`, `invalid_auth`) will not change by asking again.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.i18n import N_

NOT_ANSWERING = N_("Slack was not answering")
RATE_LIMITED = N_("Slack kept asking me to slow down")
UNREACHABLE = N_("Slack could not be reached")
PASSING_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def status_of(exc: SlackApiError) -> int | None:
    """The HTTP status of a failed call (slack-sdk hands either its own response or aiohttp's)."""
    response = exc.response
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    return status if isinstance(status, int) else None


def classify(exc: BaseException) -> str | None:
    """A short reason when `exc` is a Slack fault that may pass, else None."""
    if isinstance(exc, SlackApiError):
        status = status_of(exc)
        data = getattr(exc.response, "data", None)
        if status == 429:
            return RATE_LIMITED
        if (status is not None and status >= 500) or not isinstance(data, dict) or not data:
            return NOT_ANSWERING  # a 5xx, or a body that is not Slack's JSON (an HTML error page)
        code = data.get("error")
        if code == "ratelimited":
            return RATE_LIMITED
        return NOT_ANSWERING if code in PASSING_CODES else None
    if isinstance(exc, aiohttp.ClientError | ConnectionError):
        return UNREACHABLE
    return None
