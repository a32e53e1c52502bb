"""The export format (SPEC "Interfaces"): JSON objects and CSV rows with the same fields.

An export is written a batch of rows at a time (`write`): memory holds one batch and its
text, whatever the size of the export, and other requests get the event loop between
slices of rows. `render` lays out a short list the same way, byte for byte, at once.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterable, Callable, Sequence
from typing import Any, NamedTuple

from bot.deliverable import Deliverable

FORMATS = ("csv", "json")
FIELDS = (
    "id",
    "platform",
    "workspace_id",
    "channel_id",
    "type",
    "status",
    "title",
    "text",
    "author_id",
    "tagged_by",
    "via",
    "permalink",
    "message_id",
    "thread_id",
    "fields",
    "created_at",
    "updated_at",
    "completed_at",
)
# Rows laid out between two turns of the event loop: a few milliseconds of work (JSON with
# its indentation costs some 40 µs a row), so an export never holds up a request for long.
SLICE = 100


def record(d: Deliverable) -> dict[str, Any]:
    return {
        "id": d.id,
        "platform": d.channel.platform,
        "workspace_id": d.channel.workspace_id,
        "channel_id": d.channel.channel_id,
        "type": d.type,
        "status": d.status.value,
        "title": d.title,
        "text": d.text,
        "author_id": d.author_id,
        "tagged_by": d.tagged_by,
        "via": d.via.value,
        "permalink": d.permalink,
        "message_id": d.message_id,
        "thread_id": d.thread_id,
        "fields": dict(d.fields),
        "created_at": d.created_at.isoformat(),
        "updated_at": d.updated_at.isoformat() if d.updated_at else None,
        "completed_at": d.completed_at.isoformat() if d.completed_at else None,
    }


def _csv_header() -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(FIELDS)
    return buf.getvalue()


def _csv_rows(items: Sequence[Deliverable], first: bool) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for d in items:
        row = record(d)
        row["fields"] = json.dumps(row["fields"], ensure_ascii=False)
        writer.writerow(row.values())  # record() keeps FIELDS' order
    return buf.getvalue()


def _json_rows(items: Sequence[Deliverable], first: bool) -> str:
    """Elements of one JSON array as `json.dumps(list, indent=2)` lays them out: each object
    one level in, a comma between them. Indenting an object's own dump is safe: JSON text
    never holds a raw line break inside a string."""
    objects = (json.dumps(record(d), ensure_ascii=False, indent=2).replace("\n", "\n  ") for d in items)
    return ("\n  " if first else ",\n  ") + ",\n  ".join(objects)


class _Layout(NamedTuple):
    head: str
    rows: Callable[[Sequence[Deliverable], bool], str]  # (rows, the first ones?) -> text
    tail: Callable[[bool], str]  # (were there rows?) -> text


_LAYOUTS = {
    "csv": _Layout(_csv_header(), _csv_rows, lambda _any: ""),
    "json": _Layout("[", _json_rows, lambda any_rows: "\n]" if any_rows else "]"),
}


def _layout(fmt: str) -> _Layout:
    layout = _LAYOUTS.get(fmt)
    if layout is None:
        raise ValueError(f"unknown export format {fmt!r} (csv or json)")
    return layout


def render(items: Sequence[Deliverable], fmt: str) -> str:
    """A short list's export at once (tests, small files); `write` streams a long one."""
    layout = _layout(fmt)
    return layout.head + (layout.rows(items, True) if items else "") + layout.tail(bool(items))


async def write(
    batches: AsyncIterable[Sequence[Deliverable]], fmt: str, out: Callable[[str], object]
) -> int:
    """Write the export of `batches` through `out`, a slice of rows at a time; return how
    many rows were written. An unknown `fmt` raises before any batch is read."""
    layout = _layout(fmt)
    out(layout.head)
    count = 0
    async for batch in batches:
        for start in range(0, len(batch), SLICE):
            piece = batch[start : start + SLICE]
            out(layout.rows(piece, count == 0))
            count += len(piece)
            await asyncio.sleep(0)  # laying rows out is CPU work: let other requests in
    out(layout.tail(count > 0))
    return count


async def to_text(batches: AsyncIterable[Sequence[Deliverable]], fmt: str) -> tuple[str, int]:
    """The whole export as one string (a file sent in chat, whose size is capped), and how
    many rows it holds. Built a slice at a time, like `write`, kept meanwhile as UTF-8: one
    emoji makes a Python string 4 bytes a character, and slices kept as strings, then
    joined, held the text about twice over in that width. `surrogatepass`: any string
    comes back as it went in."""
    buf = bytearray()
    count = await write(batches, fmt, lambda text: buf.extend(text.encode("utf-8", "surrogatepass")))
    return buf.decode("utf-8", "surrogatepass"), count
