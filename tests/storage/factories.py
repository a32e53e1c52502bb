"""Small builders for storage tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.charter import ChannelKey
from bot.deliverable import NewDeliverable, Status, Via, make_title

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CH = ChannelKey(platform="slack", workspace_id="T1", channel_id="C1")


def channel(channel_id: str = "C1", workspace_id: str = "T1", platform: str = "slack") -> ChannelKey:
    return ChannelKey(platform=platform, workspace_id=workspace_id, channel_id=channel_id)


def new(
    ch: ChannelKey = CH,
    *,
    type: str = "solution",
    status: Status = Status.COMPLETE,
    message_id: str | None = "m1",
    text: str = "Printer jam fixed by reseating the tray",
    fields: dict[str, str] | None = None,
    tagged_by: str = "U1",
    created_at: datetime = T0,
    completed_at: datetime | None | Any = ...,
) -> NewDeliverable:
    fields = fields or {}
    if completed_at is ...:
        completed_at = created_at if status == Status.COMPLETE else None
    return NewDeliverable(
        channel=ch,
        type=type,
        status=status,
        title=make_title(text, fields),
        text=text,
        author_id="U9",
        tagged_by=tagged_by,
        via=Via.REACTION,
        permalink=f"https://example.slack.com/archives/{ch.channel_id}/p{message_id}",
        message_id=message_id,
        thread_id=None,
        fields=fields,
        created_at=created_at,
        completed_at=completed_at,
    )
