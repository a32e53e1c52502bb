"""The engine: one `handle(event, gateway)` for every platform."""

from __future__ import annotations

import logging
from dataclasses import replace

from cachetools import LRUCache

from bot import capture, dialogs
from bot.charter import ChannelKey, Charter, normalize_emoji
from bot.commands import setup_form
from bot.commands.dispatch import answers_privately, run_command
from bot.context import Ctx, EngineSettings, Services
from bot.deliverable import Via
from bot.dialogs import CaptureDialog
from bot.events import (
    Actor,
    Audience,
    BotJoined,
    CommandInvoked,
    Event,
    FieldsSubmitted,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessageTagged,
    OpenForm,
    Outbound,
    ReactionAdded,
    ReactionRemoved,
    Reply,
    SetupSubmitted,
)
from bot.i18n import translator
from bot.ports import ChannelInfo, Clock, Gateway, MessageSnapshot, Repository
from bot.render import charter_text, how_to_tag

log = logging.getLogger(__name__)
SEEN_CHANNELS = 10_000


class Unread:
    """The type of `UNREAD`: `handle` was not given the channel's charter, so it reads it."""


UNREAD = Unread()


class Engine:
    def __init__(self, repo: Repository, clock: Clock, settings: EngineSettings | None = None) -> None:
        self.services = Services(repo, clock, settings or EngineSettings())
        # Bounded so a bot in very many channels does not grow without end; forgetting one only
        # costs a write. Not thread-safe, and need not be: the engine runs on one event loop.
        self._seen: LRUCache[ChannelKey, ChannelInfo] = LRUCache(SEEN_CHANNELS)

    @property
    def repo(self) -> Repository:
        return self.services.repo

    async def handle(
        self, event: Event, gateway: Gateway, charter: Charter | None | Unread = UNREAD
    ) -> list[Outbound]:
        """Apply `event`; what to send back. `charter`: the event channel's charter when the
        adapter has just read it for this very event (a reaction's emoji, checked before any
        platform lookup), so the hot path reads it once, not twice."""
        if isinstance(event, FieldsSubmitted):
            return await self._fields_submitted(event, gateway)
        ctx = await self._context(
            event.channel,
            getattr(event, "actor", Actor("")),
            gateway,
            getattr(event, "prefix", self.services.settings.command_prefix),
            charter,
        )
        match event:
            case CommandInvoked():
                await run_command(ctx, event.text)
            case ReactionAdded():
                await self._reaction_added(ctx, event)
            case ReactionRemoved():
                if ctx.charter and (ot := ctx.charter.type_for_emoji(event.emoji)):
                    await capture.untag(ctx, event.message_id, ot, normalize_emoji(event.emoji))
            case MessageTagged():
                if event.message.is_bot:
                    ctx.say(ctx.t("Messages from the bot cannot be deliverables."))
                else:
                    await capture.tag(ctx, event.message, event.type_key, via=event.via, fields=event.fields)
            case SetupSubmitted():
                await setup_form.submit(ctx, event.values)
            case MessageEdited():
                await capture.follow_edit(ctx, event.message)
            case MessageDeleted():
                await capture.follow_delete(ctx, event.message_id)
            case MemberJoined():
                await self._welcome(ctx)
            case BotJoined():
                await self._bot_joined(ctx)
        return ctx.out

    async def capture_dialog(
        self, channel: ChannelInfo, actor: Actor, message: MessageSnapshot, prefix: str | None = None
    ) -> CaptureDialog | str:
        """What "Record as deliverable" opens on `message`, or why it cannot (for `actor`)."""
        prefix = prefix or self.services.settings.command_prefix
        return await dialogs.capture_dialog(self.services, channel, actor, message, prefix)

    async def draft_form(
        self, platform: str, workspace_id: str, actor: Actor, deliverable: str
    ) -> OpenForm | str:
        """The form a draft's "Complete" button opens, or why there is none."""
        return await dialogs.open_draft_form(self.services, platform, workspace_id, actor, deliverable)

    @staticmethod
    def answers_privately(event: CommandInvoked) -> bool:
        """Whether the command's answers are for the asker alone (`search`, `drafts`, `export`,
        `digest` but for `digest post`): the command table says so, for adapters that have no
        ephemeral replies and must choose where to show them."""
        return answers_privately(event.text)

    async def _context(
        self,
        channel: ChannelInfo,
        actor: Actor,
        gateway: Gateway,
        prefix: str,
        charter: Charter | None | Unread = UNREAD,
    ) -> Ctx:
        # Channel facts (name, privacy, creator) are learnt from events; search needs them.
        # Writing only what changed keeps the hot path (every reaction) free of writes.
        if self._seen.get(channel.key) != channel:
            await self.repo.upsert_channel(channel)
            self._seen[channel.key] = channel
        if isinstance(charter, Unread):
            charter = await self.repo.get_charter(channel.key)
        # From here on the actor's locale is the language they read (chosen, or their platform's).
        lang = await self.services.languages.reader(channel.key, actor)
        if lang != actor.locale:
            actor = replace(actor, locale=lang)
        return Ctx(self.services, channel, actor, gateway, charter, prefix)

    async def _reaction_added(self, ctx: Ctx, event: ReactionAdded) -> None:
        if event.actor.is_bot:
            return  # the bot's own reactions are never taggings
        if ctx.charter is None:
            return  # docs/rules.md rule 2: people react for many reasons; without a charter nothing maps
        ot = ctx.charter.type_for_emoji(event.emoji)
        if ot is None:
            return
        message = await ctx.gateway.fetch_message(ctx.key, event.message_id)
        if message is None:
            ctx.say(
                ctx.t(
                    "I could not find that message (it may have been deleted, or I cannot see it), "
                    "so nothing was recorded."
                )
            )
            return
        if message.is_bot:
            return
        await capture.tag(ctx, message, ot.key, via=Via.REACTION, emoji=normalize_emoji(event.emoji))

    async def _fields_submitted(self, event: FieldsSubmitted, gateway: Gateway) -> list[Outbound]:
        d = await self.repo.get_deliverable(event.deliverable_id)
        if d is None:
            t = translator(event.actor.locale)  # no workspace known to read a stored language from
            return [
                Reply(
                    Audience.DIRECT,
                    "",
                    t("There is no deliverable #{id}.", id=event.deliverable_id),
                    event.actor.user_id,
                    lang=t.lang,
                )
            ]
        info = await self.repo.get_channel(d.channel) or ChannelInfo(key=d.channel)
        ctx = await self._context(info, event.actor, gateway, self.services.settings.command_prefix)
        await capture.complete(ctx, d, event.fields)
        return ctx.out

    async def _welcome(self, ctx: Ctx) -> None:
        """Rule 9: a new member gets the charter privately, once per member and channel."""
        charter = ctx.charter
        if charter is None or ctx.actor.is_bot:
            return
        if not await self.repo.claim_once("welcome", ctx.key, ctx.actor.user_id, ""):
            return
        t = ctx.t
        name = f"#{ctx.channel.name}" if ctx.channel.name else t("this channel")
        text = "\n".join(
            [
                t("Welcome to {channel}! Here is what it produces.", channel=name),
                charter_text(t, charter),
                how_to_tag(t, charter, ctx.prefix),
            ]
        )
        ctx.direct(ctx.actor.user_id, text, kind="welcome")

    async def _bot_joined(self, ctx: Ctx) -> None:
        """Rule 1: in a channel without a charter, say once what it needs and how."""
        if ctx.charter is not None:
            return
        if not await self.repo.claim_once("setup-hint", ctx.key, "", ""):
            return
        t = ctx.channel_t
        ctx.post(
            t(
                "Hello! This channel has no charter yet: it has not declared what it produces, "
                "so nothing can be captured. A channel owner can run `{prefix} setup` "
                "(or `{prefix} help`) to declare its purpose and outputs.",
                prefix=ctx.prefix,
            ),
            kind="welcome",
        )
