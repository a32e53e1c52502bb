"""Posts for the scheduler and the CLI (digests, nudges): `chat.postMessage` per workspace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.convert import PLATFORM
from adapters.slack.directory import api_error
from bot.charter import ChannelKey
from bot.events import Audience, Reply

log = logging.getLogger(__name__)


class SlackPostError(Exception):
    """A post was refused; the message is Slack's error code, which the digest run records."""


class SlackPoster:
    platforms = frozenset({PLATFORM})

    def __init__(self, client_for: Callable[[str], Awaitable[AsyncWebClient | None]]) -> None:
        self.client_for = client_for

    async def post(self, reply: Reply, channel: ChannelKey) -> str:
        client = await self.client_for(channel.workspace_id)
        if client is None:
            log.warning(
                "no Slack installation for workspace=%s (channel=%s)",
                channel.workspace_id,
                channel.channel_id,
            )
            raise SlackPostError("not_installed")
        try:
            if reply.audience is Audience.EPHEMERAL and reply.user_id:
                resp = await client.chat_postEphemeral(
                    channel=channel.channel_id, user=reply.user_id, **blocks.message(reply)
                )
                return str(resp.get("message_ts") or "")
            target = (
                reply.user_id if reply.audience is Audience.DIRECT and reply.user_id else channel.channel_id
            )
            resp = await client.chat_postMessage(channel=target, **blocks.message(reply))
        except Exception as exc:
            code = api_error(exc)
            log.warning(
                "posting %s failed: channel=%s workspace=%s error=%s",
                reply.kind,
                channel.channel_id,
                channel.workspace_id,
                code,
            )
            raise SlackPostError(code) from None
        return str(resp.get("ts") or "")
