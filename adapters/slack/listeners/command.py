"""The slash command (`/outputs …` by default): every command the engine knows.

Kept in the inbox before the ack; the owners' commands in order per channel, so that the
commands about one charter apply one after the other (bot.commands.ordering). Slack never
retries a command: when it cannot be kept, the ack itself tells the person that nothing
was recorded."""

from __future__ import annotations

from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import convert
from adapters.slack.intake import charter_key
from adapters.slack.listeners.kit import Kit
from adapters.slack.outbox import Outbox
from bot.commands.ordering import changes_charter
from bot.events import CommandInvoked
from bot.i18n import Translator, translator
from bot.inbox import InboxUnavailable


class SlashCommand:
    def __init__(self, kit: Kit, command: str) -> None:
        self.kit = kit
        self.command = command

    async def on_command(
        self, ack: Any, body: dict[str, Any], context: Any, request: AsyncBoltRequest
    ) -> None:
        text = convert.command_text(body)
        channel_id = str(body.get("channel_id") or "")
        order = charter_key(convert.workspace_of(body), channel_id) if changes_charter(text) else None
        try:
            await self.kit.intake.keep("slack.command", request, body, context, order)
        except InboxUnavailable:
            t = translator(None)  # who asks is not known yet (users.info comes later)
            await ack(response_type="ephemeral", text=not_kept(t, body))
            return
        await ack()

    async def run(self, body: dict[str, Any], context: Any) -> None:
        respond = self.kit.responder(body)
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        channel_id, user_id = str(body.get("channel_id") or ""), str(body.get("user_id") or "")
        channel, actor = await self.kit.facts(client, workspace, channel_id, user_id)
        if not channel.name and body.get("channel_name") not in (None, "", "directmessage", "privategroup"):
            channel = channel.model_copy(update={"name": str(body["channel_name"])})
        event = CommandInvoked(channel, actor, convert.command_text(body), self.command)
        outbox = Outbox(
            client,
            workspace=workspace,
            channel_id=channel_id,
            user_id=user_id,
            lang=actor.locale,
            respond=respond,
            trigger_id=body.get("trigger_id"),
        )
        await self.kit.run(event, self.kit.gateway(client, workspace, context), outbox)


def not_kept(t: Translator, body: dict[str, Any]) -> str:
    return t(
        "Nothing was recorded for `{command}`: I could not save it just now. Please try again in a moment.",
        command=f"{body.get('command') or ''} {convert.command_text(body)}".strip(),
    )


def given_up(t: Translator, body: dict[str, Any], reason: str) -> str:
    return t(
        "Nothing was recorded for `{command}`: {reason}. Please try again.",
        command=f"{body.get('command') or ''} {convert.command_text(body)}".strip(),
        reason=reason,
    )
