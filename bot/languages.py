"""Each person's language: what they chose, else what their platform says, else nothing.

Every event that names a person may carry their platform's locale (Slack `users.info`, the
Teams activity's `locale`); it is stored so that what the bot sends that person later (a
draft reminder, an idle alert, a welcome) is in their language too. A language the person
chose with `language me <lang>` wins over the platform's. Reads are cached for a short
while, as the hot path (every reaction) would otherwise read the table each time; another
replica learns of a choice within that time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from cachetools import TTLCache

from bot.charter import ChannelKey, Charter
from bot.events import Actor
from bot.i18n import normalize
from bot.ports import PersonLanguage, Repository

CACHE_SECONDS = 60.0
CACHE_SIZE = 10_000
_NOBODY = PersonLanguage(language="", chosen=False)  # cached "nothing stored"


class Languages:
    def __init__(self, repo: Repository, now: Callable[[], datetime]) -> None:
        self.repo = repo
        self.now = now
        # Not thread-safe, and need not be: every caller runs on the one event loop.
        self._cache: TTLCache[tuple[str, str, str], PersonLanguage] = TTLCache(CACHE_SIZE, CACHE_SECONDS)

    async def stored(self, platform: str, workspace_id: str, user_id: str) -> PersonLanguage | None:
        key = (platform, workspace_id, user_id)
        found = self._cache.get(key)
        if found is None:
            found = await self.repo.get_language(platform, workspace_id, user_id) or _NOBODY
            self._cache[key] = found
        return None if found is _NOBODY or not found.language else found

    async def reader(self, channel: ChannelKey, actor: Actor) -> str | None:
        """The language to answer `actor` in, storing their platform's locale on the way."""
        if not actor.user_id or actor.is_bot:
            return actor.locale
        stored = await self.stored(channel.platform, channel.workspace_id, actor.user_id)
        if stored is not None and stored.chosen:
            return stored.language
        if actor.locale:
            lang = normalize(actor.locale)
            if stored is None or stored.language != lang:
                await self.repo.set_language(
                    channel.platform, channel.workspace_id, actor.user_id, lang, chosen=False, at=self.now()
                )
                self._cache[(channel.platform, channel.workspace_id, actor.user_id)] = PersonLanguage(
                    language=lang
                )
            return lang
        return stored.language if stored is not None else None

    async def choose(self, channel: ChannelKey, user_id: str, language: str) -> None:
        await self.repo.set_language(
            channel.platform, channel.workspace_id, user_id, language, chosen=True, at=self.now()
        )
        self._cache[(channel.platform, channel.workspace_id, user_id)] = PersonLanguage(
            language=language, chosen=True
        )


async def readers(repo: Repository, charter: Charter, user_ids: Iterable[str]) -> dict[str, str]:
    """For private messages sent outside a conversation (reminders, alerts): each person's
    stored language, else the charter's."""
    users = sorted(set(user_ids))
    ch = charter.channel
    known = await repo.languages_of(ch.platform, ch.workspace_id, users)
    return {u: known.get(u, charter.language) for u in users}
