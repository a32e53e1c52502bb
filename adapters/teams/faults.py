"""Which Teams failures may pass (so the inbox tries the work again later) and which are final.

The connector client (msrest over requests) retries 429 and 5xx itself (`adapter.connector_retry`);
what it raises after that still may pass: the Connector or Graph answering 5xx, a 429 that
outlasted those retries, a body that is not JSON (a gateway's HTML error page), a connection
refused, dropped or timed out. A 4xx the service states in its own JSON (the bot removed
from the conversation, a conversation that does not exist) will not change by asking again.

Most work that meets a passing fault is run again whole by the inbox. `retried` is for the
few steps that cannot be run again whole (a channel post whose announcement was claimed
once, a file card after its upload): it tries the one call again a few times, in place.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import aiohttp
import requests
from msrest.exceptions import ClientRequestError, DeserializationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from urllib3.exceptions import ReadTimeoutError

from bot.fanout import RateLimited
from bot.i18n import N_

log = logging.getLogger(__name__)
T = TypeVar("T")

# `retried`: tries in all, each of them up to five connector calls (adapter.connector_retry),
# so a few seconds apart is enough; a longer Retry-After is not waited for in a worker.
TRIES = 3
BACKOFF_SECONDS = 1.0
MAX_WAIT_SECONDS = 10.0

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
        # msrest reads the body before the status: a proxy's HTML error page ends here
        return NOT_ANSWERING
    if answer_lost(exc):
        return NOT_ANSWERING  # it was reached, and did not answer in time
    if isinstance(exc, ClientRequestError | requests.ConnectionError | requests.Timeout):
        return UNREACHABLE
    if isinstance(exc, aiohttp.ClientError | ConnectionError):
        return UNREACHABLE
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps: msrest's `inner_exception`, requests' MaxRetryError argument,
    urllib3's `reason`, and Python's own chaining."""
    found: list[BaseException] = []
    todo: list[object] = [exc]
    while todo and len(found) < 20:
        e = todo.pop()
        if not isinstance(e, BaseException) or any(e is f for f in found):
            continue
        found.append(e)
        todo += [getattr(e, "inner_exception", None), getattr(e, "reason", None), e.__cause__, e.__context__]
        todo += [a for a in e.args if isinstance(a, BaseException)]
    return found


def answer_lost(exc: BaseException) -> bool:
    """The request went out but no answer came back in time: the Connector may have taken it,
    so sending it again could post it twice (the connector client does not, for that reason)."""
    return any(isinstance(e, requests.ReadTimeout | ReadTimeoutError) for e in _causes(exc))


def _retry_after(state: RetryCallState) -> float:
    """Seconds before the next try: `BACKOFF_SECONDS`, doubling, or a 429's Retry-After."""
    exc = state.outcome.exception() if state.outcome is not None else None
    asked = float(getattr(exc, "retry_after", 0.0) or 0.0)
    return max(BACKOFF_SECONDS * 2 ** (state.attempt_number - 1), asked)


class _WaitTooLong(stop_base):
    """A Retry-After longer than a worker should sleep: not waited for."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        return _retry_after(retry_state) > MAX_WAIT_SECONDS


def _may_try_again(exc: BaseException) -> bool:
    return classify(exc) is not None and not answer_lost(exc)


async def retried(call: Callable[[], Awaitable[T]], what: str) -> T:
    """`call()`, tried again while it fails with a fault that may pass and whose request was
    surely not taken: up to `TRIES` in all, `BACKOFF_SECONDS` apart and doubling, or after a
    429's Retry-After when that is no longer than `MAX_WAIT_SECONDS`. The last failure is
    raised, for the caller to say what could not be done."""

    def tell(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        reason = classify(exc) if exc is not None else None
        wait = _retry_after(state)
        log.info("teams: %s met a passing fault (%s); trying again in %.1f s", what, reason, wait)

    async for attempt in AsyncRetrying(
        retry=retry_if_exception(_may_try_again),
        stop=stop_after_attempt(TRIES) | _WaitTooLong(),
        wait=_retry_after,
        before_sleep=tell,
        reraise=True,
    ):
        with attempt:
            return await call()
    raise AssertionError("not reached: the last try returns or raises")
