"""The Translator: language codes, fallbacks, French plurals and Babel date formats."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import LANGUAGES, normalize, translator

THIN = "\u2009"  # Babel/CLDR puts thin spaces around the dash of an interval


def test_shipped_languages():
    assert LANGUAGES == ("en", "fr")


@pytest.mark.parametrize("code", ["fr", "fr-FR", "fr_FR", "fr_CA", "fr-ca", "FR"])
def test_french_codes_normalise_to_fr(code):
    assert normalize(code) == "fr"
    t = translator(code)
    assert t.lang == "fr"
    assert t("Recorded {line}", line="#1") == "Enregistré : #1"


@pytest.mark.parametrize("code", ["de", "de-DE", "pt_BR", "", None, "xx-unknown"])
def test_unknown_languages_fall_back_to_english(code):
    t = translator(code)
    assert t.lang == "en"
    assert t("Recorded {line}", line="#1") == "Recorded #1"
    assert t.day(date(2026, 11, 27)) == "Friday 27 November"


def test_english_variants_are_english():
    assert translator("en-GB").lang == translator("en_US").lang == "en"


def test_a_message_missing_from_the_catalogue_falls_back_to_english():
    t = translator("fr")
    assert t("A sentence nobody translated, {name}.", name="Ada") == "A sentence nobody translated, Ada."
    assert t.n("{count} unknown thing", "{count} unknown things", 3) == "3 unknown things"


def test_french_plurals_treat_zero_and_one_as_singular():
    t = translator("fr")
    one, many = "{count} deliverable exported.", "{count} deliverables exported."
    assert t.n(one, many, 0) == "0 livrable exporté."
    assert t.n(one, many, 1) == "1 livrable exporté."
    assert t.n(one, many, 2) == "2 livrables exportés."
    assert t.n("…and {count} more", "…and {count} more", 12) == "…et 12 autres"
    en = translator("en")
    assert en.n(one, many, 0) == "0 deliverables exported."
    assert en.n(one, many, 1) == "1 deliverable exported."


def test_numbers_use_the_locale_grouping():
    assert translator("en").number(45000) == "45,000"
    assert translator("fr").number(45000) == "45\u202f000"  # narrow no-break space


def test_french_days_and_weekdays():
    t = translator("fr")
    assert t.day(date(2026, 11, 27)) == "vendredi 27 novembre"
    assert t.day(date(2026, 11, 28)) == "samedi 28 novembre"
    assert t.weekday(4) == "vendredi"
    assert t.weekday(0) == "lundi"
    assert t.short_day(date(2026, 12, 4)) == "4 déc. 2026"
    paris = datetime(2026, 11, 27, 15, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert t.when(paris) == "vendredi 27 novembre 16:00"


def test_french_spans():
    t = translator("fr")
    assert t.span(date(2026, 11, 28), date(2026, 12, 4)) == f"28 nov.{THIN}–{THIN}4 déc."
    assert t.span(date(2026, 11, 23), date(2026, 11, 27)) == "23–27 nov."
    assert t.span(date(2026, 12, 28), date(2027, 1, 3)) == f"28 déc.{THIN}–{THIN}3 janv."


def test_english_spans():
    t = translator("en")
    assert t.span(date(2026, 11, 28), date(2026, 12, 4)) == f"Nov 28{THIN}–{THIN}Dec 4"
    assert t.weekday(4) == "Friday"


def test_lists_and_language_names():
    assert translator("fr").list(["a", "b", "c"]) == "a, b et c"
    assert translator("en").list(["a", "b", "c"]) == "a, b, and c"
    assert translator("fr").locale.languages["fr"] == "français"
