"""One command grammar for every platform: words, quotes and `name=value` pairs.

A quote opens a quoted part only at the start of a word or right after `name=`, and closes
at the same quote followed by a space or the end: apostrophes inside words (`l'équipe`,
`don't`) are plain letters. What cannot be read is refused with the place it went wrong,
never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.i18n import N_

# Chat clients "improve" quotes as people type; the grammar accepts both kinds.
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})
# An option name: a letter (accented or not, any case), then letters, digits, _ or -.
NAME = r"[^\W\d_][\w-]*"
_OPTION = re.compile(rf"^({NAME})=(.*)$", re.S)
_OPTION_AT = re.compile(rf"({NAME})=")
_SPACES = re.compile(r"[ \t]{2,}")
QUOTES = "\"'"
MAX_COMMAND = 45_000
PLACE_LEN = 24


class GrammarError(ValueError):
    """The text cannot be read: an English template and its values, so that whoever shows
    it can translate it (`str()` gives the English)."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template = template
        self.values = values


class UsageError(Exception):
    """Raised by a handler when its arguments don't fit; answered with the usage line.

    The argument, when given, is what did not fit, as the person typed it; `reason`, when
    given, says why in the reader's language and is shown before the usage line."""

    def __init__(self, detail: str = "", reason: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason


def unclosed(before: str, after: str) -> GrammarError:
    """A quote that never closes, named by what precedes it (`fix=`) or else what follows."""
    if before.strip():
        return GrammarError(
            N_("The quote after `{place}` is never closed."), place=before.strip()[-PLACE_LEN:]
        )
    shown = after.strip()
    if len(shown) > PLACE_LEN:
        shown = shown[:PLACE_LEN] + "…"
    return GrammarError(N_("The quote before `{place}` is never closed."), place=shown)


@dataclass(frozen=True)
class Args:
    words: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)
    raw: str = ""  # the text after the command words, as typed
    error: GrammarError | None = None  # why `raw` could not be split into words

    def strict(self) -> Args:
        """For commands with structured arguments: an unclosed quote is refused."""
        if self.error:
            raise self.error
        return self

    def word(self, i: int) -> str | None:
        return self.words[i] if i < len(self.words) else None


def _closing(text: str, start: int, quote: str) -> int:
    """The index of the quote closing a part opened before `start`, or -1."""
    i = start
    while (i := text.find(quote, i)) != -1:
        if i + 1 == len(text) or text[i + 1].isspace():
            return i
        i += 1
    return -1


def _value_end(text: str, i: int) -> tuple[str, int]:
    """The value starting at `i` (quoted or one word) and where it ends."""
    if i < len(text) and text[i] in QUOTES:
        end = _closing(text, i + 1, text[i])
        if end == -1:
            raise unclosed(text[max(0, text.rfind(" ", 0, i) + 1) : i], text[i + 1 :])
        return text[i + 1 : end], end + 1
    end = i
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[i:end], end


def tokenize(text: str) -> list[str]:
    """Words, with quoted parts read as one word (`"two words"`, `name="two words"`)."""
    text = text.translate(_SMART_QUOTES)
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if m := _OPTION_AT.match(text, i):
            value, i = _value_end(text, m.end())
            out.append(f"{m.group(1)}={value}")
        else:
            value, i = _value_end(text, i)
            out.append(value)
    return out


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


def parse_args(raw: str) -> Args:
    try:
        args = split_options(tokenize(raw))
    except GrammarError as exc:
        return Args((), {}, raw, exc)
    return Args(args.words, args.options, raw)


def extract_options(raw: str) -> tuple[str, dict[str, str]]:
    """Free text with `name=value` / `name="a b"` pairs anywhere: (the text, the pairs).

    Apostrophes in the text are fine here. A text wholly in quotes loses them (`"Quarterly
    summary"`), and a `name=value` inside quotes stays text. Raises GrammarError for a quote
    that never closes.
    """
    raw = raw.translate(_SMART_QUOTES)
    options: dict[str, str] = {}
    text: list[str] = []
    i = 0
    while i < len(raw):
        if raw[i].isspace():
            text.append(raw[i])
            i += 1
            continue
        if m := _OPTION_AT.match(raw, i):
            options[m.group(1)], i = _value_end(raw, m.end())
            continue
        if raw[i] == '"':
            end = _closing(raw, i + 1, '"')
            if end == -1:
                raise unclosed("", raw[i + 1 :])
            text.append(raw[i + 1 : end])
            i = end + 1
            continue
        end = i
        while end < len(raw) and not raw[end].isspace():
            end += 1
        text.append(raw[i:end])
        i = end
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(text).strip().splitlines()]
    return "\n".join(lines).strip(), options
