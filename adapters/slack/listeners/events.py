"""Events API listeners: reactions, members joining, edits and deletions of deliverables,
App Home, and everything else Slack sends (acknowledged and dropped).

Each `on_…` listener runs before the ack: it keeps the event in the inbox (or answers 503
when it cannot); the method of the same name without `on_` is the work, run by a worker."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import convert
from adapters.slack.home import home_view
from adapters.slack.intake import message_key
from adapters.slack.listeners.kit import Kit
from adapters.slack.outbox import Outbox
from bot.charter import Charter
from bot.engine import UNREAD, Unread
from bot.events import (
    BotJoined,
    Event,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    ReactionAdded,
    ReactionRemoved,
)
from bot.i18n import translator

log = logging.getLogger(__name__)


class ChannelEvents:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    async def on_reaction(
        self, body: dict[str, Any], event: dict[str, Any], context: Any, request: AsyncBoltRequest
    ) -> BoltResponse | None:
        facts = convert.reaction(event)
        if facts is None or facts.user_id == context.get("bot_user_id"):
            return None
        # Kept without reading the charter first: whether the emoji tags a type is the
        # engine's to decide, against the charter as it is when the work runs.
        order = message_key(convert.workspace_of(body), facts.channel_id, facts.message_ts)
        return await self.kit.keep_event("slack.reaction", request, body, context, order)

    async def reaction(self, body: dict[str, Any], context: Any) -> None:
        event = body.get("event") or {}
        facts = convert.reaction(event)
        if facts is None or facts.user_id == context.get("bot_user_id"):
            return
        workspace = convert.workspace_of(body)
        charter = await self.kit.charter(workspace, facts.channel_id)
        # Most reactions mean nothing to us: no lookups unless the emoji tags a type here.
        if charter is None or charter.type_for_emoji(facts.emoji) is None:
            return
        client: AsyncWebClient = context.client
        channel, actor = await self.kit.facts(client, workspace, facts.channel_id, facts.user_id)
        cls = ReactionAdded if event.get("type") == "reaction_added" else ReactionRemoved
        outbox = Outbox(
            client, workspace=workspace, channel_id=facts.channel_id, user_id=facts.user_id, lang=actor.locale
        )
        await self.kit.run(
            cls(channel, actor, facts.message_ts, facts.emoji),
            self.kit.gateway(client, workspace, context),
            outbox,
            charter,  # read just above: the engine need not read it again
        )

    async def on_member_joined(
        self, body: dict[str, Any], context: Any, request: AsyncBoltRequest
    ) -> BoltResponse | None:
        return await self.kit.keep_event("slack.member_joined", request, body, context, None)

    async def member_joined(self, body: dict[str, Any], context: Any) -> None:
        facts = convert.joined(body.get("event") or {})
        if facts is None:
            return
        channel_id, user_id = facts
        workspace = convert.workspace_of(body)
        client: AsyncWebClient = context.client
        is_bot = user_id == context.get("bot_user_id")
        charter: Charter | None | Unread = UNREAD
        if not is_bot:
            charter = await self.kit.charter(workspace, channel_id)
            if charter is None:
                return  # docs/rules.md rule 9 needs a charter to show; nothing to look up
        channel, actor = await self.kit.facts(client, workspace, channel_id, user_id)
        outbox = Outbox(
            client, workspace=workspace, channel_id=channel_id, user_id=user_id, lang=actor.locale
        )
        joined: Event = BotJoined(channel) if is_bot else MemberJoined(channel, actor)
        await self.kit.run(joined, self.kit.gateway(client, workspace, context), outbox, charter)

    async def on_message(
        self, body: dict[str, Any], event: dict[str, Any], context: Any, request: AsyncBoltRequest
    ) -> BoltResponse | None:
        # Every message in every channel arrives here; only edits and deletions matter.
        subtype = event.get("subtype")
        if subtype == "message_changed":
            edit = convert.edited(event)
            where = (edit.channel_id, str(edit.message["ts"])) if edit is not None else None
        elif subtype == "message_deleted":
            where = convert.deleted(event)
        else:
            return None
        if where is None:
            return None
        order = message_key(convert.workspace_of(body), *where)
        return await self.kit.keep_event("slack.message", request, body, context, order)

    async def message(self, body: dict[str, Any], context: Any) -> None:
        event = body.get("event") or {}
        workspace = convert.workspace_of(body)
        if event.get("subtype") == "message_changed":
            edit = convert.edited(event)
            if edit is None:
                return
            channel_id, message_id = edit.channel_id, str(edit.message["ts"])
        else:
            gone = convert.deleted(event)
            if gone is None:
                return
            channel_id, message_id = gone
        key = convert.channel_key(workspace, channel_id)
        if not await self.kit.repo.by_message(key, message_id):
            return  # not a deliverable: nothing to follow
        client: AsyncWebClient = context.client
        channel = await self.kit.directory.channel(client, workspace, channel_id)
        followed: Event
        if edit_facts := (convert.edited(event) if event.get("subtype") == "message_changed" else None):
            followed = MessageEdited(
                channel, convert.snapshot(edit_facts.message, None, context.get("bot_user_id"))
            )
        else:
            followed = MessageDeleted(channel, message_id)
        outbox = Outbox(client, workspace=workspace, channel_id=channel_id, user_id="", lang=None)
        await self.kit.run(followed, self.kit.gateway(client, workspace, context), outbox)

    async def on_home(
        self, body: dict[str, Any], event: dict[str, Any], context: Any, request: AsyncBoltRequest
    ) -> BoltResponse | None:
        if event.get("tab", "home") == "home" and event.get("user"):
            return await self.kit.keep_event("slack.home", request, body, context, None)
        return None

    async def home(self, body: dict[str, Any], context: Any) -> None:
        user_id = str((body.get("event") or {}).get("user") or "")
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        actor = await self.kit.person(client, workspace, user_id)
        view = await home_view(self.kit.engine.services, translator(actor.locale), workspace, user_id)
        await client.views_publish(user_id=user_id, view=view)

    async def on_other(self, body: dict[str, Any]) -> None:
        log.debug("ignored event type %s", (body.get("event") or {}).get("type"))
