"""The invokes whose answer the person sees: the capture dialog (`composeExtension/fetchTask`,
`composeExtension/submitAction`) and Adaptive Card actions (`adaptiveCard/action`).

Their texts are in the language the person reads (`adapters.teams.readers`), not only their
Teams client's locale. What the work said besides the invoke's answer (a draft's form,
announcements) is kept in the turn (`after_answer`) and sent once the answer went
(`deliver_later`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from botbuilder.core import InvokeResponse, TurnContext

from adapters.teams import cards, convert
from adapters.teams.adapter import wire_of
from adapters.teams.convert import PREFIX
from bot.deliverable import Via
from bot.events import Actor, Audience, CommandInvoked, FormErrors, MessageTagged, OpenForm, Outbound, Reply
from bot.i18n import Translator, translator
from bot.markup import to_plain

if TYPE_CHECKING:
    from adapters.teams.bot import OutputsBot

log = logging.getLogger(__name__)

AFTER_ANSWER = "outputs.after_answer"  # turn state: what to deliver once the invoke is answered


class Invokes:
    def __init__(self, bot: OutputsBot) -> None:
        self.bot = bot

    async def answer(self, turn: TurnContext) -> InvokeResponse:
        wire = wire_of(turn.activity)
        name = wire.get("name")
        if name == "fileConsent/invoke":
            await self.bot.file_consent.answer(turn, wire)
            return InvokeResponse(status=int(HTTPStatus.OK))  # Teams waits for an empty 200
        if name == "composeExtension/fetchTask":
            return _ok(await self._in_time(wire, lambda t: self._fetch_task(t, wire)))
        if name == "composeExtension/submitAction":
            return _ok(await self._submit_action(turn, wire))
        if name == "adaptiveCard/action":
            return _ok(await self._card_action(turn, wire))
        return InvokeResponse(status=int(HTTPStatus.OK))  # nothing to say to other invokes

    async def _in_time(
        self, wire: dict[str, Any], work: Callable[[Translator], Awaitable[dict[str, Any]]]
    ) -> dict[str, Any]:
        """Opening the capture dialog runs in the request: Teams shows the dialog only from
        the invoke's answer, and gives up on it after 5 seconds. Past the adapter's deadline
        the work is cancelled (it writes nothing that must last: the channel's name at most)
        and the person is asked to open the dialog again, in their language when it was read
        in time, else in their client's."""
        t = translator(wire.get("locale"))
        try:
            async with asyncio.timeout(self.bot.delivery.adapter.invoke_deadline):
                t = await self.bot.readers.translator(wire)
                return await work(t)
        except TimeoutError:
            log.warning("teams: %s missed the invoke deadline", wire.get("name"))
        again = t("That took too long: choose “Record as deliverable” on the message again.")
        return cards.task_message(again)

    async def _fetch_task(self, t: Translator, wire: dict[str, Any]) -> dict[str, Any]:
        message = convert.snapshot(convert.message_payload(wire))
        if message is None:
            return cards.task_message(t("Use “Record as deliverable” from the menu of a message."))
        # The dialog needs no permission, only who reads it: no Graph lookup inside the deadline.
        actor = convert.actor(wire, owns_team=False)
        dialog = await self.bot.engine.capture_dialog(convert.channel_info(wire), actor, message, PREFIX)
        if isinstance(dialog, str):
            return cards.task_message(dialog)
        names = self.bot.people.names
        return cards.task_card(t("Record as deliverable"), cards.capture_card(t, dialog, names))

    async def _submit_action(self, turn: TurnContext, wire: dict[str, Any]) -> dict[str, Any]:
        t = await self.bot.readers.translator(wire)
        message = convert.snapshot(convert.message_payload(wire))
        type_key, fields = cards.capture_values(convert.card_values(wire))
        if message is None or not type_key:
            return cards.task_message(t("Use “Record as deliverable” from the menu of a message."))
        actor = await self.bot.actor(turn, wire)
        event = MessageTagged(
            convert.channel_info(wire), actor, message, type_key, fields, via=Via.MESSAGE_ACTION
        )
        outs = await self.bot.handle(turn, event)
        names = self.bot.people.names
        said = [to_plain(o.text, names) for o in outs if isinstance(o, Reply) and _to_actor(o)]
        said += [to_plain(o.text, names) for o in outs if isinstance(o, OpenForm) and o.text]
        later = [o for o in outs if not (isinstance(o, Reply) and _to_actor(o))]
        # the draft's form (privately) and announcements, once the dialog has its answer
        after_answer(turn).extend(later)
        return cards.task_message("\n".join(said) or t("Recorded."))

    async def _card_action(self, turn: TurnContext, wire: dict[str, Any]) -> dict[str, Any]:
        actor = await self.bot.actor(turn, wire)
        data = convert.card_values(wire)
        outs = await self.bot.card_submitted(turn, wire, actor)
        t = await self.bot.readers.translator(wire)
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
        content = cards.reply_card(first, t, self.bot.people.names) or cards.card(
            [cards.text_block(line) for line in "\n".join(o.text for o in mine).split("\n") if line.strip()]
        )
        return cards.card_response(content)

    async def _setup_form(
        self, turn: TurnContext, wire: dict[str, Any], actor: Actor, data: dict[str, Any]
    ) -> OpenForm | None:
        """The setup form again, with what the person typed, to show the errors beside it."""
        channel = await self.bot.card_channel(wire, data)
        outs = await self.bot.handle(turn, CommandInvoked(channel, actor, "setup", prefix=PREFIX))
        form = next((o for o in outs if isinstance(o, OpenForm)), None)
        if form is None:
            return None
        typed = cards.form_values(data)
        fields = tuple(
            f.__class__(**{**f.__dict__, "value": typed.get(f.name, f.value)}) for f in form.fields
        )
        return OpenForm(form.user_id, form.channel_id, form.title, fields, None, form.lang, form.text)

    async def deliver_later(self, wire: dict[str, Any], outs: list[Outbound]) -> None:
        """What an invoke's work said besides its answer, sent after the answer (by the worker
        that ran it), through the channel's stored conversation reference."""
        tenant = convert.tenant_id(wire)
        delivery = self.bot.delivery

        async def logic(turn: TurnContext) -> None:
            await delivery.in_turn(turn, outs, tenant, private=True)

        await delivery.continue_in(convert.key_of(wire), logic)


def after_answer(turn: TurnContext) -> list[Outbound]:
    """What to deliver once the invoke of `turn` has its answer (`Invokes.deliver_later`)."""
    later: list[Outbound] = turn.turn_state.setdefault(AFTER_ANSWER, [])
    return later


def _to_actor(o: Outbound) -> bool:
    return isinstance(o, Reply) and o.audience is Audience.EPHEMERAL


def _ok(body: dict[str, Any]) -> InvokeResponse:
    # A dict body, exactly what 4.17's CloudAdapter.process could not send (see adapter.py).
    return InvokeResponse(status=int(HTTPStatus.OK), body=body)
