"""The export format (SPEC "Interfaces"): JSON objects and CSV rows with the same fields."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bot.deliverable import Deliverable

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


def to_json(items: list[Deliverable]) -> str:
    return json.dumps([record(d) for d in items], ensure_ascii=False, indent=2)


def to_csv(items: list[Deliverable]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for d in items:
        row = record(d)
        row["fields"] = json.dumps(row["fields"], ensure_ascii=False)
        writer.writerow(row)
    return buf.getvalue()


def render(items: list[Deliverable], fmt: str) -> str:
    if fmt == "json":
        return to_json(items)
    if fmt == "csv":
        return to_csv(items)
    raise ValueError(f"unknown export format {fmt!r} (csv or json)")
