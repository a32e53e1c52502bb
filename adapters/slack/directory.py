"""What only the Web API knows, asked briefly and cached: users, channels, members, messages.

`Directory` caches user facts (`users.info` with the locale) and channel facts
(`conversations.info`) for a few minutes, so a burst of events costs one lookup each.
`SlackGateway` is the engine's `Gateway`: it reads a message (history, or replies for a
thread reply) with its permalink, and answers membership from `conversations.members`.
A Web API failure is logged with its context and answered with what is known; reading a
message raises on a fault that may pass, so that its capture is retried, not lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import convert, faults
from bot.charter import ChannelKey
from bot.events import Actor
from bot.ports import ChannelInfo, MessageSnapshot

log = logging.getLogger(__name__)
SIZE = 10_000  # per cache; more than any workspace asks for within a ttl


def api_error(exc: Exception) -> str:
    """The Slack error code (`not_in_channel`, `ratelimited`…), else the HTTP status (an HTML
    error page from a proxy carries no code), else the exception's type."""
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        code = data.get("error") if isinstance(data, dict) else None
        return str(code or faults.status_of(exc) or "unreadable_answer")
    return type(exc).__name__


class Directory:
    # cachetools is not thread-safe; these are only touched from the one event loop.
    def __init__(self, ttl: float = 300.0) -> None:
        self.users: TTLCache[tuple[str, str], Actor] = TTLCache(SIZE, ttl)
        self.channels: TTLCache[tuple[str, str], ChannelInfo] = TTLCache(SIZE, ttl)
        self.members: TTLCache[tuple[str, str], frozenset[str]] = TTLCache(SIZE, min(ttl, 60.0))
        self.emoji: TTLCache[str, frozenset[str]] = TTLCache(SIZE, ttl)

    async def custom_emoji(self, client: AsyncWebClient, workspace: str) -> frozenset[str] | None:
        """The workspace's custom emoji names (aliases included); None when Slack did not say."""
        if (hit := self.emoji.get(workspace)) is not None:
            return hit
        try:
            resp = await client.emoji_list()
        except Exception as exc:  # the caller takes the name unchecked, and says so
            code = api_error(exc)
            # an install from before the app asked for emoji:read: only reinstalling adds it
            hint = " (the app lacks the emoji:read scope: reinstall it)" if code == "missing_scope" else ""
            log.warning("emoji.list failed: workspace=%s error=%s%s", workspace, code, hint)
            return None
        found = frozenset(str(name).lower() for name in (resp.get("emoji") or {}))
        self.emoji[workspace] = found
        return found

    async def actor(self, client: AsyncWebClient, workspace: str, user_id: str) -> Actor:
        if (hit := self.users.get((workspace, user_id))) is not None:
            return hit
        try:
            resp = await client.users_info(user=user_id, include_locale=True)
        except Exception as exc:  # facts are a courtesy; the event still goes through
            log.warning(
                "users.info failed: user=%s workspace=%s error=%s", user_id, workspace, api_error(exc)
            )
            return Actor(user_id)
        found = convert.actor(user_id, resp.get("user"))
        self.users[(workspace, user_id)] = found
        return found

    async def channel(self, client: AsyncWebClient, workspace: str, channel_id: str) -> ChannelInfo:
        if (hit := self.channels.get((workspace, channel_id))) is not None:
            return hit
        try:
            resp = await client.conversations_info(channel=channel_id)
        except Exception as exc:
            log.warning(
                "conversations.info failed: channel=%s workspace=%s error=%s",
                channel_id,
                workspace,
                api_error(exc),
            )
            return convert.channel_info(workspace, channel_id, None)
        found = convert.channel_info(workspace, channel_id, resp.get("channel"))
        self.channels[(workspace, channel_id)] = found
        return found

    async def member_ids(self, client: AsyncWebClient, workspace: str, channel_id: str) -> frozenset[str]:
        if (hit := self.members.get((workspace, channel_id))) is not None:
            return hit
        members: set[str] = set()
        cursor = None
        for _ in range(50):  # 50 pages of 1,000: channels larger than that are public anyway
            resp = await client.conversations_members(channel=channel_id, limit=1000, cursor=cursor)
            members.update(resp.get("members") or [])
            cursor = (resp.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        found = frozenset(members)
        self.members[(workspace, channel_id)] = found
        return found


class SlackGateway:
    """The engine's window on Slack for one event: one workspace, one client."""

    def __init__(
        self, client: AsyncWebClient, directory: Directory, workspace: str, bot_user_id: str | None
    ) -> None:
        self.client = client
        self.directory = directory
        self.workspace = workspace
        self.bot_user_id = bot_user_id

    async def fetch_message(self, channel: ChannelKey, message_id: str) -> MessageSnapshot | None:
        try:
            # The permalink needs only the channel and ts: asked for alongside the message,
            # not after it (one round trip less on every capture).
            found, link = await asyncio.gather(
                self._find(channel.channel_id, message_id),
                self.client.chat_getPermalink(channel=channel.channel_id, message_ts=message_id),
                return_exceptions=True,
            )
            if isinstance(found, BaseException):
                raise found
            if found is None:
                return None  # and whatever the permalink call met does not matter
            if isinstance(link, BaseException):
                raise link
            message = found
        except Exception as exc:
            if faults.classify(exc) is not None:
                raise  # may pass: the inbox tries the whole event again later
            log.warning(
                "reading message failed: channel=%s ts=%s workspace=%s error=%s",
                channel.channel_id,
                message_id,
                self.workspace,
                api_error(exc),
            )
            return None
        return convert.snapshot(message, link.get("permalink"), self.bot_user_id)

    async def _find(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        # A channel message is in the history; a thread reply only in its thread.
        history = await self.client.conversations_history(
            channel=channel_id, latest=ts, inclusive=True, limit=1
        )
        for m in history.get("messages") or []:
            if m.get("ts") == ts:
                return dict(m)
        replies = await self.client.conversations_replies(
            channel=channel_id, ts=ts, oldest=ts, inclusive=True, limit=1
        )
        for m in replies.get("messages") or []:
            if m.get("ts") == ts:
                return dict(m)
        return None

    async def custom_emoji(self, workspace_id: str) -> frozenset[str] | None:
        return await self.directory.custom_emoji(self.client, self.workspace)

    async def is_member(self, channel: ChannelKey, user_id: str) -> bool:
        try:
            members = await self.directory.member_ids(self.client, self.workspace, channel.channel_id)
        except Exception as exc:  # not knowing means not showing: private results stay hidden
            log.warning(
                "conversations.members failed: channel=%s workspace=%s error=%s",
                channel.channel_id,
                self.workspace,
                api_error(exc),
            )
            return False
        return user_id in members
