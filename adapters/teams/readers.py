"""The language a person reads on Teams, by the rule Slack follows too (`Kit.person`): the
language they chose (`language me fr`), else the locale of their activity, else the charter's
language of the channel, else the bot's default.

What the engine answers is in that language already (it applies the same rule); this is for
the texts the Teams adapter writes itself: dialogs, cards, notes about files and failed
posts. The person's stored language is read through the engine (`bot.languages`, over the
repository port), which caches it and stores the activity's locale on the way.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from adapters.teams import convert
from bot.engine import Engine
from bot.events import Actor
from bot.i18n import Translator, normalize, translator

log = logging.getLogger(__name__)

# A cached language is read at once; an uncached one is one short query. Past this the
# activity's locale is used: an invoke's answer must not wait on a slow database.
LOOKUP_SECONDS = 1.0


class Readers:
    def __init__(self, engine: Engine) -> None:
        self.languages = engine.services.languages
        self.repo = engine.repo
        self.default = engine.services.settings.default_language

    async def lang(self, wire: dict[str, Any], within: float = LOOKUP_SECONDS) -> str:
        """The language of the person who sent `wire` (an activity as Teams sent it)."""
        locale = convert._str(wire.get("locale")) or None
        try:
            async with asyncio.timeout(within):
                return await self._stored_or_charter(wire, locale)
        except Exception as exc:  # the database is away or slow: the locale still says something
            why = type(exc).__name__
            log.warning("teams: a person's language could not be read (%s); using their locale", why)
            return normalize(locale or self.default)

    async def translator(self, wire: dict[str, Any], within: float = LOOKUP_SECONDS) -> Translator:
        return translator(await self.lang(wire, within))

    async def _stored_or_charter(self, wire: dict[str, Any], locale: str | None) -> str:
        key = convert.key_of(wire)
        person = Actor(convert.user_id(convert._dict(wire.get("from"))), locale=locale)
        lang = await self.languages.reader(key, person)
        if lang:
            return lang
        charter = await self.repo.get_charter(key)
        return charter.language if charter is not None else self.default
