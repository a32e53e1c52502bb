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
activity (`adapters.teams.work`), so the code below is the same in both places.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from http import HTTPStatus
from typing import Any

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity

from adapters.teams import cards, convert
from adapters.teams.adapter import wire_of
from adapters.teams.delivery import (
    Delivery,
    People,
    UploadFailed,
    attachment_activity,
    consent_activity,
    text_activities,
    upload,
)
from adapters.teams.owners import TeamOwners
from bot.charter import ChannelKey
from bot.deliverable import Via
from bot.engine import Engine
from bot.events import (
    Actor,
    Audience,
    BotJoined,
    CommandInvoked,
    Event,
    FieldsSubmitted,
    FormErrors,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessageTagged,
    OpenForm,
    Outbound,
    Reply,
    SetupSubmitted,
)
from bot.i18n import Translator, translator
from bot.markup import to_plain
from bot.ports import ChannelInfo, MessageSnapshot
from storage.conversations import ConversationRefs
from storage.pending_files import PendingFile

log = logging.getLogger(__name__)

PREFIX = "@Outputs"
MEMBER_SECONDS = 2.0  # a mentioned person's roster entry, asked while a command waits
TEAM_DETAILS_SECONDS = 3.0  # the connector's team details, asked within an invoke's 5 seconds
TEAM_DETAILS_RETRY_SECONDS = 60.0  # after a failure, the team's next try
REMEMBERED = 10_000  # conversation references known to be stored, kept in memory
AFTER_ANSWER = "outputs.after_answer"  # turn state: what to deliver once the invoke is answered
# Answers that can show other channels' work or one person's own list: never in a shared thread.
PRIVATE_COMMANDS = frozenset({"search", "drafts", "export"})


def is_private_command(text: str) -> bool:
    words = text.lower().split()
    if not words:
        return False
    return words[0] in PRIVATE_COMMANDS or (words[0] == "digest" and words[1:2] != ["post"])


class TeamsGateway:
    """What the engine may ask Teams during a turn."""

    def __init__(self, turn: TurnContext, adapter_key: str, refs: ConversationRefs) -> None:
        self.turn = turn
        self.key = adapter_key
        self.refs = refs

    async def fetch_message(self, channel: ChannelKey, message_id: str) -> MessageSnapshot | None:
        return None  # message actions carry their message; bots get no reactions to resolve

    async def is_member(self, channel: ChannelKey, user_id: str) -> bool:
        connector = self.turn.turn_state.get(self.key)
        if connector is None:
            return False
        conversation = await self._conversation_id(channel)
        if not conversation:
            return False
        try:
            await connector.conversations.get_conversation_member(conversation, user_id)
        except Exception:  # 404 (not a member) and every failure: not shown
            return False
        return True

    async def _conversation_id(self, channel: ChannelKey) -> str:
        """The conversation's real id: chats with ids too long for the tables are keyed by a
        digest (`convert.channel_id`), which the connector does not know; their stored
        conversation reference holds the id itself."""
        if not channel.channel_id.startswith("~"):
            return channel.channel_id
        stored = await self.refs.get(channel)
        conversation = convert._dict(stored.reference.get("conversation")) if stored else {}
        return convert._str(conversation.get("id"))


class OutputsBot(ActivityHandler):
    def __init__(
        self,
        engine: Engine,
        refs: ConversationRefs,
        delivery: Delivery,
        owners: TeamOwners,
        people: People,
    ) -> None:
        self.engine = engine
        self.refs = refs
        self.delivery = delivery
        self.owners = owners
        self.people = people
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

    async def _actor(self, turn: TurnContext, wire: dict[str, Any]) -> Actor:
        return convert.actor(wire, is_admin=await self._is_team_owner(turn, wire))

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
            connector = await TeamsInfo.get_teams_connector_client(turn)
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
        started is looked up in the roster."""
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
            except Exception as exc:  # not in the roster, or no answer: the id stays as typed
                log.info("teams: mentioned member %s not found in the roster: %r", who, exc)
                continue
            learnt = {"id": who, "aadObjectId": member.aad_object_id, "name": member.name}
            self.people.learn(learnt)

    async def _handle(self, turn: TurnContext, event: Event) -> list[Outbound]:
        gateway = TeamsGateway(turn, self.delivery.adapter.BOT_CONNECTOR_CLIENT_KEY, self.refs)
        return await self.engine.handle(event, gateway)

    # --- messages: commands, and cards submitted with Action.Submit ---------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        wire = wire_of(turn_context.activity)
        card = convert.card_submitted(wire)
        if not card and convert.conversation_type(wire) != "personal" and not convert.mentions_bot(wire):
            return  # a channel message that is not for the bot: no owner lookup, nothing
        actor = await self._actor(turn_context, wire)
        if actor.is_bot:
            return
        if card:
            outs = await self._card_submitted(turn_context, wire, actor)
            await self.delivery.in_turn(turn_context, outs, convert.tenant_id(wire), private=True)
            return
        await self._learn_mentioned(turn_context, wire)
        text = convert.command_text(wire, self.people.aad_by_bf)
        event = CommandInvoked(convert.channel_info(wire), actor, text, prefix=PREFIX)
        outs = await self._handle(turn_context, event)
        private = is_private_command(text)
        await self.delivery.in_turn(turn_context, outs, convert.tenant_id(wire), private=private)

    async def _card_submitted(self, turn: TurnContext, wire: dict[str, Any], actor: Actor) -> list[Outbound]:
        data = convert.card_values(wire)
        kind = data.get("outputs")
        if kind == cards.SETUP:
            channel = await self._card_channel(wire, data)
            return await self._handle(turn, SetupSubmitted(channel, actor, cards.form_values(data)))
        if kind == cards.FIELDS and str(data.get("deliverable", "")).isdigit():
            values = cards.form_values(data)
            return await self._handle(turn, FieldsSubmitted(actor, int(data["deliverable"]), values))
        return []

    async def _card_channel(self, wire: dict[str, Any], data: dict[str, Any]) -> ChannelInfo:
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
            await self._handle(turn_context, MessageEdited(convert.channel_info(wire), message))

    async def on_message_delete_activity(self, turn_context: TurnContext) -> None:
        wire = wire_of(turn_context.activity)
        if wire.get("id"):
            await self._handle(turn_context, MessageDeleted(convert.channel_info(wire), str(wire["id"])))

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
            outs += await self._handle(turn_context, MemberJoined(convert.channel_info(wire), joined, PREFIX))
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
        return await self._handle(turn, BotJoined(convert.channel_info(wire), PREFIX))

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

    # --- invokes ------------------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        wire = wire_of(turn_context.activity)
        name = wire.get("name")
        if name == "fileConsent/invoke":
            await self._file_consent(turn_context, wire)
            return InvokeResponse(status=int(HTTPStatus.OK))  # Teams waits for an empty 200
        if name == "composeExtension/fetchTask":
            return _ok(await self._in_time(wire, self._fetch_task(turn_context, wire)))
        if name == "composeExtension/submitAction":
            return _ok(await self._submit_action(turn_context, wire))
        if name == "adaptiveCard/action":
            return _ok(await self._card_action(turn_context, wire))
        return InvokeResponse(status=int(HTTPStatus.OK))  # nothing to say to other invokes

    async def _in_time(self, wire: dict[str, Any], work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        """Opening the capture dialog runs in the request: Teams shows the dialog only from
        the invoke's answer, and gives up on it after 5 seconds. Past the adapter's deadline
        the work is cancelled (it writes nothing that must last: the channel's name at most)
        and the person is asked to open the dialog again."""
        try:
            async with asyncio.timeout(self.delivery.adapter.invoke_deadline):
                return await work
        except TimeoutError:
            log.warning("teams: %s missed the invoke deadline", wire.get("name"))
        t = translator(wire.get("locale"))
        again = t("That took too long: choose “Record as deliverable” on the message again.")
        return cards.task_message(again)

    # --- files: the answer to an `export` file's consent card ------------------------------

    async def _file_consent(self, turn: TurnContext, wire: dict[str, Any]) -> None:
        """Run by an inbox worker: the invoke was answered when it was kept, so the upload
        has no deadline, and what happened is said in the chat. A fault that may pass is
        raised, for the inbox to try again; when it gives up, the person is told."""
        t = translator(wire.get("locale"))
        value = convert._dict(wire.get("value"))
        token = convert._str(convert._dict(value.get("context")).get("token"))
        pending = await self.delivery.files.get(token)
        if pending is None:
            await self._say(turn, t("That export has expired: run `export` again."))
            return
        user = convert.user_id(convert._dict(wire.get("from")))
        if (pending.platform, pending.workspace_id, pending.user_id) != (
            convert.PLATFORM,
            convert.tenant_id(wire),
            user,
        ):
            await self._say(turn, t("That file was made for someone else: run `export` to get your own."))
            return
        if value.get("action") != "accept":
            await self.delivery.files.delete(token)
            note = t("Not sent: `{name}`. Run `export` again whenever you need it.", name=pending.filename)
            if not await self._replace_card(turn, wire, note):
                await self._say(turn, note)
            return
        card_note, activities = await self._upload(pending, convert._dict(value.get("uploadInfo")), t)
        if card_note is not None:
            await self._replace_card(turn, wire, card_note)
        await self.delivery.send(turn, activities)

    async def _upload(
        self, pending: PendingFile, info: dict[str, Any], t: Translator
    ) -> tuple[str | None, list[Activity]]:
        """Upload the file. Then: the note that replaces the consent card, and the file's card;
        or, when the upload failed, no note and a new consent card to try again with (the
        pending file is kept for it)."""
        url = convert._str(info.get("uploadUrl"))
        try:
            if not url.startswith(("https://", "http://")):
                raise UploadFailed(f"no usable uploadUrl: {url[:80]!r}")
            await upload(url, pending.data)
        except UploadFailed as exc:
            log.warning("teams: upload of %s for %s failed: %s", pending.filename, pending.user_id, exc)
            note = t(
                "I could not upload `{name}`. Accept the new card below to try again.", name=pending.filename
            )
            retry = consent_activity(pending.filename, pending.data, "", pending.token)
            return None, [*text_activities(note, self.people.names), retry]
        await self.delivery.files.delete(pending.token)
        sent = t("Sent: `{name}`.", name=convert._str(info.get("name")) or pending.filename)
        return sent, [attachment_activity(cards.file_info(info))]

    async def _replace_card(self, turn: TurnContext, wire: dict[str, Any], note: str) -> bool:
        """Replace the consent card that was answered with a short note, so that it cannot be
        answered twice; False when there is no card to replace or Teams refused."""
        card_id = convert._str(wire.get("replyToId"))
        if not card_id:
            return False
        [activity, *_] = text_activities(note, self.people.names)
        activity.id = card_id
        activity.attachments = []
        try:
            await turn.update_activity(activity)
        except Exception as exc:
            log.info("teams: consent card %s not replaced: %r", card_id, exc)
            return False
        return True

    async def _say(self, turn: TurnContext, text: str) -> None:
        await self.delivery.send(turn, text_activities(text, self.people.names))

    async def _fetch_task(self, turn: TurnContext, wire: dict[str, Any]) -> dict[str, Any]:
        t = translator(wire.get("locale"))
        message = convert.snapshot(convert.message_payload(wire))
        if message is None:
            return cards.task_message(t("Use “Record as deliverable” from the menu of a message."))
        channel = convert.channel_info(wire)
        await self.engine.repo.upsert_channel(channel)
        charter = await self.engine.repo.get_charter(channel.key)
        if charter is None or not charter.types:
            return cards.task_message(
                t(
                    "This channel has no charter yet, so nothing is captured here. "
                    "An owner can declare one with `{prefix} setup`.",
                    prefix=PREFIX,
                )
            )
        names = self.people.names
        return cards.task_card(t("Record as deliverable"), cards.capture_card(t, charter, message, names))

    async def _submit_action(self, turn: TurnContext, wire: dict[str, Any]) -> dict[str, Any]:
        t = translator(wire.get("locale"))
        message = convert.snapshot(convert.message_payload(wire))
        type_key, fields = cards.capture_values(convert.card_values(wire))
        if message is None or not type_key:
            return cards.task_message(t("Use “Record as deliverable” from the menu of a message."))
        actor = await self._actor(turn, wire)
        event = MessageTagged(
            convert.channel_info(wire), actor, message, type_key, fields, via=Via.MESSAGE_ACTION
        )
        outs = await self._handle(turn, event)
        said = [to_plain(o.text, self.people.names) for o in outs if isinstance(o, Reply) and _to_actor(o)]
        said += [to_plain(o.text, self.people.names) for o in outs if isinstance(o, OpenForm) and o.text]
        later = [o for o in outs if not (isinstance(o, Reply) and _to_actor(o))]
        # the draft's form (privately) and announcements, once the dialog has its answer
        after_answer(turn).extend(later)
        return cards.task_message("\n".join(said) or t("Recorded."))

    async def deliver_later(self, wire: dict[str, Any], outs: list[Outbound]) -> None:
        """What an invoke's work said besides its answer, sent after the answer (by the worker
        that ran it), through the channel's stored conversation reference."""
        tenant = convert.tenant_id(wire)
        key = convert.key_of(wire)

        async def logic(turn: TurnContext) -> None:
            await self.delivery.in_turn(turn, outs, tenant, private=True)

        await self.delivery.continue_in(key, logic)

    async def _card_action(self, turn: TurnContext, wire: dict[str, Any]) -> dict[str, Any]:
        actor = await self._actor(turn, wire)
        data = convert.card_values(wire)
        outs = await self._card_submitted(turn, wire, actor)
        t = translator(actor.locale)
        errors = next((o for o in outs if isinstance(o, FormErrors)), None)
        form = next((o for o in outs if isinstance(o, OpenForm)), None)
        if errors is not None:
            form = await self._setup_form(turn, wire, actor, data)
            if form is not None:
                return cards.card_response(cards.form_card(form, t, errors.errors))
        if form is not None:
            return cards.card_response(cards.form_card(form, t))
        replies = [o for o in outs if isinstance(o, Reply)]
        after_answer(turn).extend(o for o in replies if not _to_actor(o))
        mine = [o for o in replies if _to_actor(o)]
        if not mine:
            return cards.message_response(t("Done."))
        first = mine[0]
        content = cards.reply_card(first, t, self.people.names) or cards.card(
            [cards.text_block(line) for line in "\n".join(o.text for o in mine).split("\n") if line.strip()]
        )
        return cards.card_response(content)

    async def _setup_form(
        self, turn: TurnContext, wire: dict[str, Any], actor: Actor, data: dict[str, Any]
    ) -> OpenForm | None:
        """The setup form again, with what the person typed, to show the errors beside it."""
        channel = await self._card_channel(wire, data)
        outs = await self._handle(turn, CommandInvoked(channel, actor, "setup", prefix=PREFIX))
        form = next((o for o in outs if isinstance(o, OpenForm)), None)
        if form is None:
            return None
        typed = cards.form_values(data)
        fields = tuple(
            f.__class__(**{**f.__dict__, "value": typed.get(f.name, f.value)}) for f in form.fields
        )
        return OpenForm(form.user_id, form.channel_id, form.title, fields, None, form.lang, form.text)


def after_answer(turn: TurnContext) -> list[Outbound]:
    """What to deliver once the invoke of `turn` has its answer (`deliver_later`)."""
    later: list[Outbound] = turn.turn_state.setdefault(AFTER_ANSWER, [])
    return later


def _to_actor(o: Outbound) -> bool:
    return isinstance(o, Reply) and o.audience is Audience.EPHEMERAL


def _ok(body: dict[str, Any]) -> InvokeResponse:
    # A dict body, exactly what 4.17's CloudAdapter.process could not send (see adapter.py).
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)
