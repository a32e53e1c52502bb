"""One command grammar for every platform: words, quotes and `name=value` pairs."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

# Chat clients "improve" quotes as people type; the grammar accepts both kinds.
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})
_OPTION = re.compile(r"^([a-z][a-z0-9_]*)=(.*)$", re.S)
MAX_COMMAND = 45_000


class GrammarError(ValueError):
    """The text cannot be split into words (an unclosed quote)."""


class UsageError(Exception):
    """Raised by a handler when its arguments don't fit; answered with the usage line."""


@dataclass(frozen=True)
class Args:
    words: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)
    raw: str = ""  # the text after the command words, as typed
    error: str | None = None  # why `raw` could not be split into words

    def strict(self) -> Args:
        """For commands with structured arguments: an unclosed quote is a usage error."""
        if self.error:
            raise GrammarError(self.error)
        return self

    def word(self, i: int) -> str | None:
        return self.words[i] if i < len(self.words) else None


def tokenize(text: str) -> list[str]:
    text = text.translate(_SMART_QUOTES)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=False)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError as exc:
        raise GrammarError(str(exc)) from exc


def split_options(tokens: list[str]) -> Args:
    """`a b x=1 y="two words"` → words (a, b), options {x: 1, y: two words}.

    A word containing `=` that isn't `name=` (a URL with a query string) stays a word.
    """
    words: list[str] = []
    options: dict[str, str] = {}
    for tok in tokens:
        m = _OPTION.match(tok)
        if m:
            options[m.group(1)] = m.group(2)
        else:
            words.append(tok)
    return Args(tuple(words), options)


def rest_after(text: str, n_words: int) -> str:
    """The raw text after the first `n_words` whitespace-separated words."""
    parts = text.strip().split(None, n_words)
    return parts[n_words] if len(parts) > n_words else ""


def parse_args(raw: str) -> Args:
    try:
        args = split_options(tokenize(raw))
    except GrammarError as exc:
        return Args((), {}, raw, str(exc))
    return Args(args.words, args.options, raw)


_INLINE = re.compile(r"""(?:^|(?<=\s))([a-z][a-z0-9_]*)=("[^"]*"|'[^']*'|\S*)""")


def extract_options(raw: str, names: set[str] | None = None) -> tuple[str, dict[str, str]]:
    """Free text with `name=value` / `name="a b"` pairs anywhere: (the text, the pairs).

    Apostrophes in the text are fine here. With `names`, only those names are taken, so a
    sentence like "ratio=3 was wrong" stays text unless `ratio` is a declared field.
    """
    raw = raw.translate(_SMART_QUOTES)
    options: dict[str, str] = {}

    def take(m: re.Match[str]) -> str:
        name, value = m.group(1), m.group(2)
        if names is not None and name not in names:
            return m.group(0)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        options[name] = value
        return ""

    text = _INLINE.sub(take, raw)
    return text.strip(), options
