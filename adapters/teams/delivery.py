"""Sending the engine's replies to Teams: in the current turn, proactively, or privately.

Teams has no ephemeral messages. A reply meant for one person goes where that person typed
(their personal chat, or the thread of their command), except answers that may show other
channels' work (`search`, `drafts`, `export`, `digest preview`): those go to the person's
personal chat with the bot. Channel posts go through the channel's stored conversation
reference (`continue_conversation`), so a command typed in a thread still posts the digest
at the channel's top level, and the scheduler uses the very same path.

`export` sends a real file, the only way Teams lets a bot do so: a file consent card in the
person's personal chat (`offer_file`). The content waits in `pending_files` under a random
token, the card's only context; when the person accepts, Teams gives an upload URL, the bot
PUTs the bytes there (`adapters.teams.upload`) and sends the file's card (see `adapters.teams.file_consent`).

A 429 is retried by the connector client's own policy (`adapter.connector_retry`, after each
Retry-After); when it gives up, a proactive post raises `bot.fanout.RateLimited` with the
last Retry-After, so the scheduler's fan-out holds the tenant back and sends it again.

A reply that fails with a fault that may pass is raised: the inbox runs the activity again.
A channel post made while answering someone (`_post_or_tell`) is not: what it announces was
claimed once by the engine (a routed deliverable), so a run again would not post it at all.
It is tried again in place (`faults.retried`), and when it still fails the person is told
why, privately, in their language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import CloudAdapterBase, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
)

from adapters.retry_after import retry_after
from adapters.teams import cards, faults
from adapters.teams.activities import (
    card_activity,
    consent_activity,
    onedrive_name,
    reply_activities,
    text_activities,
)
from adapters.teams.adapter import wire_of
from adapters.teams.convert import PLATFORM
from adapters.teams.people import People
from adapters.teams.readers import Readers
from bot.charter import ChannelKey
from bot.events import Audience, OpenForm, Outbound, Reply, SendFile
from bot.fanout import RateLimited
from bot.i18n import Translator, translator
from bot.platform_ports import ConversationStore, PendingFileStore

log = logging.getLogger(__name__)
DEFAULT_RETRY_AFTER = 30.0  # when a 429 comes without a usable Retry-After


def rate_limited(exc: Exception) -> RateLimited | None:
    """A connector 429 its retries could not absorb (msrest's HttpOperationError carries the
    requests Response) as `RateLimited`, with its Retry-After in seconds or as an HTTP date."""
    response = getattr(exc, "response", None)
    if getattr(response, "status_code", None) != 429:
        return None
    wait = retry_after(getattr(response, "headers", None), DEFAULT_RETRY_AFTER)
    return RateLimited(wait, "Teams connector 429")


Logic = Callable[[TurnContext], Awaitable[None]]


async def reraised(run: Callable[[Logic], Awaitable[Any]], logic: Logic) -> None:
    """Run `logic` in a turn the adapter makes (`run` hands it the turn's callback) and raise
    what it raised: the adapter's turn error handler would only log it, and a caller (the
    inbox, the scheduler) must see it to retry or report."""
    failures: list[BaseException] = []

    async def guarded(turn: TurnContext) -> None:
        try:
            await logic(turn)
        except Exception as exc:
            failures.append(exc)

    await run(guarded)
    if failures:
        raise failures[0]


def post_problem(t: Translator, exc: Exception) -> str:
    """Why a channel post failed, for the person who asked for it."""
    if isinstance(exc, RateLimited) or rate_limited(exc) is not None:
        return t("Teams asked me to slow down. Try again in a minute.")
    if faults.answer_lost(exc):
        return t("Teams did not answer in time, so the post may not be there: look before trying again.")
    reason = faults.classify(exc)
    if reason is not None:
        return t("{reason}. Try again in a few minutes.", reason=t(reason))
    return t("Outputs is not in that channel: add it to the channel's team, then try again.")


class Delivery:
    def __init__(
        self,
        adapter: CloudAdapterBase,
        app_id: str,
        refs: ConversationStore,
        people: People,
        files: PendingFileStore,
        readers: Readers,
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.refs = refs
        self.people = people
        self.files = files
        self.readers = readers  # the language of the person a note is for

    # --- in a turn -------------------------------------------------------------------------

    async def in_turn(self, turn: TurnContext, outs: list[Outbound], tenant: str, private: bool) -> None:
        """Send what the engine answered to an activity. `private`: one person's answers
        must not be shown in a shared conversation."""
        personal = (turn.activity.conversation.conversation_type or "personal") == "personal"
        names = self.people.names
        for out in outs:
            if isinstance(out, Reply) and out.audience is Audience.CHANNEL:
                await self._post_or_tell(turn, out, tenant, personal)
            elif isinstance(out, Reply) and out.audience is Audience.EPHEMERAL and (personal or not private):
                await self._send(turn, reply_activities(out, names))
            elif isinstance(out, Reply):
                await self.direct(turn, tenant, out.user_id or "", reply_activities(out, names))
            elif isinstance(out, OpenForm):
                content = cards.form_card(out, translator(out.lang))
                if out.deliverable_id is None and (personal or not private):
                    await self._send(turn, [card_activity(content, out.title)])
                else:
                    await self.direct(turn, tenant, out.user_id, [card_activity(content, out.title)])
            elif isinstance(out, SendFile):
                await self.offer_file(turn, tenant, out)
            else:  # FormErrors outside a card action: say what is wrong in words
                text = "\n".join(f"{k}: {v}" for k, v in out.errors.items())
                await self._send(turn, text_activities(text, names))

    async def offer_file(self, turn: TurnContext, tenant: str, f: SendFile) -> str:
        """Keep the file for its person and send them the consent card, in their personal
        chat (the only place Teams lets a bot send a file)."""
        if not f.user_id:
            return ""
        name = onedrive_name(f.filename)
        token = await self.files.add(PLATFORM, tenant, f.user_id, name, f.content)
        card = consent_activity(name, f.content.encode("utf-8"), f.text, token)
        return await self.direct(turn, tenant, f.user_id, [card])

    async def send(self, turn: TurnContext, activities: list[Activity]) -> str:
        """Send in the turn's own conversation; return the first message's id."""
        return await self._send(turn, activities)

    async def _post_or_tell(self, turn: TurnContext, out: Reply, tenant: str, personal: bool) -> None:
        """A post to a channel (this one, or a route's). A fault that may pass is tried again
        here, a few times. When it still fails (the bot is not in that channel, the connector
        refused or did not answer), what was asked is done already: say so to the person,
        privately and in their language, and log it; the rest of the answer still goes out."""
        channel = ChannelKey(platform=PLATFORM, workspace_id=tenant, channel_id=out.channel_id)
        try:
            await faults.retried(lambda: self.post(out, channel), "a post to a channel")
        except Exception as exc:
            log.warning(
                "teams: post to a channel failed: channel=%s tenant=%s kind=%s error=%r",
                out.channel_id,
                tenant,
                out.kind,
                exc,
            )
            t = await self.readers.translator(wire_of(turn.activity))
            where = f"`{out.channel_id}`"  # its id: the name is not known here
            text = t("I could not post in {channel}: {problem}", channel=where, problem=post_problem(t, exc))
            note = text_activities(text, self.people.names)
            sender = turn.activity.from_property
            if personal:
                await self._send(turn, note)
            elif sender is not None:
                await self.direct(turn, tenant, sender.aad_object_id or sender.id or "", note)

    async def _send(self, turn: TurnContext, activities: list[Activity]) -> str:
        ids = []
        for a in activities:
            resp = await turn.send_activity(a)
            ids.append(resp.id if resp and resp.id else "")
        return ids[0] if ids else ""

    async def direct(self, turn: TurnContext, tenant: str, user_id: str, activities: list[Activity]) -> str:
        """Open (or find again: Teams returns the same one) the person's chat with the bot."""
        if not user_id:
            return ""
        connector = turn.turn_state[self.adapter.BOT_CONNECTOR_CLIENT_KEY]
        bot = turn.activity.recipient
        params = ConversationParameters(
            is_group=False,
            bot=bot,
            members=[ChannelAccount(id=self.people.bf_id(user_id))],
            tenant_id=tenant,
            channel_data={"tenant": {"id": tenant}},
        )
        created = await connector.conversations.create_conversation(params)
        first = ""
        for a in activities:
            a.conversation = ConversationAccount(
                id=created.id, tenant_id=tenant, conversation_type="personal"
            )
            a.from_property = bot
            a.recipient = ChannelAccount(id=self.people.bf_id(user_id))
            a.service_url = turn.activity.service_url
            resp = await connector.conversations.send_to_conversation(created.id, a)
            first = first or (resp.id if resp and resp.id else "")
        return first

    # --- proactive ---------------------------------------------------------------------------

    async def continue_in(self, channel: ChannelKey, logic: Callable[[TurnContext], Awaitable[None]]) -> None:
        """Run `logic` in a proactive turn of `channel`; its exceptions reach the caller (the
        adapter's turn error handler would only log them, and a failed digest must be known)."""
        stored = await self.refs.get(channel)
        if stored is None:
            raise LookupError(
                f"no conversation reference for Teams channel {channel.channel_id}: "
                "the bot must be installed there (or spoken to) first"
            )
        reference = ConversationReference().deserialize(stored.reference)
        reference.service_url = getattr(self.adapter, "connector_url", "") or stored.service_url
        await reraised(
            lambda guarded: self.adapter.continue_conversation(reference, guarded, self.app_id), logic
        )

    async def post(self, reply: Reply, channel: ChannelKey) -> str:
        """Post proactively (the scheduler's Poster); return the first message's id."""
        ids: list[str] = []

        async def logic(turn: TurnContext) -> None:
            if reply.audience is Audience.CHANNEL:
                ids.append(await self._send(turn, reply_activities(reply, self.people.names)))
            else:
                activities = reply_activities(reply, self.people.names)
                ids.append(await self.direct(turn, channel.workspace_id, reply.user_id or "", activities))

        try:
            await self.continue_in(channel, logic)
        except Exception as exc:
            if (limited := rate_limited(exc)) is not None:
                log.warning(
                    "teams: post rate limited: channel=%s tenant=%s retry_after=%g",
                    channel.channel_id,
                    channel.workspace_id,
                    limited.retry_after,
                )
                raise limited from None
            raise
        return ids[0] if ids else ""
