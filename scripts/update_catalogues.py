"""Regenerate the message template from the source and merge it into every language.

    .venv/bin/python scripts/update_catalogues.py            # update bot/locales/
    .venv/bin/python scripts/update_catalogues.py --check    # exit 1 when a catalogue is stale
    .venv/bin/python scripts/update_catalogues.py --init de  # start a new language

1. Every translatable string is extracted with Babel from `bot/` and `adapters/`: calls to
   `t(...)`, `_(...)`, `N_(...)`, `channel_t(...)` (so `ctx.t("…")` and `t("…")`), and the
   plural form `t.n(singular, plural, count)`. The result is `bot/locales/outputs.pot`.
2. The template is merged into each `bot/locales/<lang>/LC_MESSAGES/outputs.po` with
   `Catalog.update`: existing translations are kept, a changed sentence keeps its old
   translation marked fuzzy (to be checked), a new one is empty, removed ones are dropped.
   Fuzzy and empty entries fall back to English at run time, and tests/i18n fails on them.

The catalogues are read and compiled in memory by `bot.i18n` at first use: there is no
compile step. English needs no catalogue: the message ids are the English sentences.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import sys
import tomllib
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "bot" / "locales"
DOMAIN = "outputs"
TEMPLATE = LOCALES / f"{DOMAIN}.pot"
SOURCE_DIRS = ("bot", "adapters")
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "t": None,
    "_": None,
    "N_": None,
    "channel_t": None,
    "n": (1, 2),
}
COMMENT_TAGS = ("Translators:",)
PROJECT = "outputs-bot"
# Plural rules as gettext writes them. Babel's CLDR data gives French a third "many" form
# (for millions) that gettext tools and translators don't expect; use the classic rule.
PLURAL_FORMS = {"fr": (2, "(n > 1)")}
WIDTH = 100


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _positions(funcname: str) -> list[int]:
    """0-based positions of the message arguments of a keyword: `n` → [0, 1]."""
    return [i - 1 for i in KEYWORDS[funcname] or (1,)]


def _calls(tree: ast.AST) -> set[tuple[str, tuple[str, ...]]]:
    """(keyword, leading string arguments) of every real call to a keyword in `tree`."""
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (name := _callee(node)) not in KEYWORDS:
            continue
        strings = []
        for arg in node.args:
            if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                break
            strings.append(arg.value)
        found.add((name, tuple(strings)))
    return found


def python_calls(
    fileobj: IO[bytes], keywords: Any, comment_tags: Collection[str], options: Any
) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel's Python extractor, keeping only what is really a call to a keyword.

    Babel's tokenizer also reports `t["target"]` inside a call as `t("target")`; with a
    one-letter keyword such as `t` that happens (a dict named `t`). The syntax tree of the
    same file tells a call from a subscript.
    """
    source = fileobj.read()
    calls = _calls(ast.parse(source))
    # Babel warns about any f-string inside a keyword call, even a keyword argument's
    # (`t("in {channel}", channel=f"<#{c}>")`); `fstring_messages` reports the real mistakes.
    found: list[Any]
    with contextlib.redirect_stderr(io.StringIO()):
        found = list(extract_python(io.BytesIO(source), keywords, comment_tags, options))
    for lineno, funcname, messages, comments in found:
        strings = messages if isinstance(messages, tuple) else (messages,)
        wanted = max(_positions(funcname)) + 1
        head = tuple(strings[:wanted])
        if any(name == funcname and args[:wanted] == head for name, args in calls):
            yield lineno, funcname, messages, comments


def fstring_messages(root: Path = ROOT) -> list[str]:
    """`t(f"…{x}…")`: a message that cannot be extracted nor translated (file:line)."""
    out = []
    for name in SOURCE_DIRS:
        for path in sorted((root / name).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_bytes())):
                if not isinstance(node, ast.Call) or (funcname := _callee(node)) not in KEYWORDS:
                    continue
                args = node.args
                if any(i < len(args) and isinstance(args[i], ast.JoinedStr) for i in _positions(funcname)):
                    out.append(f"{path.relative_to(root).as_posix()}:{node.lineno}")
    return out


def _version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def extract(root: Path = ROOT) -> Catalog:
    """The template: every message found in the source, with the files it comes from."""
    catalog = Catalog(project=PROJECT, version=_version(), copyright_holder="the Outputs authors",
                      charset="utf-8", fuzzy=False)
    for name in SOURCE_DIRS:
        directory = root / name
        if not directory.is_dir():
            continue
        for filename, lineno, message, comments, context in extract_from_dir(
            directory,
            method_map=[("**.py", python_calls)],  # type: ignore[list-item]
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        ):
            path = (directory / filename).relative_to(root).as_posix()
            catalog.add(message, None, [(path, lineno)], auto_comments=comments, context=context)
    return catalog


def message_keys(catalog: Catalog) -> set[tuple[str, ...]]:
    """What a catalogue must cover: each msgid (with its plural id), the header excluded."""
    keys = set()
    for m in catalog:
        if not m.id:
            continue
        keys.add(tuple(m.id) if isinstance(m.id, (list, tuple)) else (m.id,))
    return keys


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def po_path(lang: str) -> Path:
    return LOCALES / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def render(catalog: Catalog, *, template: bool = False) -> str:
    buf = io.BytesIO()
    write_po(buf, catalog, width=WIDTH, sort_output=True, include_lineno=False,
             ignore_obsolete=True, omit_header=False)
    text = buf.getvalue().decode("utf-8")
    if template:
        # Babel writes a template's language as the project's placeholder; keep it neutral.
        text = text.replace("Language: en\\n", "")
    return text


def _stable(text: str) -> str:
    """The text without the lines that change on every run."""
    return "\n".join(
        line for line in text.splitlines()
        if not line.startswith(('"POT-Creation-Date:', '"PO-Revision-Date:'))
    )


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and _stable(path.read_text(encoding="utf-8")) == _stable(text):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def set_plural_forms(catalog: Catalog, lang: str) -> None:
    if lang in PLURAL_FORMS:
        # Catalog has no public setter; these are what its Plural-Forms header is made of.
        catalog._num_plurals, catalog._plural_expr = PLURAL_FORMS[lang]  # type: ignore[assignment]


def merge(template: Catalog, lang: str) -> Catalog:
    path = po_path(lang)
    if path.exists():
        catalog = read(path, lang)
    else:
        catalog = Catalog(locale=Locale.parse(lang), domain=DOMAIN, project=PROJECT,
                          copyright_holder=template.copyright_holder, charset="utf-8", fuzzy=False)
    set_plural_forms(catalog, lang)
    catalog.version = template.version
    catalog.update(template, no_fuzzy_matching=False)
    return catalog


def untranslated(catalog: Catalog) -> tuple[int, int]:
    """(empty, fuzzy) counts, the header excluded."""
    empty = fuzzy = 0
    for m in catalog:
        if not m.id:
            continue
        strings = m.string if isinstance(m.string, (list, tuple)) else (m.string,)
        if m.fuzzy:
            fuzzy += 1
        elif not all(strings):
            empty += 1
    return empty, fuzzy


def update(langs: Iterable[str]) -> int:
    template = extract()
    for where in fstring_messages():
        print(f"{where}: warning: an f-string message cannot be translated; use t(\"… {{name}} …\", "
              "name=…)", file=sys.stderr)
    if write_if_changed(TEMPLATE, render(template, template=True)):
        print(f"wrote {TEMPLATE.relative_to(ROOT)} ({len(message_keys(template))} messages)")
    else:
        print(f"{TEMPLATE.relative_to(ROOT)} is up to date ({len(message_keys(template))} messages)")
    for lang in langs:
        catalog = merge(template, lang)
        path = po_path(lang)
        changed = write_if_changed(path, render(catalog))
        empty, fuzzy = untranslated(catalog)
        state = "updated" if changed else "unchanged"
        print(f"{path.relative_to(ROOT)}: {state}; {empty} untranslated, {fuzzy} fuzzy")
    return 0


def check() -> int:
    """Exit 1 when the template or a language's catalogue misses or keeps a message."""
    template = extract()
    wanted = message_keys(template)
    problems = [f"{where}: an f-string message cannot be translated" for where in fstring_messages()]
    if not TEMPLATE.exists():
        problems.append(f"{TEMPLATE.relative_to(ROOT)} is missing")
    else:
        have = message_keys(read(TEMPLATE))
        for key in sorted(wanted - have):
            problems.append(f"{TEMPLATE.relative_to(ROOT)}: missing {key[0]!r}")
        for key in sorted(have - wanted):
            problems.append(f"{TEMPLATE.relative_to(ROOT)}: no longer in the source: {key[0]!r}")
    for lang in languages():
        path = po_path(lang)
        have = message_keys(read(path, lang))
        if have != wanted:
            problems.append(f"{path.relative_to(ROOT)}: {len(wanted - have)} messages to merge, "
                            f"{len(have - wanted)} to drop")
        empty, fuzzy = untranslated(read(path, lang))
        if empty or fuzzy:
            problems.append(f"{path.relative_to(ROOT)}: {empty} untranslated, {fuzzy} fuzzy")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print("Run: .venv/bin/python scripts/update_catalogues.py, then translate.", file=sys.stderr)
        return 1
    print(f"catalogues are up to date ({len(wanted)} messages; languages: en, {', '.join(languages())})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 when the template is stale or a catalogue "
                             "is not merged or not fully translated")
    parser.add_argument("--init", metavar="LANG", help="also create the catalogue of a new language")
    args = parser.parse_args(argv)
    if args.check:
        return check()
    langs = languages()
    if args.init:
        lang = args.init.replace("-", "_")
        Locale.parse(lang)  # refuses a code Babel does not know
        if lang not in langs:
            langs.append(lang)
    return update(langs)


if __name__ == "__main__":
    sys.exit(main())
