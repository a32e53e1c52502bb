"""Rows to the engine's pydantic values, and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.charter import ChannelKey, Charter
from bot.deliverable import Deliverable, NewDeliverable
from bot.ports import ChannelInfo, DigestRun
from storage.models import ChannelRow, CharterRow, DigestRunRow


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


# The deliverable columns besides the channel's three, as the Deliverable model names them.
DELIVERABLE_COLUMNS = (
    "id", "type", "status", "title", "text", "author_id", "tagged_by", "via", "permalink",
    "message_id", "thread_id", "fields", "created_at", "updated_at", "completed_at",
)  # fmt: skip


def _deliverable(channel: ChannelKey, get: Callable[[str], Any]) -> Deliverable:
    values = {c: get(c) for c in DELIVERABLE_COLUMNS}
    values["fields"] = dict(values["fields"] or {})
    return Deliverable(channel=channel, **values)


def to_deliverable(row: Any) -> Deliverable:
    """From an ORM object or a Core row of the deliverables table (columns read by name)."""
    return _deliverable(key_of(row), lambda c: getattr(row, c))


def from_columns(channel: ChannelKey, row: Any) -> Deliverable:
    """A deliverable from a Core row of DELIVERABLE_COLUMNS: no ORM object in between."""
    return _deliverable(channel, row._mapping.__getitem__)


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
