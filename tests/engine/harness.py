"""Dialog tests: drive the real engine on a real SQLite/PostgreSQL repository.

`Dialog` plays a workspace: people post messages, react and type commands; each call returns
what the engine answered, as plain text, so a test reads like the user's experience.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.charter import ChannelKey
from bot.context import EngineSettings
from bot.engine import Engine
from bot.events import (
    Actor,
    BotJoined,
    CommandInvoked,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessageTagged,
    Outbound,
    ReactionAdded,
    ReactionRemoved,
    Reply,
)
from bot.markup import to_plain
from bot.ports import ChannelInfo, MessageSnapshot, Repository
from tests.clock import FakeClock

PLATFORM, WORKSPACE = "test", "W1"
ADMIN = "UADMIN"


@dataclass
class FakeGateway:
    """Recording fake of the platform: messages it can return, members of private channels."""

    messages: dict[tuple[str, str], MessageSnapshot] = field(default_factory=dict)
    members: dict[str, set[str]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)

    async def fetch_message(self, channel: ChannelKey, message_id: str) -> MessageSnapshot | None:
        self.fetched.append(message_id)
        return self.messages.get((channel.channel_id, message_id))

    async def is_member(self, channel: ChannelKey, user_id: str) -> bool:
        return user_id in self.members.get(channel.channel_id, set())


def key(channel: str = "C1", workspace: str = WORKSPACE) -> ChannelKey:
    return ChannelKey(platform=PLATFORM, workspace_id=workspace, channel_id=channel)


class Dialog:
    def __init__(self, repo: Repository, now: datetime | None = None, **settings: object) -> None:
        self.clock = FakeClock(now or datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # a Monday
        self.engine = Engine(repo, self.clock, EngineSettings(**settings))  # type: ignore[arg-type]
        self.repo = repo
        self.gateway = FakeGateway()
        self.channel = "C1"
        self.workspace = WORKSPACE
        self.private: set[str] = set()
        self.names: dict[str, str] = {}  # channel id → its name, when not its id in lower case
        self.creators: dict[str, str] = {}
        self.locales: dict[str, str] = {}
        self.admins = {ADMIN}
        self.last: list[Outbound] = []
        self._next_ts = 1000

    def info(self, channel: str | None = None) -> ChannelInfo:
        ch = channel or self.channel
        return ChannelInfo(
            key=key(ch, self.workspace),
            name=self.names.get(ch, ch.lower()),
            is_private=ch in self.private,
            creator_id=self.creators.get(ch),
        )

    def actor(self, user: str) -> Actor:
        return Actor(user, is_workspace_admin=user in self.admins, locale=self.locales.get(user))

    async def _run(self, event: object) -> list[str]:
        self.last = await self.engine.handle(event, self.gateway)  # type: ignore[arg-type]
        return [to_plain(o.text) for o in self.last]

    async def cmd(self, user: str, text: str, channel: str | None = None) -> list[str]:
        return await self._run(CommandInvoked(self.info(channel), self.actor(user), text))

    async def text(self, user: str, text: str) -> str:
        """One command whose answer is one message: its text."""
        replies = await self.cmd(user, text)
        return "\n".join(replies)

    def post(
        self, user: str, text: str, channel: str | None = None, thread: str | None = None, bot: bool = False
    ) -> str:
        self._next_ts += 1
        ts = f"{self._next_ts}.000100"
        ch = channel or self.channel
        self.gateway.messages[(ch, ts)] = MessageSnapshot(
            message_id=ts,
            text=text,
            author_id=user,
            permalink=f"https://chat.example/{ch}/{ts}",
            thread_id=thread,
            is_bot=bot,
        )
        return ts

    async def react(self, user: str, ts: str, emoji: str, channel: str | None = None) -> list[str]:
        return await self._run(ReactionAdded(self.info(channel), self.actor(user), ts, emoji))

    async def unreact(self, user: str, ts: str, emoji: str, channel: str | None = None) -> list[str]:
        return await self._run(ReactionRemoved(self.info(channel), self.actor(user), ts, emoji))

    async def shortcut(self, user: str, ts: str, type_key: str, **fields: str) -> list[str]:
        msg = self.gateway.messages[(self.channel, ts)]
        return await self._run(MessageTagged(self.info(), self.actor(user), msg, type_key, fields))

    async def edit(self, ts: str, text: str) -> list[str]:
        old = self.gateway.messages[(self.channel, ts)]
        self.gateway.messages[(self.channel, ts)] = old.model_copy(update={"text": text})
        return await self._run(MessageEdited(self.info(), self.gateway.messages[(self.channel, ts)]))

    async def delete(self, ts: str) -> list[str]:
        del self.gateway.messages[(self.channel, ts)]
        return await self._run(MessageDeleted(self.info(), ts))

    async def join(self, user: str) -> list[str]:
        return await self._run(MemberJoined(self.info(), self.actor(user)))

    async def bot_joined(self) -> list[str]:
        return await self._run(BotJoined(self.info()))

    def replies(self) -> list[Reply]:
        return [o for o in self.last if isinstance(o, Reply)]

    async def setup_charter(self, owner: str = ADMIN) -> None:
        """The charter most tests start from."""
        for line in [
            "purpose We solve customer problems",
            'type add solution "Problem solved" emoji=white_check_mark '
            "fields=problem,fix,area? target=3/week",
            'type add idea "Product idea" emoji=bulb target=2/month',
            "schedule fri 16:00 Europe/Paris",
        ]:
            out = await self.text(owner, line)
            assert "invalid" not in out and "Usage" not in out, out
