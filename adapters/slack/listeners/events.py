"""Events API listeners: reactions, members joining, edits and deletions of deliverables,
App Home, and everything else Slack sends (acknowledged and dropped)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import convert
from adapters.slack.home import home_view
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


class Seen:
    """Event ids already taken in by this process: a redelivery (X-Slack-Retry-Num) of one
    is acknowledged and dropped. Across processes the database's unique keys decide."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str | None) -> bool:
        if not event_id:
            return True
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class ChannelEvents:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit
        self.seen = Seen()

    async def on_reaction(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if self.seen.first_time(body.get("event_id")):
            await self.kit.work.spawn(self._reaction(body, event, context), "reaction")

    async def _reaction(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
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

    async def on_member_joined(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if self.seen.first_time(body.get("event_id")):
            await self.kit.work.spawn(self._member_joined(body, event, context), "member_joined_channel")

    async def _member_joined(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        facts = convert.joined(event)
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
                return  # rule 9 needs a charter to show; nothing to look up
        channel, actor = await self.kit.facts(client, workspace, channel_id, user_id)
        outbox = Outbox(
            client, workspace=workspace, channel_id=channel_id, user_id=user_id, lang=actor.locale
        )
        joined: Event = BotJoined(channel) if is_bot else MemberJoined(channel, actor)
        await self.kit.run(joined, self.kit.gateway(client, workspace, context), outbox, charter)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        # Every message in every channel arrives here; only edits and deletions matter.
        if event.get("subtype") in ("message_changed", "message_deleted"):
            await self.kit.work.spawn(self._message(body, event, context), str(event.get("subtype")))

    async def _message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
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

    async def on_home(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            await self.kit.work.spawn(self._home(body, str(event["user"]), context), "app_home_opened")

    async def _home(self, body: dict[str, Any], user_id: str, context: Any) -> None:
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        actor = await self.kit.directory.actor(client, workspace, user_id)
        view = await home_view(self.kit.engine.services, translator(actor.locale), workspace, user_id)
        await client.views_publish(user_id=user_id, view=view)

    async def on_other(self, body: dict[str, Any]) -> None:
        log.debug("ignored event type %s", (body.get("event") or {}).get("type"))
