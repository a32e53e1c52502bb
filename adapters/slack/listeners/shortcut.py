"""The "Record as deliverable" message shortcut: its modal (type picker and fields), the
picker changing the fields, and the submission that records the message.

The modal opens and changes inside the request (its trigger lasts 3 seconds); the
submission is kept in the inbox, in order with the other events about the message."""

from __future__ import annotations

from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, convert
from adapters.slack.intake import message_key
from adapters.slack.listeners.kit import Kit, metadata, user_of
from adapters.slack.outbox import Outbox, Respond
from bot.deliverable import Via
from bot.dialogs import CaptureDialog
from bot.events import MessageTagged
from bot.i18n import translator
from bot.ports import MessageSnapshot


class RecordShortcut:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    async def on_record_shortcut(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await self.kit.at_once(
            self._record_shortcut(body, context, self.kit.responder(body)), "message shortcut"
        )

    async def _record_shortcut(self, body: dict[str, Any], context: Any, respond: Respond | None) -> None:
        facts = convert.shortcut(body)
        if facts is None:
            return
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        channel, actor = await self.kit.facts(client, workspace, facts.channel_id, facts.user_id)
        message = convert.snapshot(facts.message, None, context.get("bot_user_id"))
        dialog = await self.kit.engine.capture_dialog(channel, actor, message)
        if isinstance(dialog, str):
            outbox = Outbox(
                client,
                workspace=workspace,
                channel_id=facts.channel_id,
                user_id=facts.user_id,
                lang=actor.locale,
                respond=respond,
            )
            await outbox.ephemeral(facts.user_id, facts.channel_id, {"text": dialog})
            return
        private = {"channel": facts.channel_id, "ts": message.message_id}
        await client.views_open(trigger_id=facts.trigger_id, view=record_view(dialog, private))

    async def on_record_type(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await self.kit.at_once(self._record_type(body, context), "record type change")

    async def _record_type(self, body: dict[str, Any], context: Any) -> None:
        view = body.get("view") or {}
        private = metadata(view)
        action = (body.get("actions") or [{}])[0]
        chosen = str((action.get("selected_option") or {}).get("value") or "")
        workspace = convert.workspace_of(body)
        charter = await self.kit.charter(workspace, private.get("channel", ""))
        if charter is None or not charter.types:
            return
        client: AsyncWebClient = context.client
        actor = await self.kit.person(client, workspace, user_of(body))
        excerpt = next(
            (
                e.get("text", "")
                for b in view.get("blocks", [])
                if b.get("type") == "context"
                for e in b.get("elements", [])
            ),
            "",
        )
        quoted = MessageSnapshot(message_id=private.get("ts", ""), text=excerpt, author_id=None)
        dialog = CaptureDialog(charter, quoted, charter.types[0].key, actor.locale or "en").choose(chosen)
        if dialog is None:
            return
        await client.views_update(
            view_id=view.get("id"), hash=view.get("hash"), view=record_view(dialog, private)
        )

    async def on_record_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any, request: AsyncBoltRequest
    ) -> BoltResponse | None:
        private = metadata(view)
        order = message_key(convert.workspace_of(body), private.get("channel", ""), private.get("ts", ""))
        return await self.kit.keep_event("slack.record", request, body, context, order, ack)

    async def record_submit(self, body: dict[str, Any], context: Any) -> None:
        view = body.get("view") or {}
        private = metadata(view)
        values = convert.form_values(view)
        type_key = values.pop("type", "") or private.get("type", "")
        channel_id, ts = private.get("channel", ""), private.get("ts", "")
        user_id = user_of(body)
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        channel, actor = await self.kit.facts(client, workspace, channel_id, user_id)
        gateway = self.kit.gateway(client, workspace, context)
        outbox = Outbox(
            client, workspace=workspace, channel_id=channel_id, user_id=user_id, lang=actor.locale
        )
        # What is recorded is the message as it is now, read again at submission.
        message: MessageSnapshot | None = await gateway.fetch_message(channel.key, ts)
        if message is None:
            t = translator(actor.locale)
            text = t("I could not read that message, so it was not recorded. Try again in a moment.")
            await outbox.ephemeral(user_id, channel_id, {"text": text})
            return
        fields = {k: v for k, v in values.items() if v}
        await self.kit.run(
            MessageTagged(channel, actor, message, type_key, fields, Via.SHORTCUT), gateway, outbox
        )


def record_view(dialog: CaptureDialog, private: dict[str, str]) -> dict[str, Any]:
    """The modal of `dialog`, showing its chosen type's fields (prefilled by the engine)."""
    t = translator(dialog.lang)
    return blocks.record_view(
        t, list(dialog.types), dialog.chosen, list(dialog.fields()), private, dialog.excerpt
    )
