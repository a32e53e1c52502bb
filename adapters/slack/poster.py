"""Posts for the scheduler and the CLI (digests, nudges): `chat.postMessage` per workspace.

A 429 is first retried by slack-sdk's rate-limit handler (after each Retry-After); when it
gives up, the poster raises `bot.fanout.RateLimited` with the last Retry-After, so the
fan-out holds the whole workspace back and sends the same message again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.retry_after import retry_after as parse_retry_after
from adapters.slack import blocks, faults
from adapters.slack.convert import PLATFORM
from adapters.slack.directory import api_error
from bot.charter import ChannelKey
from bot.events import Audience, Reply
from bot.fanout import RateLimited

log = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER = 30.0  # Slack's tier-1 wait, when a 429 comes without Retry-After


def retry_after(exc: Exception) -> float | None:
    """The Retry-After of a 429 that slack-sdk's retries could not absorb, else None."""
    if not isinstance(exc, SlackApiError) or faults.status_of(exc) != 429:
        return None
    return parse_retry_after(getattr(exc.response, "headers", None), DEFAULT_RETRY_AFTER)


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
            wait = retry_after(exc)
            log.warning(
                "posting %s failed: channel=%s workspace=%s error=%s%s",
                reply.kind,
                channel.channel_id,
                channel.workspace_id,
                code,
                "" if wait is None else f" retry_after={wait:g}",
            )
            if wait is not None:
                raise RateLimited(wait, f"Slack {code}") from None
            raise SlackPostError(code) from None
        return str(resp.get("ts") or "")
