"""The streamed export (`bot.export.write`) gives the bytes the whole-list export gave."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import export as exporting
from bot.charter import ChannelKey
from bot.deliverable import Deliverable, Status, Via

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ODD = [
    "plain",
    "comma, and more, commas",
    'quotes "double" and \'single\'',
    "line one\nline two\r\nline three\rend",
    "Résumé café naïve — «guillemets» 🚀👩🏽‍💻 مرحبا שלום",
    "tab\there; semicolon; \\ backslash / slash",
    "",
    " leading and trailing spaces ",
]


def old_to_json(items: list[Deliverable]) -> str:
    """The export before it streamed (bot/export.py until issue 12): the reference bytes."""
    return json.dumps([exporting.record(d) for d in items], ensure_ascii=False, indent=2)


def old_to_csv(items: list[Deliverable]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=exporting.FIELDS, lineterminator="\n")
    writer.writeheader()
    for d in items:
        row = exporting.record(d)
        row["fields"] = json.dumps(row["fields"], ensure_ascii=False)
        writer.writerow(row)
    return buf.getvalue()


OLD = {"csv": old_to_csv, "json": old_to_json}


def deliverable(i: int, text: str = "Fixed it", fields: dict[str, str] | None = None) -> Deliverable:
    return Deliverable(
        id=i,
        channel=ChannelKey(platform="slack", workspace_id="T1", channel_id="C1"),
        type="solution",
        status=Status.DRAFT if i % 3 == 0 else Status.COMPLETE,
        title=text[:60],
        text=text,
        author_id=None if i % 4 == 0 else f"U{i}",
        tagged_by="U1",
        via=Via.REACTION,
        permalink=None if i % 5 == 0 else f"https://example.slack.com/archives/C1/p{i}",
        message_id=f"{1700000000 + i}.000100",
        thread_id="1700000000.000001" if i % 2 else None,
        fields=fields if fields is not None else {"problem": text, "fix": "«ok», \"done\"\n"},
        created_at=T0 + timedelta(minutes=i),
        updated_at=T0 + timedelta(minutes=i, seconds=30) if i % 2 else None,
        completed_at=None if i % 3 == 0 else T0 + timedelta(minutes=i, seconds=5),
    )


def odd_items(n: int) -> list[Deliverable]:
    return [
        deliverable(i, ODD[i % len(ODD)], {} if i % 7 == 0 else {"problem": ODD[(i + 1) % len(ODD)]})
        for i in range(1, n + 1)
    ]


async def in_batches(items: Sequence[Deliverable], size: int) -> AsyncIterator[list[Deliverable]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


async def streamed(items: Sequence[Deliverable], fmt: str, size: int) -> tuple[str, int]:
    parts: list[str] = []
    count = await exporting.write(in_batches(items, size), fmt, parts.append)
    return "".join(parts), count


@pytest.mark.parametrize("fmt", exporting.FORMATS)
@pytest.mark.parametrize("rows", [0, 1, 2, 17, 250])
@pytest.mark.parametrize("size", [1, 3, 100, 1000])
async def test_streamed_export_is_the_whole_list_export(fmt: str, rows: int, size: int) -> None:
    items = odd_items(rows)
    text, count = await streamed(items, fmt, size)
    assert count == rows
    assert text == OLD[fmt](items)
    assert exporting.render(items, fmt) == text


async def test_the_files_read_back_as_the_rows() -> None:
    items = odd_items(40)
    as_json, _ = await streamed(items, "json", 7)
    assert json.loads(as_json) == [exporting.record(d) for d in items]
    as_csv, _ = await streamed(items, "csv", 7)
    rows = list(csv.DictReader(io.StringIO(as_csv, newline="")))
    assert [r["text"] for r in rows] == [d.text for d in items]  # line breaks and quotes kept
    assert [json.loads(r["fields"]) for r in rows] == [d.fields for d in items]


@settings(max_examples=60, deadline=None)
@given(
    texts=st.lists(st.text(max_size=40), min_size=0, max_size=12),
    fields=st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3),
    size=st.integers(min_value=1, max_value=5),
)
def test_any_text_streams_to_the_same_bytes(texts: list[str], fields: dict[str, str], size: int) -> None:
    items = [deliverable(i, t, fields) for i, t in enumerate(texts, start=1)]
    for fmt in exporting.FORMATS:
        text, _ = asyncio.run(streamed(items, fmt, size))
        assert text == OLD[fmt](items)


async def test_an_unknown_format_reads_nothing() -> None:
    read = False

    async def batches() -> AsyncIterator[list[Deliverable]]:
        nonlocal read
        read = True
        yield []

    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        await exporting.write(batches(), "xml", print)
    assert not read


async def test_other_tasks_run_while_a_long_export_is_laid_out() -> None:
    """Between slices of rows the export gives the event loop away, even when the rows come
    without any wait (a long batch already in memory)."""
    ticks = 0
    done = False

    async def ticker() -> None:
        nonlocal ticks
        while not done:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    start = ticks
    items = odd_items(3 * exporting.SLICE)
    text, _ = await exporting.to_text(in_batches(items, len(items)), "json")  # one batch of 300
    done = True
    await task
    assert ticks - start >= 3
    assert text == old_to_json(items)
