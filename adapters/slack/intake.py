"""Slack requests into the inbox before the ack, and back out of it in a worker.

A listener that has work to do calls `Intake.keep` with the kind of work and its ordering
key; the request is in the database when that returns, and only then is it answered 200.
When it cannot be kept, events are answered 503 (Slack retries them, up to 3 times over
about 6 minutes) and a slash command is answered with a note that nothing was recorded
(Slack never retries a command). In a worker, `SlackWork` rebuilds what the listener had
(the payload, a client with the workspace's token, the bot's own user id) and runs the
same code; when the work is finally given up on, the person is told privately.

Identity: an event's `event_id` (kept across Slack's retries); for commands and
interactions, a hash of the signed timestamp and the raw body, so that a replayed request
is the same entry while two presses of the same button are two.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import convert
from adapters.slack.directory import Directory
from adapters.slack.outbox import Outbox
from bot.charter import ChannelKey
from bot.events import Actor
from bot.i18n import Translator
from bot.inbox import Entry, Inbox, Item

log = logging.getLogger(__name__)

Clients = Callable[[str], Awaitable[AsyncWebClient | None]]
Work = Callable[[dict[str, Any], Any], Awaitable[None]]
# Whom to tell when the work is given up on: (channel id, user id) out of the payload.
Person = Callable[[dict[str, Any]], "tuple[str, str] | None"]
# The language to tell a person in: the one they chose, else their Slack locale
# (`bot.languages.Languages.reader`).
Languages = Callable[[ChannelKey, Actor], Awaitable["str | None"]]

# Answered to an event that could not be kept: Slack sends it again.
NOT_KEPT = BoltResponse(status=503, body="not recorded: try again")


class WorkspaceGone(Exception):
    """No token for the workspace any more (uninstalled): the work cannot be done."""


def identity(request: AsyncBoltRequest, body: dict[str, Any]) -> str:
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"slack:event:{event_id}"
    ts = (request.headers.get("x-slack-request-timestamp") or [""])[0]
    raw = request.raw_body or json.dumps(body, sort_keys=True)  # Socket Mode keeps no raw body
    digest = hashlib.sha256(f"{ts}:{raw}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"slack:request:{digest}"


def message_key(workspace: str, channel_id: str, ts: str) -> str:
    """The ordering key of everything about one message (reactions, edits, deletion)."""
    return f"slack:{workspace}:{channel_id}:{ts}"


def charter_key(workspace: str, channel_id: str) -> str:
    """The ordering key of the commands about one channel's charter."""
    return f"slack:{workspace}:{channel_id}"


class Intake:
    def __init__(self, inbox: Inbox, clients: Clients, directory: Directory, languages: Languages) -> None:
        self.inbox = inbox
        self.clients = clients
        self.directory = directory
        self.languages = languages

    async def keep(
        self, kind: str, request: AsyncBoltRequest, body: dict[str, Any], context: Any, order_key: str | None
    ) -> None:
        """Write the request down; raises `bot.inbox.InboxUnavailable` when it cannot be."""
        payload = {"body": body, "bot_user_id": context.get("bot_user_id")}
        await self.inbox.accept(Entry("slack", kind, identity(request, body), payload, order_key))

    async def context(self, item: Item) -> AsyncBoltContext:
        """What the listener's `context` gave it, rebuilt for a worker."""
        body = item.payload["body"]
        workspace = convert.workspace_of(body)
        client = await self.clients(workspace)
        if client is None:
            raise WorkspaceGone(workspace)
        return AsyncBoltContext(client=client, bot_user_id=item.payload.get("bot_user_id"), team_id=workspace)


@dataclass(frozen=True)
class SlackWork:
    """One kind of Slack entry, as a `bot.inbox.Handler`."""

    intake: Intake
    work: Work
    person: Person | None = None
    # (translator, payload, why) → what the person reads when the work is given up on
    tell: Callable[[Translator, dict[str, Any], str], str] | None = None

    async def run(self, item: Item) -> None:
        context = await self.intake.context(item)
        await self.work(item.payload["body"], context)

    async def failed(self, item: Item, reason: str) -> None:
        body = item.payload["body"]
        who = self.person(body) if self.person is not None else None
        if who is None or self.tell is None:
            return  # nobody asked for this (an edit, a member joining): the log says it
        channel_id, user_id = who
        workspace = convert.workspace_of(body)
        client = await self.intake.clients(workspace)
        if client is None:
            return
        actor = await self.intake.directory.actor(client, workspace, user_id)
        lang = await self.intake.languages(convert.channel_key(workspace, channel_id), actor)
        outbox = Outbox(client, workspace=workspace, channel_id=channel_id, user_id=user_id, lang=lang)
        text = self.tell(outbox.t, body, outbox.t(reason))
        await outbox.ephemeral(user_id, channel_id, {"text": text})
