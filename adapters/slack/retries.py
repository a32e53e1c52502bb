"""The retries every Slack HTTP call gets (Web API and response_url alike)."""

from __future__ import annotations

from typing import Any

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)


def retry_handlers() -> list[Any]:
    """slack-sdk's own retries: dropped connections, and 429s after their Retry-After."""
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=3)]
