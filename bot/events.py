"""The one door: small frozen events in, small frozen replies out.

An adapter turns a platform payload into one of the events below, calls
`Engine.handle(event, gateway)`, and turns each returned `Outbound` into platform calls.
Facts only the platform knows (is this person a workspace admin, who created the channel,
which language they read) travel on the event; the engine decides what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.deliverable import Via
from bot.ports import ChannelInfo, MessageSnapshot


@dataclass(frozen=True)
class Actor:
    user_id: str
    is_workspace_admin: bool = False  # the whole workspace: a Slack admin or owner
    # The platform makes them an owner of this event's channel, not of the workspace:
    # a Teams team owner owns the team's channels but not the tenant (which is Teams' workspace).
    owns_channel: bool = False
    locale: str | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class CommandInvoked:
    channel: ChannelInfo
    actor: Actor
    text: str
    prefix: str = "/outputs"  # how users type commands on this platform, for usage lines


@dataclass(frozen=True)
class ReactionAdded:
    channel: ChannelInfo
    actor: Actor
    message_id: str
    emoji: str


@dataclass(frozen=True)
class ReactionRemoved:
    channel: ChannelInfo
    actor: Actor
    message_id: str
    emoji: str


@dataclass(frozen=True)
class MessageTagged:
    """A message shortcut / message action submitted with a chosen type and fields."""

    channel: ChannelInfo
    actor: Actor
    message: MessageSnapshot
    type_key: str
    fields: dict[str, str] = field(default_factory=dict)
    via: Via = Via.SHORTCUT


@dataclass(frozen=True)
class FieldsSubmitted:
    """The private form for a draft was submitted."""

    actor: Actor
    deliverable_id: int
    fields: dict[str, str]


@dataclass(frozen=True)
class SetupSubmitted:
    """The setup form (modal, card, prompts) was submitted: field name → text typed."""

    channel: ChannelInfo
    actor: Actor
    values: dict[str, str]


@dataclass(frozen=True)
class MessageEdited:
    channel: ChannelInfo
    message: MessageSnapshot


@dataclass(frozen=True)
class MessageDeleted:
    channel: ChannelInfo
    message_id: str


@dataclass(frozen=True)
class MemberJoined:
    channel: ChannelInfo
    actor: Actor
    prefix: str = "/outputs"  # as on CommandInvoked: the welcome says how to type commands


@dataclass(frozen=True)
class BotJoined:
    channel: ChannelInfo
    prefix: str = "/outputs"


Event = (
    CommandInvoked
    | ReactionAdded
    | ReactionRemoved
    | MessageTagged
    | FieldsSubmitted
    | SetupSubmitted
    | MessageEdited
    | MessageDeleted
    | MemberJoined
    | BotJoined
)


class Audience(StrEnum):
    EPHEMERAL = "ephemeral"  # only `user_id` sees it, in the channel
    CHANNEL = "channel"  # everyone in the channel
    DIRECT = "direct"  # a private message to `user_id`


@dataclass(frozen=True)
class Reply:
    """A message to show. `text` is complete in the reader's language; `view` is the
    structured form of the same content (a Digest, a charter) for adapters that render
    rich layouts, and `None` for plain replies."""

    audience: Audience
    channel_id: str
    text: str
    user_id: str | None = None
    view: Any = None
    lang: str = "en"
    kind: str = "reply"  # reply | digest | nudge | announcement | welcome


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    required: bool
    value: str = ""
    multiline: bool = False
    hint: str = ""


@dataclass(frozen=True)
class OpenForm:
    """Ask `user_id` privately to fill fields (a modal, a card, console prompts)."""

    user_id: str
    channel_id: str
    title: str
    fields: tuple[FormField, ...]
    deliverable_id: int | None = None  # None: the charter setup form
    lang: str = "en"
    text: str = ""  # the same request as plain text, for adapters without forms


@dataclass(frozen=True)
class FormErrors:
    """A submitted form is refused: field name → what is wrong, shown beside each field."""

    user_id: str
    errors: dict[str, str]


@dataclass(frozen=True)
class SendFile:
    user_id: str
    channel_id: str
    filename: str
    content: str
    mime: str
    text: str = ""


Outbound = Reply | OpenForm | SendFile | FormErrors
