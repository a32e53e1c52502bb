"""A 429's Retry-After, read once for every platform.

The header is either seconds or an HTTP date (RFC 9110 §10.2.3); both Slack and the Teams
connector have been seen to send either, or nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any


def retry_after(
    headers: Mapping[str, Any] | None, default: float, now: Callable[[], float] = time.time
) -> float:
    """Seconds to wait, never negative; `default` when the header is missing or unreadable."""
    value = next((v for k, v in (headers or {}).items() if str(k).lower() == "retry-after"), None)
    if isinstance(value, list | tuple):  # slack-sdk keeps some header values as lists
        value = value[0] if value else None
    text = str(value if value is not None else "").strip()
    if not text:
        return default
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(text).timestamp() - now())
    except (TypeError, ValueError):
        return default
