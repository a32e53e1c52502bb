"""Requests refused as malformed, unsigned or forged: counted and logged, never flooding.

A scanner or a broken proxy can send thousands of bad requests a second; one log line each
would bury everything else (and fill the disk). Each kind of refusal is logged the first
time, then at most once a minute with how many there were since. No traceback: a refused
request is not a bug of ours.
"""

from __future__ import annotations

import logging
import time
from collections import Counter

log = logging.getLogger(__name__)
EVERY = 60.0  # seconds between two lines about the same kind of refusal


class Refusals:
    def __init__(self, platform: str, every: float = EVERY) -> None:
        self.platform = platform
        self.every = every
        self._since: Counter[tuple[str, int]] = Counter()
        self._next: dict[tuple[str, int], float] = {}

    def note(self, kind: str, status: int) -> None:
        key = (kind, status)
        self._since[key] += 1
        now = time.monotonic()
        if now < self._next.get(key, 0.0):
            return
        count, self._since[key] = self._since[key], 0
        self._next[key] = now + self.every
        log.info("%s: refused %d %s request(s) with %d", self.platform, count, kind, status)
