"""Kept Teams activities, worked by the inbox's workers (`bot.inbox.Workers`).

A worker rebuilds the turn from the kept activity itself: the activity is its own
conversation reference (service URL, conversation with its thread, the bot, the person),
and the adapter runs it proactively (`process_proactive`, as `continue_conversation` does
for the scheduler) with the bot's own credentials, so replies go where they went when the
activity was handled inside the request. `OutputsBot.on_turn` then runs exactly as it did
there.

An invoke whose answer is the work's result is handed to the request still waiting for it
on this replica (`intake.Answers`); when none waits (the deadline passed, or the request
came in on another replica, or before a restart), the answer is sent in the person's chat
with the bot instead. What the work said besides its answer (a draft's form, announcements)
is sent after it, through the channel's stored conversation reference.

A fault that may pass is raised, and the inbox runs the whole activity again later; when
it gives up, the person who asked is told privately, in their language, what was not
recorded and why: in the answer of the invoke that still waits for it, else in their chat
with the bot (edits, deletions and membership changes have nobody to tell: the log
says it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from adapters.teams import cards, convert, intake
from adapters.teams.activities import card_activity, text_activities
from adapters.teams.adapter import TeamsAdapter
from adapters.teams.bot import OutputsBot
from adapters.teams.convert import PREFIX
from adapters.teams.delivery import reraised
from adapters.teams.invokes import after_answer
from bot.i18n import Translator
from bot.inbox import Handler, Item

log = logging.getLogger(__name__)

Logic = Callable[[TurnContext], Awaitable[None]]
# (translator, activity, why) → what the person reads when the work is given up on
Tell = Callable[[Translator, dict[str, Any], str], str]


class Turns:
    """Turns rebuilt from kept activities."""

    def __init__(self, adapter: TeamsAdapter, app_id: str) -> None:
        self.adapter = adapter
        self.app_id = app_id

    async def run(self, wire: dict[str, Any], logic: Logic) -> None:
        """Run `logic` in a turn of `wire`; its exceptions reach the caller (the adapter's
        turn error handler would only log them, and the inbox must see them to retry)."""
        activity: Activity = Activity().deserialize(wire)
        activity.wire = wire  # type: ignore[attr-defined]  # as in the request (adapter.handle)
        if self.adapter.connector_url:
            activity.service_url = self.adapter.connector_url
        claims = self.adapter.create_claims_identity(self.app_id)
        await reraised(
            lambda guarded: self.adapter.process_proactive(claims, activity, None, guarded),  # type: ignore[arg-type]
            logic,
        )


@dataclass(frozen=True)
class TeamsWork:
    """One kind of kept Teams activity, as a `bot.inbox.Handler`."""

    turns: Turns
    bot: OutputsBot
    answers: intake.Answers
    tell: Tell | None = None

    async def run(self, item: Item) -> None:
        wire: dict[str, Any] = item.payload[intake.ACTIVITY]
        key = str(item.payload.get(intake.IDENTITY) or "")

        async def logic(turn: TurnContext) -> None:
            await self.bot.on_turn(turn)
            answered = turn.turn_state.get(self.turns.adapter._INVOKE_RESPONSE_KEY)
            body = getattr(getattr(answered, "value", None), "body", None)
            if item.kind in intake.ANSWERED and isinstance(body, dict) and not self.answers.give(key, body):
                await self._answer_late(turn, wire, body)
            later = after_answer(turn)
            if later:
                await self.bot.invokes.deliver_later(wire, later)

        await self.turns.run(wire, logic)

    async def _answer_late(self, turn: TurnContext, wire: dict[str, Any], body: dict[str, Any]) -> None:
        """The answer of an invoke whose request stopped waiting, in the person's chat."""
        user = convert.user_id(convert._dict(wire.get("from")))
        activities = late_activities(body, self.bot.people.names)
        if user and activities:
            await self.bot.delivery.direct(turn, convert.tenant_id(wire), user, activities)

    async def failed(self, item: Item, reason: str) -> None:
        wire: dict[str, Any] = item.payload[intake.ACTIVITY]
        user = convert.user_id(convert._dict(wire.get("from")))
        if self.tell is None or not user:
            return  # nobody asked for this (an edit, a member joining): the log says it
        t = await self.bot.readers.translator(wire)  # their client's locale when the database is away
        text = self.tell(t, wire, t(reason))
        if item.kind in intake.ANSWERED and self.answers.give(
            str(item.payload.get(intake.IDENTITY) or ""), intake.invoke_note(item.kind, text)
        ):
            return  # the request is still waiting: the dialog or the card says it
        self.bot.people.learn(wire.get("from"))  # the chat is opened with their Bot Framework id
        activities = text_activities(text, self.bot.people.names)

        async def logic(turn: TurnContext) -> None:
            await self.bot.delivery.direct(turn, convert.tenant_id(wire), user, activities)

        await self.turns.run(wire, logic)


def late_activities(body: dict[str, Any], names: dict[str, str]) -> list[Activity]:
    """An invoke's answer (a dialog's message, a card) as messages."""
    task = convert._dict(body.get("task"))
    value = task.get("value") if task else body.get("value")
    if isinstance(value, str) and value:
        return text_activities(value, names)
    if body.get("type") == cards.CONTENT_TYPE and isinstance(value, dict):
        return [card_activity(value)]
    return []


def command_given_up(t: Translator, wire: dict[str, Any], reason: str) -> str:
    return t(
        "Nothing was recorded for `{command}`: {reason}. Please try again.",
        command=f"{PREFIX} {convert.command_text(wire)}".strip(),
        reason=reason,
    )


def submission_given_up(t: Translator, wire: dict[str, Any], reason: str) -> str:
    return t("What you submitted was not recorded: {reason}. Please try again.", reason=reason)


def file_given_up(t: Translator, wire: dict[str, Any], reason: str) -> str:
    return t("Your export was not sent: {reason}. Run `export` again.", reason=reason)


def handlers(turns: Turns, bot: OutputsBot, answers: intake.Answers) -> dict[str, Handler]:
    """The inbox's Teams kinds → what a worker runs for each, and whom it tells."""
    tells: dict[str, Tell | None] = {
        intake.COMMAND: command_given_up,
        intake.CARD: submission_given_up,
        intake.SUBMIT_ACTION: submission_given_up,
        intake.CARD_ACTION: submission_given_up,
        intake.FILE_CONSENT: file_given_up,
    }
    return {kind: TeamsWork(turns, bot, answers, tells.get(kind)) for kind in intake.KINDS}
