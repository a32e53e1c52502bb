"""How the inbox wakes its claimers (`bot.inbox.Workers`) at once, between their polls."""

from __future__ import annotations

import asyncio


class Doorbell:
    """Wakes the claimers waiting on this inbox (one per `Workers`): an entry was kept, or a
    place came free. `rung` counts the rings, so a claimer that looked and found nothing
    just before a ring does not sleep through it; rings while it is busy are one wake-up."""

    def __init__(self) -> None:
        self.rung = 0
        self._sleepers: list[asyncio.Future[None]] = []

    def ring(self) -> None:
        self.rung += 1
        sleepers, self._sleepers = self._sleepers, []
        for sleeper in sleepers:
            if not sleeper.done():
                sleeper.set_result(None)

    async def wait(self, seen: int, timeout: float) -> bool:
        """Sleep until a ring after `seen` (True), or for `timeout` seconds (False)."""
        if self.rung != seen:
            return True
        sleeper: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append(sleeper)
        try:
            await asyncio.wait_for(sleeper, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            if sleeper in self._sleepers:
                self._sleepers.remove(sleeper)
