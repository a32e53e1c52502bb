"""What every listener uses: the engine and directory, the inbox (adapters.slack.intake), and
the ways back to the person (response_url, the outbox, a note when the engine fails)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import convert
from adapters.slack.directory import Directory, SlackGateway, api_error
from adapters.slack.intake import NOT_KEPT, Intake
from adapters.slack.outbox import Outbox, Respond
from adapters.slack.retries import retry_handlers
from bot.charter import Charter
from bot.engine import UNREAD, Engine, Unread
from bot.events import Actor, Event
from bot.inbox import Classify, InboxUnavailable
from bot.ports import ChannelInfo

log = logging.getLogger(__name__)
METADATA_VALUE_MAX = 64
AT_ONCE_DEADLINE = 2.5  # seconds: work done before the ack must leave room inside Slack's 3


class Kit:
    def __init__(
        self,
        engine: Engine,
        directory: Directory,
        intake: Intake,
        classify: Classify,
        session: aiohttp.ClientSession,
    ) -> None:
        self.engine = engine
        self.repo = engine.repo
        self.directory = directory
        self.intake = intake
        self.classify = classify
        self.session = session

    async def keep_event(
        self,
        kind: str,
        request: AsyncBoltRequest,
        body: dict[str, Any],
        context: Any,
        order_key: str | None,
        ack: Any = None,
    ) -> BoltResponse | None:
        """Keep an event or interaction for a worker, then ack it (events are acked by bolt),
        or the 503 that makes Slack send it again (or show the person an error) when it
        cannot be kept."""
        try:
            await self.intake.keep(kind, request, body, context, order_key)
        except InboxUnavailable:
            return NOT_KEPT
        if ack is not None:
            await ack()
        return None

    async def at_once(self, work: Awaitable[None], what: str) -> None:
        """Work done inside the request, before the answer: opening or updating a modal, whose
        trigger lasts 3 seconds, so it cannot wait in the inbox. It writes nothing that must
        last: when it fails, the person sees no modal and tries again."""
        try:
            async with asyncio.timeout(AT_ONCE_DEADLINE):
                await work
        except Exception as exc:
            log.warning("%s failed: %s", what, api_error(exc))

    def responder(self, body: dict[str, Any]) -> Respond | None:
        """Answers through the payload's response_url, on the shared HTTP session (bolt's own
        `respond` opens a new session, so a new connection, for every reply)."""
        url = body.get("response_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return None
        hook = AsyncWebhookClient(url, session=self.session, retry_handlers=retry_handlers())

        async def respond(**payload: Any) -> None:
            answer = await hook.send_dict(payload)
            if answer.status_code != 200:
                raise RuntimeError(f"response_url answered {answer.status_code}")

        return respond

    def gateway(self, client: AsyncWebClient, workspace: str, context: Any) -> SlackGateway:
        return SlackGateway(client, self.directory, workspace, context.get("bot_user_id"))

    async def facts(
        self, client: AsyncWebClient, workspace: str, channel_id: str, user_id: str
    ) -> tuple[ChannelInfo, Actor]:
        channel, actor = await asyncio.gather(
            self.directory.channel(client, workspace, channel_id),
            self.person(client, workspace, user_id),
        )
        return channel, actor

    async def person(self, client: AsyncWebClient, workspace: str, user_id: str) -> Actor:
        """Who `user_id` is, with the language to answer them in: the one they chose
        (`language me`), else their Slack locale (bot.languages decides, and stores it)."""
        actor = await self.directory.actor(client, workspace, user_id)
        lang = await self.engine.services.languages.reader(convert.channel_key(workspace, ""), actor)
        return dataclasses.replace(actor, locale=lang)

    async def run(
        self, event: Event, gateway: SlackGateway, outbox: Outbox, charter: Charter | None | Unread = UNREAD
    ) -> None:
        try:
            outs = await self.engine.handle(event, gateway, charter)
        except Exception as exc:
            if self.classify(exc) is not None:
                raise  # a fault that may pass: the inbox tries the whole request again later
            log.exception("engine failed on %s: workspace=%s", type(event).__name__, outbox.workspace)
            await outbox.ephemeral(
                outbox.user_id,
                outbox.channel_id,
                {"text": outbox.t("Something went wrong on my side. Try again in a moment.")},
            )
            return
        await outbox.send(outs)

    async def charter(self, workspace: str, channel_id: str) -> Charter | None:
        return await self.repo.get_charter(convert.channel_key(workspace, channel_id))


def metadata(view: dict[str, Any]) -> dict[str, str]:
    """A modal's private_metadata, as we wrote it (anything else reads as empty)."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    # ours hold a channel id, a ts or a deliverable id: anything longer was not written by us
    return {str(k): str(v) for k, v in data.items() if len(str(v)) <= METADATA_VALUE_MAX}


def user_of(body: dict[str, Any]) -> str:
    """The user id of an interaction payload (block actions, view submissions)."""
    return str((body.get("user") or {}).get("id") or "")
