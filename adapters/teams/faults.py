"""Which Teams failures may pass (so the inbox tries the work again later) and which are final.

The connector client (msrest over requests) retries 429 and 5xx itself (`adapter.connector_retry`);
what it raises after that still may pass: the Connector or Graph answering 5xx, a 429 that
outlasted those retries, a body that is not JSON (a gateway's HTML error page), a connection
refused, dropped or timed out. A 4xx the service states in its own JSON (the bot removed
from the conversation, a conversation that does not exist) will not change by asking again.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import requests
from msrest.exceptions import ClientRequestError, DeserializationError

from bot.fanout import RateLimited
from bot.i18n import N_

NOT_ANSWERING = N_("Teams was not answering")
RATE_LIMITED = N_("Teams kept asking me to slow down")
UNREACHABLE = N_("Teams could not be reached")


def _status(exc: BaseException) -> int | None:
    """The HTTP status of a failed call: msrest's errors carry the requests Response,
    aiohttp's (Graph) carry the status themselves."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status is None and isinstance(exc, aiohttp.ClientResponseError):
        status = exc.status
    return status if isinstance(status, int) else None


def _json_body(response: Any) -> bool:
    try:
        response.json()
    except Exception:  # requests raises its own JSONDecodeError, or ValueError on older ones
        return False
    return True


def classify(exc: BaseException) -> str | None:
    """A short reason when `exc` is a Teams fault that may pass, else None."""
    if isinstance(exc, RateLimited):
        return RATE_LIMITED
    status = _status(exc)
    if status is not None:
        if status == 429:
            return RATE_LIMITED
        if status >= 500:
            return NOT_ANSWERING
        response = getattr(exc, "response", None)
        if response is not None and hasattr(response, "json") and not _json_body(response):
            return NOT_ANSWERING  # an error page from a proxy, not the Connector's own answer
        return None
    if isinstance(exc, DeserializationError):
        return NOT_ANSWERING  # a 2xx whose body was not the Connector's JSON
    if isinstance(exc, ClientRequestError | requests.ConnectionError | requests.Timeout):
        return UNREACHABLE
    if isinstance(exc, aiohttp.ClientError | ConnectionError):
        return UNREACHABLE
    return None
