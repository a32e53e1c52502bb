"""Teams' size limits: a message (text, cards and all) must stay under about 28 KB.

We keep a margin for the activity's envelope: text is split on line boundaries into
messages of at most `MAX_TEXT_BYTES`, and a card larger than `MAX_CARD_BYTES` loses body
elements from its end (the digest's tail: items, drafts, contributors) with a closing note.
"""

from __future__ import annotations

import json
from typing import Any

MAX_TEXT_BYTES = 20_000
MAX_CARD_BYTES = 24_000
MAX_MESSAGES = 5  # a reply longer than this is capped, not spread over the whole channel


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int = MAX_TEXT_BYTES, most: int = MAX_MESSAGES) -> list[str]:
    """Chunks of at most `limit` bytes, cut between lines (inside a line only when it alone is
    too long); at most `most` chunks, the last one ending with an ellipsis when text was cut."""
    chunks: list[str] = []
    current = ""
    for line in _lines_within(text, limit):
        candidate = f"{current}\n{line}" if current else line
        if _size(candidate) <= limit:
            current = candidate
            continue
        chunks.append(current)
        current = line
    if current or not chunks:
        chunks.append(current)
    if len(chunks) > most:
        chunks = chunks[:most]
        last = chunks[-1]
        while _size(last + "\n…") > limit:
            last = last[: len(last) // 2]
        chunks[-1] = last + "\n…"
    return chunks


def _lines_within(text: str, limit: int) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        while _size(line) > limit:
            cut = limit
            while _size(line[:cut]) > limit:  # multi-byte characters: shrink to fit
                cut -= max(1, (_size(line[:cut]) - limit) // 4)
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def card_size(card: dict[str, Any]) -> int:
    return _size(json.dumps(card, ensure_ascii=False))


def cap_card(card: dict[str, Any], note: str, limit: int = MAX_CARD_BYTES) -> dict[str, Any]:
    """The card itself when it fits; else its body shortened from the end, with `note` last."""
    if card_size(card) <= limit:
        return card
    body = list(card.get("body", []))
    closing = {"type": "TextBlock", "text": note, "wrap": True, "isSubtle": True}
    while body and card_size({**card, "body": [*body, closing]}) > limit:
        body.pop()
    capped = {**card, "body": [*body, closing]}
    if card_size(capped) > limit:  # even the first element alone is too big: keep the note
        capped = {**card, "body": [closing]}
    return capped
