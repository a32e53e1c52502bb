"""The catalogues ship complete: up to date with the source, every message translated, and
translations that keep the original's placeholders, markup and command keywords."""

from __future__ import annotations

import shutil
import tomllib
from fnmatch import fnmatch
from importlib import resources

import pytest
from babel.messages.catalog import Catalog

from bot.i18n import LANGUAGES, LOCALES_DIR
from tests.i18n.catalogues import (
    ROOT,
    catalogue,
    command_words,
    forms,
    messages,
    placeholders,
    script,
    template,
)

TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


def test_the_template_is_up_to_date_with_the_source():
    """A new `t("…")` in the code without a catalogue entry fails here.

    Fix: `.venv/bin/python scripts/update_catalogues.py`, then translate the new entries.
    """
    uc = script()
    in_source = uc.message_keys(uc.extract())
    in_template = uc.message_keys(template())
    assert sorted(in_source - in_template) == [], "messages missing from bot/locales/outputs.pot"
    assert sorted(in_template - in_source) == [], "bot/locales/outputs.pot keeps removed messages"
    assert len(in_source) > 50  # the extraction really found the engine's sentences


def test_extraction_sees_every_kind_of_call():
    keys = script().message_keys(template())
    assert ("Recorded {line}",) in keys  # ctx.t("…")
    assert ("met",) in keys  # N_("…") in a table
    assert ("commands, and this channel's charter summary",) in keys  # N_ in the command table
    assert ("{count} deliverable exported.", "{count} deliverables exported.") in keys  # t.n(…)
    assert ("New {type} from {channel}: {title}",) in keys  # t = ctx.channel_t; t("…")


def test_no_message_is_an_f_string(tmp_path):
    """`t(f"Hello {name}")` can be neither extracted nor translated."""
    uc = script()
    assert uc.fstring_messages() == []
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "bad.py").write_text(
        'def f(t, x):\n    t(f"Hi {x}")\n    t("ok {c}", c=f"<{x}>")\n    t.n("a", f"{x} b", 2)\n'
    )
    assert uc.fstring_messages(tmp_path) == ["bot/bad.py:2", "bot/bad.py:4"]


def test_a_subscript_of_a_variable_named_t_is_not_a_message():
    """Babel's tokenizer reads `str(t["target"])` as a call; the script filters that out."""
    keys = script().message_keys(template())
    assert ("target",) not in keys


@pytest.mark.parametrize("lang", TRANSLATED)
def test_each_language_has_exactly_the_templates_messages(lang):
    uc = script()
    assert uc.message_keys(catalogue(lang)) == uc.message_keys(template())


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_and_not_fuzzy(lang):
    catalog = catalogue(lang)
    bad = []
    for m in messages(catalog):
        strings = forms(m.string)
        if m.fuzzy or not strings or not all(s.strip() for s in strings):
            bad.append(m.id)
        if isinstance(m.id, (list, tuple)):
            assert len(strings) == catalog.num_plurals, m.id
    assert bad == [], f"untranslated or fuzzy in {lang}: run scripts/update_catalogues.py and translate"


def test_french_uses_the_gettext_plural_rule():
    catalog = catalogue("fr")
    assert catalog.plural_forms == "nplurals=2; plural=(n > 1);"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang):
    wrong = []
    for m in messages(catalogue(lang)):
        originals = forms(m.id)
        wanted = set().union(*(placeholders(o) for o in originals))
        for s in forms(m.string):
            got, expected = placeholders(s), wanted
            if isinstance(m.id, (list, tuple)):
                # Every plural form gets `count`; a form may spell the number out instead.
                got, expected = got - {"count"}, wanted - {"count"}
            if got != expected:
                wrong.append((m.id, s))
    assert wrong == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_markup_and_command_keywords(lang):
    wrong = []
    for m in messages(catalogue(lang)):
        for original, s in zip(forms(m.id) * 2, forms(m.string), strict=False):
            if (
                original.count("`") != s.count("`")
                or original.count("*") != s.count("*")
                or _italic(original) != _italic(s)
                or command_words(original) != command_words(s)
            ):
                wrong.append((original, s))
    assert wrong == []


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_format_with_the_originals_values(lang):
    from bot.i18n import translator

    t = translator(lang)
    for m in messages(catalogue(lang)):
        values = {name: f"<{name}>" for o in forms(m.id) for name in placeholders(o)}
        if isinstance(m.id, (list, tuple)):
            singular, plural = m.id
            values.pop("count", None)
            for n in (0, 1, 2, 5):
                assert "<" in t.n(singular, plural, n, **values) or not values
        else:
            text = t(m.id, **values)
            assert text != m.id or not any(c.isalpha() for c in m.id)


def test_the_check_mode_passes_on_the_shipped_catalogues(capsys):
    assert script().main(["--check"]) == 0


def test_merging_keeps_translations_and_flags_new_and_changed_messages(tmp_path, monkeypatch):
    uc = script()
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    monkeypatch.setattr(uc, "LOCALES", locales)
    new = Catalog(project=uc.PROJECT)
    for m in messages(template()):
        if m.id != "Purpose set: {purpose}":
            new.add(m.id, locations=m.locations)
    new.add("Purpose saved: {purpose}")  # a reworded sentence
    new.add("A brand new sentence about quarterly reviews.")
    merged = uc.merge(new, "fr")
    assert merged["Recorded {line}"].string == "Enregistré : {line}"
    assert not merged["Recorded {line}"].fuzzy
    reworded = merged["Purpose saved: {purpose}"]
    assert reworded.fuzzy and reworded.string  # the old translation, to be checked
    assert not merged["A brand new sentence about quarterly reviews."].string
    assert "Purpose set: {purpose}" not in merged
    assert merged.plural_forms == "nplurals=2; plural=(n > 1);"
    empty, fuzzy = uc.untranslated(merged)
    assert empty >= 1 and fuzzy >= 1


def _italic(text: str) -> bool:
    return text.startswith("_") and text.endswith("_")


def test_the_catalogues_are_package_data():
    with (ROOT / "pyproject.toml").open("rb") as fh:
        patterns = tomllib.load(fh)["tool"]["setuptools"]["package-data"]["bot"]
    shipped = ["locales/outputs.pot"] + [f"locales/{lang}/LC_MESSAGES/outputs.po" for lang in TRANSLATED]
    for path in shipped:
        assert any(fnmatch(path, p) for p in patterns), path
        assert resources.files("bot").joinpath(path).is_file(), path
