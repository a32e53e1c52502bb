"""The answer to an `export` file's consent card (`fileConsent/invoke`): the upload, or why not.

Run by an inbox worker: the invoke was answered when it was kept, so the upload has no
deadline, and what happened is said in the chat, in the person's language. Until the file is
uploaded, a fault that may pass is raised and the inbox runs the whole answer again (the
pending file is still there for it). Once it is uploaded, the pending file is gone, so a run
again could only say "expired": the notes that follow are tried again in place instead
(`faults.retried`), and a fault that outlasts that is logged, not raised.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from adapters.teams import cards, convert, faults
from adapters.teams.activities import attachment_activity, consent_activity, text_activities
from adapters.teams.upload import UploadFailed, upload
from bot.i18n import Translator
from bot.platform_ports import PendingFile

if TYPE_CHECKING:
    from adapters.teams.bot import OutputsBot

log = logging.getLogger(__name__)


class FileConsent:
    def __init__(self, bot: OutputsBot) -> None:
        self.bot = bot
        self.delivery = bot.delivery
        self.files = bot.delivery.files

    async def answer(self, turn: TurnContext, wire: dict[str, Any]) -> None:
        t = await self.bot.readers.translator(wire)
        value = convert._dict(wire.get("value"))
        token = convert._str(convert._dict(value.get("context")).get("token"))
        pending = await self.files.get(token)
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
            note = t("Not sent: `{name}`. Run `export` again whenever you need it.", name=pending.filename)
            if not await self._replace_card(turn, wire, note):
                await self._say(turn, note)
            # forgotten once the person was told: a run again would otherwise say "expired"
            await self.files.delete(token)
            return
        card_note, activities = await self._upload(pending, convert._dict(value.get("uploadInfo")), t)
        if card_note is None:  # not uploaded, and the pending file kept: a run again may still do it
            await self.delivery.send(turn, activities)
            return
        await self._replace_card(turn, wire, card_note)
        try:
            await faults.retried(lambda: self.delivery.send(turn, activities), "the file's card")
        except Exception as exc:
            log.warning(
                "teams: %s was uploaded for %s, but its card could not be sent: %r",
                pending.filename,
                pending.user_id,
                exc,
            )

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
            return None, [*text_activities(note, self.bot.people.names), retry]
        await self.files.delete(pending.token)
        sent = t("Sent: `{name}`.", name=convert._str(info.get("name")) or pending.filename)
        return sent, [attachment_activity(cards.file_info(info))]

    async def _replace_card(self, turn: TurnContext, wire: dict[str, Any], note: str) -> bool:
        """Replace the consent card that was answered with a short note, so that it cannot be
        answered twice; False when there is no card to replace or Teams refused (or did not
        answer: the card stays, and the note is said instead where that matters)."""
        card_id = convert._str(wire.get("replyToId"))
        if not card_id:
            return False
        [activity, *_] = text_activities(note, self.bot.people.names)
        activity.id = card_id
        activity.attachments = []
        try:
            await turn.update_activity(activity)
        except Exception as exc:
            log.info("teams: consent card %s not replaced: %r", card_id, exc)
            return False
        return True

    async def _say(self, turn: TurnContext, text: str) -> None:
        await self.delivery.send(turn, text_activities(text, self.bot.people.names))
