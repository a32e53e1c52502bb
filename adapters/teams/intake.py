"""Teams activities into the inbox before the HTTP answer (SPEC rules 10 and 11).

`Intake` is the botbuilder `Bot` the adapter runs for each authenticated request. An
activity that needs work is written to the inbox (`bot.inbox.Inbox.accept`) and only then
answered; a worker runs it later (`adapters.teams.work`). What needs no lasting work runs
in the request as before (`OutputsBot.on_turn`): a channel message not addressed to the
bot, `composeExtension/fetchTask` (the dialog must come back in the answer and writes
nothing that must last), invokes the bot does not handle, typing and other activities.

| activity | kind | ordering key |
|---|---|---|
| message for the bot (a command) | `teams.command` | the channel (its charter) |
| message with an Action.Submit card's values | `teams.card` | the target channel for setup, else none |
| messageUpdate / messageDelete | `teams.edit` / `teams.delete` | the message |
| conversationUpdate / installationUpdate | `teams.conversation` / `teams.installation` | the channel |
| invoke `composeExtension/submitAction` | `teams.submit_action` | the tagged message |
| invoke `adaptiveCard/action` | `teams.card_action` | the target channel for setup, else none |
| invoke `fileConsent/invoke` | `teams.file_consent` | none |

The bot being added to or removed from a channel is ordered with the channel's commands, so
that a removal and a new installation in quick succession are not applied the wrong way
round.

Invokes whose answer carries the work's result (`submitAction`'s dialog message, the card
an `adaptiveCard/action` replaces) wait for their worker on this replica (`Answers`) up to
the adapter's invoke deadline; past it they are answered "still working" and the worker
sends the answer as a message in the person's chat instead. A file consent is answered
with the empty 200 Teams expects as soon as it is kept: its upload runs in a worker, with
no deadline.

When the inbox cannot be written: a message is answered 200 and the person is told at once,
in the conversation, that nothing was recorded (Teams' retries of failed deliveries are not
documented, so they are not relied on); an invoke is answered with a message saying so; an
activity nobody typed (an edit, a deletion, a membership change), or a message whose person
could not be told either (the Connector failing too), is answered 503, the only way left to
say "not received". Those notes are in the activity's locale: the person's chosen language
is in the database that could not be written. "Still working" is in their chosen language
when it can be read at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from typing import Any

from botbuilder.core import Bot, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ActivityTypes

from adapters.teams import cards, convert
from adapters.teams.adapter import NotKept, TeamsAdapter, wire_of
from adapters.teams.convert import PREFIX
from adapters.teams.readers import Readers
from bot.i18n import Translator, translator
from bot.inbox import Entry, Inbox, InboxUnavailable

log = logging.getLogger(__name__)

ACTIVITY = "activity"  # payload key: the activity as Teams sent it
# Past the invoke deadline (4 s of Teams' 5), the person's language is read this long at most.
STILL_WORKING_LOOKUP_SECONDS = 0.3
IDENTITY = "identity"  # payload key: the entry's identity, to find the request waiting for it

COMMAND = "teams.command"
CARD = "teams.card"
EDIT = "teams.edit"
DELETE = "teams.delete"
CONVERSATION = "teams.conversation"
INSTALLATION = "teams.installation"
SUBMIT_ACTION = "teams.submit_action"
CARD_ACTION = "teams.card_action"
FILE_CONSENT = "teams.file_consent"
KINDS = (COMMAND, CARD, EDIT, DELETE, CONVERSATION, INSTALLATION, SUBMIT_ACTION, CARD_ACTION, FILE_CONSENT)
ANSWERED = frozenset({SUBMIT_ACTION, CARD_ACTION})  # the invoke's answer is the work's result
INVOKES = {
    "composeExtension/submitAction": SUBMIT_ACTION,
    "adaptiveCard/action": CARD_ACTION,
    "fileConsent/invoke": FILE_CONSENT,
}


def identity(wire: dict[str, Any]) -> str:
    """The activity id, which Teams keeps when it delivers an activity again. An edit or a
    deletion carries the id of the message it is about, the same for every edit, so its
    identity is the id with a digest of the activity: a replay is the same, the next edit
    is another."""
    activity_id = convert._str(wire.get("id"))
    kind = convert._str(wire.get("type"))
    if activity_id and kind not in ("messageUpdate", "messageDelete"):
        return f"teams:activity:{activity_id}"
    digest = hashlib.sha256(json.dumps(wire, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()
    return f"teams:{kind}:{activity_id}:{digest}" if activity_id else f"teams:activity:sha256:{digest}"


def charter_key(wire: dict[str, Any], channel_id: str | None = None) -> str:
    """The ordering key of what changes one channel's charter: `teams:{tenant}:{conversation}`."""
    return f"teams:{convert.tenant_id(wire)}:{channel_id or convert.channel_id(wire)}"


def message_key(wire: dict[str, Any], message_id: str) -> str:
    """The ordering key of everything about one message (tagged, edited, deleted)."""
    return f"{charter_key(wire)}:{message_id}"


def _card_key(wire: dict[str, Any]) -> str | None:
    data = convert.card_values(wire)
    if data.get("outputs") != cards.SETUP:
        return None  # a draft's fields: about one deliverable, nothing else to order against
    target = data.get("channel")
    return charter_key(wire, target if isinstance(target, str) and target else None)


def plan(wire: dict[str, Any]) -> tuple[str, str | None] | None:
    """(kind, ordering key) of an activity that needs work, or None."""
    kind = wire.get("type")
    if kind == "message":
        if convert.card_submitted(wire):
            return CARD, _card_key(wire)
        if convert.conversation_type(wire) == "personal" or convert.mentions_bot(wire):
            return COMMAND, charter_key(wire)
        return None  # a channel message not for the bot
    if kind in ("messageUpdate", "messageDelete"):
        message_id = convert._str(wire.get("id"))
        if not message_id:
            return None
        return (EDIT if kind == "messageUpdate" else DELETE), message_key(wire, message_id)
    if kind == "conversationUpdate":
        return CONVERSATION, charter_key(wire)
    if kind == "installationUpdate":
        return INSTALLATION, charter_key(wire)
    if kind == "invoke":
        invoke = INVOKES.get(convert._str(wire.get("name")))
        if invoke == SUBMIT_ACTION:
            tagged = convert._str(convert.message_payload(wire).get("id"))
            return invoke, message_key(wire, tagged) if tagged else None
        if invoke == CARD_ACTION:
            return invoke, _card_key(wire)
        if invoke is not None:
            return invoke, None
    return None


class Answers:
    """Invoke answers a worker computed, for the request on this replica still waiting for
    them. Whichever comes first wins: the worker hands its answer over (`give`), or the
    request stops waiting (`drop`) and the worker sends the answer as a message instead."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    def expect(self, key: str) -> tuple[asyncio.Future[dict[str, Any]], bool]:
        """The future of `key`'s answer, and whether this request registered it."""
        if (waiting := self._waiting.get(key)) is not None:
            return waiting, False
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[key] = future
        return future, True

    def drop(self, key: str, future: asyncio.Future[dict[str, Any]]) -> None:
        if self._waiting.get(key) is future:
            del self._waiting[key]

    def give(self, key: str, body: dict[str, Any]) -> bool:
        """Hand `body` to the request waiting for it; False when none waits any more."""
        future = self._waiting.pop(key, None)
        if future is None or future.done():
            return False
        future.set_result(body)
        return True


def invoke_note(kind: str, note: str) -> dict[str, Any]:
    """A short text as the answer of an invoke of `kind`: the card's message, or the dialog's."""
    return cards.message_response(note) if kind == CARD_ACTION else cards.task_message(note)


def still_working(t: Translator, kind: str) -> dict[str, Any]:
    return invoke_note(kind, t("Still working on it: you will get a message when it is done."))


def not_kept_text(t: Translator, kind: str, wire: dict[str, Any]) -> str:
    if kind != COMMAND:
        return t("Nothing was recorded: I could not save it just now. Please try again in a moment.")
    return t(
        "Nothing was recorded for `{command}`: I could not save it just now. Please try again in a moment.",
        command=f"{PREFIX} {convert.command_text(wire)}".strip(),
    )


async def answer_invoke(turn: TurnContext, body: dict[str, Any] | None) -> None:
    """Set the invoke's HTTP answer (an empty 200 without a body), as ActivityHandler does."""
    value = InvokeResponse(status=200, body=body)
    await turn.send_activity(Activity(type=ActivityTypes.invoke_response, value=value))


class Intake(Bot):
    def __init__(
        self, inbox: Inbox, bot: Bot, answers: Answers, adapter: TeamsAdapter, readers: Readers | None = None
    ) -> None:
        self.inbox = inbox
        self.bot = bot
        self.answers = answers
        self.adapter = adapter
        self.readers = readers

    async def on_turn(self, context: TurnContext) -> None:
        wire = wire_of(context.activity)
        planned = plan(wire)
        if planned is None:
            await self.bot.on_turn(context)
            return
        kind, order_key = planned
        key = identity(wire)
        entry = Entry(convert.PLATFORM, kind, key, {ACTIVITY: wire, IDENTITY: key}, order_key)
        if kind in ANSWERED:
            await answer_invoke(context, await self._kept_and_answered(entry, wire))
            return
        try:
            await self.inbox.accept(entry)
        except InboxUnavailable:
            if kind not in (COMMAND, CARD, FILE_CONSENT):
                raise NotKept(kind) from None
            note = not_kept_text(translator(wire.get("locale")), kind, wire)
            try:
                await context.send_activity(Activity(type=ActivityTypes.message, text=note))
            except Exception as exc:  # nobody can be told: "not received" is all that is left
                log.warning("teams: %s not kept, and the person could not be told: %r", kind, exc)
                raise NotKept(kind) from None
        if kind == FILE_CONSENT:
            await answer_invoke(context, None)  # what happens next is said in the chat

    async def _kept_and_answered(self, entry: Entry, wire: dict[str, Any]) -> dict[str, Any] | None:
        """Keep the invoke, then wait for its worker's answer until the invoke deadline."""
        loop = asyncio.get_running_loop()
        until = loop.time() + self.adapter.invoke_deadline
        t = translator(wire.get("locale"))
        future, mine = self.answers.expect(entry.identity)
        try:
            try:
                new = await self.inbox.accept(entry)
            except InboxUnavailable:
                return invoke_note(entry.kind, not_kept_text(t, entry.kind, wire))
            if not new and mine:
                # a delivery again of an invoke kept earlier, whose request is not waiting
                # here: its answer went, or goes, to the first delivery or to the chat
                return future.result() if future.done() else None
            await asyncio.wait({future}, timeout=max(0.0, until - loop.time()))
            if future.done():
                return future.result()
            if self.readers is not None:  # the worker has most often read it already: cached
                t = await self.readers.translator(wire, within=STILL_WORKING_LOOKUP_SECONDS)
            return still_working(t, entry.kind)
        finally:
            if mine:
                self.answers.drop(entry.identity, future)
