"""A deliverable: one captured output of a declared type."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.charter import ChannelKey

TITLE_LEN = 80
MAX_TEXT = 40_000


class Status(StrEnum):
    DRAFT = "draft"
    COMPLETE = "complete"
    WITHDRAWN = "withdrawn"
    DELETED = "deleted"


class Via(StrEnum):
    COMMAND = "command"
    REACTION = "reaction"
    SHORTCUT = "shortcut"
    MESSAGE_ACTION = "message_action"
    CONSOLE = "console"


class Deliverable(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int | None = None
    channel: ChannelKey
    type: str
    status: Status
    title: str = ""
    text: str = ""
    author_id: str | None = None
    tagged_by: str
    via: Via
    permalink: str | None = None
    message_id: str | None = None
    thread_id: str | None = None
    fields: dict[str, str] = {}
    created_at: datetime
    updated_at: datetime | None = None
    completed_at: datetime | None = None


class NewDeliverable(BaseModel):
    """What capture hands the repository; the id and status come back on `Deliverable`."""

    model_config = ConfigDict(frozen=True)

    channel: ChannelKey
    type: str
    status: Status
    title: str
    text: str
    author_id: str | None
    tagged_by: str
    via: Via
    permalink: str | None
    message_id: str | None
    thread_id: str | None
    fields: dict[str, str]
    created_at: datetime
    completed_at: datetime | None


def make_title(text: str, fields: dict[str, str]) -> str:
    """The title is a `title` field when given, else the first line of the text."""
    if fields.get("title", "").strip():
        first = fields["title"].strip()
    else:
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= TITLE_LEN else first[: TITLE_LEN - 1] + "…"
