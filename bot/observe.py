"""What the engine and the adapters report as they work, for whoever counts it.

The engine knows no metrics library: it calls an `Observer`. `Observers` is the one every
`App` carries (`services.observer`); it forwards to whatever is attached, so adapters can
take it when they are built and `/metrics` (adapters.metrics) can attach itself later. With
nothing attached every call is a no-op.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class Observer(Protocol):
    def deliverable_captured(self, platform: str, type_key: str, via: str) -> None:
        """A new deliverable was recorded (not a second tagging of the same message)."""

    def digest_finished(self, platform: str, status: str) -> None:
        """A claimed digest was posted (`sent`) or could not be (`failed`)."""

    def scheduler_lag(self, seconds: float) -> None:
        """An alarm fired `seconds` after the time it was set for."""

    def api_error(self, platform: str, error: str) -> None:
        """A platform's API answered an error (Slack's code, or an HTTP status)."""

    def api_retry(self, platform: str, reason: str) -> None:
        """A platform API call is being retried (`ratelimited`, `connection`, a status)."""


class Observers:
    """An Observer that forwards each call to the attached ones; a failing one is logged."""

    def __init__(self) -> None:
        self._all: list[Observer] = []

    def attach(self, observer: Observer) -> None:
        if observer not in self._all:
            self._all.append(observer)

    def detach(self, observer: Observer) -> None:
        if observer in self._all:
            self._all.remove(observer)

    def _each(self, method: str, *args: object) -> None:
        for o in self._all:
            try:
                getattr(o, method)(*args)
            except Exception:  # counting must never break the work it counts
                log.exception("observer %s.%s failed", type(o).__name__, method)

    def deliverable_captured(self, platform: str, type_key: str, via: str) -> None:
        self._each("deliverable_captured", platform, type_key, via)

    def digest_finished(self, platform: str, status: str) -> None:
        self._each("digest_finished", platform, status)

    def scheduler_lag(self, seconds: float) -> None:
        self._each("scheduler_lag", seconds)

    def api_error(self, platform: str, error: str) -> None:
        self._each("api_error", platform, error)

    def api_retry(self, platform: str, reason: str) -> None:
        self._each("api_retry", platform, reason)
