"""Message catalogues: every sentence a person reads goes through here.

Catalogues are gettext `.po` files under `bot/locales/<lang>/LC_MESSAGES/outputs.po`,
loaded with Babel and compiled in memory at first use, so an installed package needs no
compile step. Message ids are the English sentences with `{named}` placeholders; a
missing translation falls back to English (a test keeps that from shipping).
"""

from __future__ import annotations

import io
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime, format_interval
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "outputs"
DEFAULT = "en"
# English is the message ids themselves; every other language is one catalogue file, so
# adding a language means adding `locales/<lang>/LC_MESSAGES/outputs.po` and nothing else.
LANGUAGES = (DEFAULT, *sorted(
    lang for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po") if (lang := p.parent.parent.name) != DEFAULT
))


def N_(message: str) -> str:
    """Marks a string for extraction where it is translated later (tables, constants)."""
    return message


def normalize(lang: str | None) -> str:
    """`fr-FR`, `fr_CA`, `FR` → `fr`; anything we don't ship (or not a language code at
    all, as a malformed payload may carry) → English."""
    if not lang or not isinstance(lang, str):
        return DEFAULT
    base = lang.replace("-", "_").split("_", 1)[0].lower()
    return base if base in LANGUAGES else DEFAULT


@cache
def _translations(lang: str) -> NullTranslations:
    po = LOCALES_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == DEFAULT or not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


class Translator:
    """Translates and formats for one reader's language."""

    def __init__(self, lang: str | None = None) -> None:
        self.lang = normalize(lang)
        self.locale = Locale.parse(self.lang)
        self._t = _translations(self.lang)

    def __call__(self, message: str, /, **values: object) -> str:
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        text = self._t.ngettext(singular, plural, count)
        return text.format(count=self.number(count), **values)

    def number(self, n: float) -> str:
        return format_decimal(n, locale=self.locale)

    def day(self, d: date | datetime) -> str:
        """`Friday 28 November` / `vendredi 28 novembre`."""
        return format_date(d, "EEEE d MMMM", locale=self.locale)

    def short_day(self, d: date | datetime) -> str:
        return format_date(d, "medium", locale=self.locale)

    def when(self, dt: datetime) -> str:
        return format_datetime(dt, "EEEE d MMMM HH:mm", tzinfo=dt.tzinfo, locale=self.locale)

    def span(self, start: date, end: date) -> str:
        """`28 Nov – 4 Dec` / `28 nov. – 4 déc.`: a period, end day inclusive."""
        return format_interval(start, end, "MMMd", locale=self.locale)

    def weekday(self, index: int) -> str:
        return str(self.locale.days["format"]["wide"][index])

    def list(self, items: list[str]) -> str:
        from babel.lists import format_list

        return format_list(items, locale=self.locale) if items else ""


def translator(lang: str | None) -> Translator:
    return _translator(normalize(lang))


@cache
def _translator(lang: str) -> Translator:
    return Translator(lang)
