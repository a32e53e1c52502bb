"""What every platform's payload goes through after parsing and before anything reads it.

A JSON payload can nest deeper than any real one (each level one more frame for whatever
walks it) and carry text no database stores: PostgreSQL refuses NUL characters, and a lone
surrogate cannot be encoded as UTF-8 at all. `clean` refuses the first and mends the second.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 64  # the deepest real payloads (rich text inside a message inside an event) stay far below


class TooDeep(ValueError):
    """The payload nests deeper than `MAX_DEPTH`."""


def clean(value: Any, depth: int = 0) -> Any:
    """`value` with NUL characters dropped and lone surrogates replaced; TooDeep past
    `MAX_DEPTH` levels of nesting."""
    if depth > MAX_DEPTH:
        raise TooDeep(depth)
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(str(k)): clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v, depth + 1) for v in value]
    return value


def text(s: str) -> str:
    if "\x00" in s:
        s = s.replace("\x00", "")
    if not s.isascii():
        s = s.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"
    return s
