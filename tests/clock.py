"""The tests' one fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """Now is `start` plus what the test moved it by; with no `start`, the real time plus that.

    A fixed start makes a test repeatable; a real one suits code that also sleeps for real
    (the inbox's workers), so that time passes for it between two moves.
    """

    __slots__ = ("start", "offset")  # so that a test setting some other attribute fails at once

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return (self.start or datetime.now(UTC)) + self.offset

    def advance(self, **kw: float) -> None:
        self.offset += timedelta(**kw)

    def set(self, at: datetime) -> None:
        """Jump to `at` (forward or back), keeping a fixed clock fixed there."""
        self.start, self.offset = at, timedelta(0)

    def seconds(self) -> float:
        """The same clock as a count of seconds, for timers that take one (cachetools' TTL)."""
        return self.now().timestamp()
