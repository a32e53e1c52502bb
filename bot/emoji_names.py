"""Emoji names people type and emoji they paste, checked against a maintained list.

The list is the `emoji` package's: every emoji's English name and its aliases (the names
Slack and GitHub use, `white_check_mark`, `+1`). Names are compared by the emoji they
stand for, so `thumbsup`, `+1` and `thumbs_up` are one emoji, as a person sees them.
"""

from __future__ import annotations

import difflib
from functools import cache

import emoji as emoji_data

_SKIN_TONES = frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))
_VARIATION = "\ufe0f"


def _bare(char: str) -> str:
    return "".join(c for c in char if c not in _SKIN_TONES and c != _VARIATION)


@cache
def _names() -> dict[str, str]:
    """Every standard name (lowercase, no colons) → the emoji it names, without skin tone."""
    out: dict[str, str] = {}
    for char, data in emoji_data.EMOJI_DATA.items():
        for name in [*data.get("alias", []), data["en"]]:
            out.setdefault(name.strip(":").lower(), _bare(char))
    return out


def normalize(name: str) -> str:
    """`:Thumbsup::skin-tone-3:` → `thumbsup`: colons, case and skin tones do not matter."""
    name = name.strip().strip(":").lower()
    return name.split("::", 1)[0]


def is_standard(name: str) -> bool:
    return normalize(name) in _names()


def canonical(name: str) -> str:
    """What a name stands for: the emoji itself for a standard name, else the name (custom)."""
    name = normalize(name)
    return _names().get(name, name)


def from_pasted(text: str) -> str | None:
    """The name of an emoji pasted as a character (`🚀` → `rocket`), or None."""
    bare = _bare(text.strip())
    data = emoji_data.EMOJI_DATA.get(bare) or emoji_data.EMOJI_DATA.get(bare + _VARIATION)
    if data is None:
        return None
    return str([*data.get("alias", []), data["en"]][0]).strip(":").lower()


def close_to(name: str) -> list[str]:
    """Standard names that look like `name`, best first (for "did you mean")."""
    return difflib.get_close_matches(normalize(name), list(_names()), n=3, cutoff=0.75)
