"""The console's simulated workspace: channels, users, a movable clock, and the gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.charter import ChannelKey
from bot.platform_ports import ConsoleMessageStore
from bot.ports import ChannelInfo, MessageSnapshot

PLATFORM = "console"
WORKSPACE = "console"


class MovableClock:
    """Real time plus an offset that `:time +3d` grows."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start
        self.offset = timedelta()

    def now(self) -> datetime:
        return (self._start or datetime.now(UTC)) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def set(self, when: datetime) -> None:
        self.offset += when - self.now()


@dataclass
class Channel:
    name: str
    private: bool = False
    creator: str = "admin"
    members: set[str] = field(default_factory=set)

    def info(self) -> ChannelInfo:
        return ChannelInfo(
            key=key(self.name), name=self.name, is_private=self.private, creator_id=self.creator
        )


def key(channel_name: str) -> ChannelKey:
    return ChannelKey(platform=PLATFORM, workspace_id=WORKSPACE, channel_id=channel_name)


def permalink(channel: str, message_id: int) -> str:
    return f"https://console.outputs.invalid/{channel}/{message_id}"


class ConsoleGateway:
    """What the engine may ask the console: messages come from the database."""

    def __init__(self, messages: ConsoleMessageStore, channels: dict[str, Channel]) -> None:
        self.messages = messages
        self.channels = channels

    async def fetch_message(self, channel: ChannelKey, message_id: str) -> MessageSnapshot | None:
        if not message_id.isdigit():
            return None
        row = await self.messages.get(int(message_id))
        if row is None or row.deleted or row.channel_id != channel.channel_id:
            return None
        return MessageSnapshot(
            message_id=message_id,
            text=row.text,
            author_id=row.user_id,
            permalink=permalink(row.channel_id, row.id),
            thread_id=row.thread_id,
            is_bot=row.user_id == "outputs",
        )

    async def is_member(self, channel: ChannelKey, user_id: str) -> bool:
        ch = self.channels.get(channel.channel_id)
        return ch is not None and (not ch.private or user_id in ch.members)
