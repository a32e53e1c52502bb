"""The activity handler: each Teams activity becomes one engine event, each answer a message,
a card or an invoke response.

| activity | event |
|---|---|
| message `@Outputs <command>` (plain text in personal chat) | CommandInvoked |
| invoke `composeExtension/fetchTask` ("Record as deliverable") | — (the capture dialog) |
| invoke `composeExtension/submitAction` | MessageTagged (via message action) |
| invoke `adaptiveCard/action` (setup card, a draft's card) | SetupSubmitted / FieldsSubmitted |
| conversationUpdate / installationUpdate | BotJoined, MemberJoined; references kept or forgotten |
| messageUpdate / messageDelete | MessageEdited / MessageDeleted |
| invoke `fileConsent/invoke` (an `export` file accepted or declined) | — (the upload) |

Which of these run in the HTTP request and which in an inbox worker is decided before this
handler runs (`adapters.teams.intake`); in a worker, the turn is rebuilt from the kept
activity (`adapters.teams.work`), so the code below is the same in both places. Invokes are
answered in `adapters.teams.invokes` (and `adapters.teams.file_consent`), with the helpers
below; what the engine may ask Teams is `adapters.teams.gateway`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsInfo

from adapters.teams import cards, convert, faults
from adapters.teams.adapter import wire_of
from adapters.teams.convert import PREFIX
from adapters.teams.delivery import Delivery
from adapters.teams.file_consent import FileConsent
from adapters.teams.gateway import TeamsGateway
from adapters.teams.invokes import Invokes
from adapters.teams.owners import TeamOwners
from adapters.teams.people import People
from bot.charter import ChannelKey
from bot.engine import Engine
from bot.events import (
    Actor,
    BotJoined,
    CommandInvoked,
    Event,
    FieldsSubmitted,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    Outbound,
    SetupSubmitted,
)
from bot.platform_ports import ConversationStore
from bot.ports import ChannelInfo

__all__ = ["PREFIX", "OutputsBot"]

log = logging.getLogger(__name__)

MEMBER_SECONDS = 2.0  # a mentioned person's roster entry, asked while a command waits
TEAM_DETAILS_SECONDS = 3.0  # the connector's team details, asked within an invoke's 5 seconds
TEAM_DETAILS_RETRY_SECONDS = 60.0  # after a failure, the team's next try
REMEMBERED = 10_000  # conversation references known to be stored, kept in memory


class OutputsBot(ActivityHandler):
    def __init__(
        self,
        engine: Engine,
        refs: ConversationStore,
        delivery: Delivery,
        owners: TeamOwners,
        people: People,
    ) -> None:
        self.engine = engine
        self.refs = refs
        self.delivery = delivery
        self.owners = owners
        self.people = people
        self.readers = delivery.readers  # the language each person reads
        self.invokes = Invokes(self)
        self.file_consent = FileConsent(self)
        self.group_ids: dict[str, str] = {}  # team id → Entra group id (for Graph)
        self._no_group: dict[str, float] = {}  # team id → when its details last failed
        self._remembered: dict[ChannelKey, tuple[str, dict[str, Any]]] = {}

    # --- every activity ----------------------------------------------------------------------

    async def on_turn(self, turn_context: TurnContext) -> None:
        wire = wire_of(turn_context.activity)
        self.people.learn(wire.get("from"))
        for m in convert.members(wire, "membersAdded"):
            self.people.learn(m)
        team = convert._dict(convert._dict(wire.get("channelData")).get("team"))
        if team.get("id") and team.get("aadGroupId"):
            self.group_ids[str(team["id"])] = str(team["aadGroupId"])
        await self._remember(turn_context, wire)
        await super().on_turn(turn_context)

    async def _remember(self, turn: TurnContext, wire: dict[str, Any]) -> None:
        """Keep the channel's conversation reference, for posts nobody asked for."""
        reference = TurnContext.get_conversation_reference(turn.activity).serialize()
        conversation = dict(reference.get("conversation") or {})
        conversation["id"] = convert.conversation_id(wire)  # the channel itself, not a thread in it
        reference["conversation"] = conversation
        reference.pop("activityId", None)
        reference["teamId"] = convert.team_id(wire)
        # Every message carries the reference, mostly unchanged: with the channel-message
        # permission that is every message in the team, so only a change is written. Other
        # activities (the bot added or removed, maybe on another replica) are always written.
        key, seen = convert.key_of(wire), (turn.activity.service_url, reference)
        if wire.get("type") == "message" and self._remembered.get(key) == seen:
            return
        await self.refs.save(key, turn.activity.service_url, reference)
        if len(self._remembered) >= REMEMBERED:
            self._remembered.pop(next(iter(self._remembered)))
        self._remembered[key] = seen

    async def actor(self, turn: TurnContext, wire: dict[str, Any]) -> Actor:
        return convert.actor(wire, owns_team=await self._is_team_owner(turn, wire))

    async def _is_team_owner(self, turn: TurnContext, wire: dict[str, Any]) -> bool:
        team_id = convert.team_id(wire)
        user = convert.user_id(convert._dict(wire.get("from")))
        if not team_id or not user or self.owners.token is None:
            return False
        group = self.group_ids.get(team_id) or await self._group_of(turn, team_id)
        if not group:
            return False
        return user in await self.owners.owners(convert.tenant_id(wire), group)

    async def _group_of(self, turn: TurnContext, team_id: str) -> str | None:
        """The team's Entra group id from the connector's team details, when activities did
        not carry it (channel messages do not). A failure is not asked again for a minute:
        every command in the team would otherwise wait on it."""
        failed = self._no_group.get(team_id)
        if failed is not None and time.monotonic() - failed < TEAM_DETAILS_RETRY_SECONDS:
            return None
        try:
            connector = await TeamsInfo.get_teams_connector_client(turn)  # a new client each time
            # The call runs in a thread that outlives the wait below: it must not go on retrying
            # (msrest's default: 3 more tries, each allowed 100 s) after we have given up on it.
            connector.config.retry_policy.retries = 0
            connector.config.connection.timeout = TEAM_DETAILS_SECONDS
            details = await asyncio.wait_for(
                asyncio.to_thread(connector.teams.get_team_details, team_id), TEAM_DETAILS_SECONDS
            )
            group = details.aad_group_id
        except Exception as exc:
            log.warning("teams: team details of %s unavailable: %r", team_id, exc)
            group = None
        if not group:
            if failed is None:
                log.warning("teams: no Entra group id for team %s: team owners are not known", team_id)
            self._no_group[team_id] = time.monotonic()
            return None
        self._no_group.pop(team_id, None)
        self.group_ids[team_id] = group
        return str(group)

    async def _learn_mentioned(self, turn: TurnContext, wire: dict[str, Any]) -> None:
        """People are known by their Entra id (`owners add @Bob` must store Bob's), but a
        mention carries only the Bot Framework id; whom the bot has not seen since it
        started is looked up in the roster. Someone not in it keeps the id as typed; when
        the roster could not be read (a fault that may pass, no answer in time), the command
        is run again later by the inbox rather than with the wrong id."""
        bot_id = convert._str(convert._dict(wire.get("recipient")).get("id"))
        for entity in wire.get("entities") or []:
            mentioned = convert._dict(convert._dict(entity).get("mentioned"))
            who = convert._str(mentioned.get("id"))
            if convert._dict(entity).get("type") != "mention" or not who or who == bot_id:
                continue
            if who.startswith(convert.CONVERSATION_PREFIX) or who in self.people.aad_by_bf:
                continue
            self.people.learn(mentioned)  # when the mention carries the Entra id itself
            if who in self.people.aad_by_bf:
                continue
            # the team's roster in a channel, else the chat's (without a thread's `;messageid=`)
            roster = convert.team_id(wire) or convert.conversation_id(wire)
            connector = turn.turn_state.get(self.delivery.adapter.BOT_CONNECTOR_CLIENT_KEY)
            try:
                member = await asyncio.wait_for(
                    connector.conversations.get_conversation_member(roster, who), MEMBER_SECONDS
                )
            except Exception as exc:
                if isinstance(exc, TimeoutError) or faults.classify(exc) is not None:
                    raise
                log.info("teams: mentioned member %s not found in the roster: %r", who, exc)
                continue
            learnt = {"id": who, "aadObjectId": member.aad_object_id, "name": member.name}
            self.people.learn(learnt)

    async def handle(self, turn: TurnContext, event: Event) -> list[Outbound]:
        gateway = TeamsGateway(turn, self.delivery.adapter.BOT_CONNECTOR_CLIENT_KEY, self.refs)
        return await self.engine.handle(event, gateway)

    # --- messages: commands, and cards submitted with Action.Submit ---------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        wire = wire_of(turn_context.activity)
        card = convert.card_submitted(wire)
        if not card and convert.conversation_type(wire) != "personal" and not convert.mentions_bot(wire):
            return  # a channel message that is not for the bot: no owner lookup, nothing
        actor = await self.actor(turn_context, wire)
        if actor.is_bot:
            return
        if card:
            outs = await self.card_submitted(turn_context, wire, actor)
            await self.delivery.in_turn(turn_context, outs, convert.tenant_id(wire), private=True)
            return
        await self._learn_mentioned(turn_context, wire)
        text = convert.command_text(wire, self.people.aad_by_bf)
        event = CommandInvoked(convert.channel_info(wire), actor, text, prefix=PREFIX)
        outs = await self.handle(turn_context, event)
        # Teams has no ephemeral replies: the command table says which answers are the
        # asker's alone, and those go to a personal chat rather than the shared thread.
        private = self.engine.answers_privately(event)
        await self.delivery.in_turn(turn_context, outs, convert.tenant_id(wire), private=private)

    async def card_submitted(self, turn: TurnContext, wire: dict[str, Any], actor: Actor) -> list[Outbound]:
        data = convert.card_values(wire)
        kind = data.get("outputs")
        if kind == cards.SETUP:
            channel = await self.card_channel(wire, data)
            return await self.handle(turn, SetupSubmitted(channel, actor, cards.form_values(data)))
        if kind == cards.FIELDS and str(data.get("deliverable", "")).isdigit():
            values = cards.form_values(data)
            return await self.handle(turn, FieldsSubmitted(actor, int(data["deliverable"]), values))
        return []

    async def card_channel(self, wire: dict[str, Any], data: dict[str, Any]) -> ChannelInfo:
        here = convert.channel_info(wire)
        target = data.get("channel")
        if not isinstance(target, str) or not target or target == here.key.channel_id:
            return here
        key = here.key.model_copy(update={"channel_id": target})
        return await self.engine.repo.get_channel(key) or ChannelInfo(key=key)

    async def on_message_update_activity(self, turn_context: TurnContext) -> None:
        wire = wire_of(turn_context.activity)
        message = convert.edited_snapshot(wire)
        if message is not None and not message.is_bot:
            await self.handle(turn_context, MessageEdited(convert.channel_info(wire), message))

    async def on_message_delete_activity(self, turn_context: TurnContext) -> None:
        wire = wire_of(turn_context.activity)
        if wire.get("id"):
            await self.handle(turn_context, MessageDeleted(convert.channel_info(wire), str(wire["id"])))

    # --- lifecycle ----------------------------------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        wire = wire_of(turn_context.activity)
        event_type = convert._dict(wire.get("channelData")).get("eventType")
        if convert.bot_in(wire, "membersRemoved") or event_type == "teamDeleted":
            await self._forget(wire)
            return
        if event_type == "channelDeleted":
            channel = convert._dict(convert._dict(wire.get("channelData")).get("channel")).get("id")
            if isinstance(channel, str):
                await self.refs.forget(convert.PLATFORM, convert.tenant_id(wire), [channel])
            return
        outs: list[Outbound] = []
        if convert.bot_in(wire, "membersAdded"):
            outs += await self._bot_joined(turn_context, wire)
        bot_id = (turn_context.activity.recipient.id if turn_context.activity.recipient else "") or ""
        for member in convert.members(wire, "membersAdded"):
            if member.get("id") == bot_id or convert.conversation_type(wire) == "personal":
                continue
            joined = Actor(convert.user_id(member), locale=wire.get("locale"))
            outs += await self.handle(turn_context, MemberJoined(convert.channel_info(wire), joined, PREFIX))
        await self.delivery.in_turn(turn_context, outs, convert.tenant_id(wire), private=True)

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        wire = wire_of(turn_context.activity)
        action = str(wire.get("action") or "")
        if action.startswith("remove"):
            await self._forget(wire)
        elif action == "add":
            outs = await self._bot_joined(turn_context, wire)
            await self.delivery.in_turn(turn_context, outs, convert.tenant_id(wire), private=True)

    async def _bot_joined(self, turn: TurnContext, wire: dict[str, Any]) -> list[Outbound]:
        if convert.conversation_type(wire) == "personal":
            return []  # a personal chat has no charter: the engine's hint is for channels
        return await self.handle(turn, BotJoined(convert.channel_info(wire), PREFIX))

    async def _forget(self, wire: dict[str, Any]) -> None:
        """The bot left a chat or a team: forget every reference it had there."""
        tenant, team = convert.tenant_id(wire), convert.team_id(wire)
        gone = {convert.channel_id(wire)}
        if team:
            gone |= {
                r.channel_id
                for r in await self.refs.list(convert.PLATFORM, tenant)
                if r.reference.get("teamId") == team
            }
        await self.refs.forget(convert.PLATFORM, tenant, gone)
        for channel_id in gone:
            key = ChannelKey(platform=convert.PLATFORM, workspace_id=tenant, channel_id=channel_id)
            self._remembered.pop(key, None)

    # --- invokes: adapters.teams.invokes -------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        return await self.invokes.answer(turn_context)
