"""Rows to the engine's pydantic values, and back."""

from __future__ import annotations

from typing import Any

from bot.charter import ChannelKey, Charter
from bot.deliverable import Deliverable, NewDeliverable
from bot.ports import ChannelInfo, DigestRun
from storage.models import ChannelRow, CharterRow, DeliverableRow, DigestRunRow


def channel_where(model: Any, channel: ChannelKey) -> list[Any]:
    return [
        model.platform == channel.platform,
        model.workspace_id == channel.workspace_id,
        model.channel_id == channel.channel_id,
    ]


def key_of(row: Any) -> ChannelKey:
    return ChannelKey(platform=row.platform, workspace_id=row.workspace_id, channel_id=row.channel_id)


def charter_columns(charter: Charter) -> dict[str, Any]:
    """The queryable columns that mirror the JSON document."""
    schedule = charter.schedule
    return {
        "data": charter.model_dump(mode="json"),
        "version": charter.version,
        "timezone": charter.timezone,
        "schedule_weekday": schedule.weekday if schedule else None,
        "schedule_time": schedule.at if schedule else None,
        "paused_until": charter.paused_until,
        "updated_at": charter.updated_at,
        "updated_by": charter.updated_by or "",
    }


def to_charter(row: CharterRow) -> Charter:
    return Charter.model_validate(row.data)


def without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold U+0000; drop it on both backends so they agree."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    return value


def deliverable_columns(new: NewDeliverable | Deliverable) -> dict[str, Any]:
    values = {k: without_nul(v) for k, v in new.model_dump(exclude={"channel", "id"}).items()}
    values.update(
        platform=new.channel.platform,
        workspace_id=new.channel.workspace_id,
        channel_id=new.channel.channel_id,
        status=str(new.status),
        via=str(new.via),
    )
    return values


def to_deliverable(row: DeliverableRow) -> Deliverable:
    return Deliverable(
        id=row.id,
        channel=key_of(row),
        type=row.type,
        status=row.status,
        title=row.title,
        text=row.text,
        author_id=row.author_id,
        tagged_by=row.tagged_by,
        via=row.via,
        permalink=row.permalink,
        message_id=row.message_id,
        thread_id=row.thread_id,
        fields=dict(row.fields or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        completed_at=row.completed_at,
    )


# What `from_columns` needs of a deliverables row read with Core (the channel is known).
DELIVERABLE_COLUMNS = (
    "id", "type", "status", "title", "text", "author_id", "tagged_by", "via", "permalink",
    "message_id", "thread_id", "fields", "created_at", "updated_at", "completed_at",
)  # fmt: skip


def from_columns(channel: ChannelKey, row: Any) -> Deliverable:
    """A deliverable from a Core row of DELIVERABLE_COLUMNS: no ORM object in between."""
    m = row._mapping
    return Deliverable(
        id=m["id"],
        channel=channel,
        type=m["type"],
        status=m["status"],
        title=m["title"],
        text=m["text"],
        author_id=m["author_id"],
        tagged_by=m["tagged_by"],
        via=m["via"],
        permalink=m["permalink"],
        message_id=m["message_id"],
        thread_id=m["thread_id"],
        fields=dict(m["fields"] or {}),
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        completed_at=m["completed_at"],
    )


def to_channel(row: ChannelRow) -> ChannelInfo:
    return ChannelInfo(key=key_of(row), name=row.name, is_private=row.is_private, creator_id=row.creator_id)


def to_digest_run(row: DigestRunRow) -> DigestRun:
    return DigestRun(
        channel=key_of(row),
        period_start=row.period_start,
        period_end=row.period_end,
        status=row.status,
        claimed_at=row.claimed_at,
        sent_at=row.sent_at,
        message_id=row.message_id,
        error=row.error,
        late=row.late,
    )
