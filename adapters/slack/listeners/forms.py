"""A draft's form: the button that opens it (in the private message about the draft; the
modal opens inside the request, its trigger lasting 3 seconds) and its submission, which
completes the draft (kept in the inbox)."""

from __future__ import annotations

from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks, convert
from adapters.slack.listeners.kit import Kit, metadata, user_of
from adapters.slack.outbox import Outbox
from bot.events import FieldsSubmitted


class DraftForms:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    async def on_open_form(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await self.kit.at_once(self._open_form(body, context), "open form")

    async def _open_form(self, body: dict[str, Any], context: Any) -> None:
        action = (body.get("actions") or [{}])[0]
        value = str(action.get("value") or "")
        workspace = convert.workspace_of(body)
        client: AsyncWebClient = context.client
        user_id = user_of(body)
        actor = await self.kit.person(client, workspace, user_id)
        form = await self.kit.engine.draft_form(convert.PLATFORM, workspace, actor, value)
        if isinstance(form, str):
            await client.chat_postMessage(channel=user_id, text=form)
            return
        await client.views_open(
            trigger_id=body.get("trigger_id"), view=blocks.form_view(form, blocks.FIELDS_VIEW, {"id": value})
        )

    async def on_fields_submit(
        self, ack: Any, body: dict[str, Any], context: Any, request: AsyncBoltRequest
    ) -> BoltResponse | None:
        return await self.kit.keep_event("slack.fields", request, body, context, None, ack)

    async def fields_submit(self, body: dict[str, Any], context: Any) -> None:
        view = body.get("view") or {}
        value = metadata(view).get("id", "")
        if not value.isdigit():
            return
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        user_id = user_of(body)
        d = await self.kit.repo.get_deliverable(int(value))
        if d is None or d.channel.workspace_id != workspace:
            return
        actor = await self.kit.person(client, workspace, user_id)
        outbox = Outbox(
            client, workspace=workspace, channel_id=d.channel.channel_id, user_id=user_id, lang=actor.locale
        )
        event = FieldsSubmitted(actor, int(value), convert.form_values(view))
        await self.kit.run(event, self.kit.gateway(client, workspace, context), outbox)
