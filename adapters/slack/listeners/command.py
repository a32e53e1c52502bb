"""The slash command (`/outputs …` by default): every command the engine knows."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import convert
from adapters.slack.listeners.kit import Kit
from adapters.slack.outbox import Outbox, Respond
from bot.events import CommandInvoked


class SlashCommand:
    def __init__(self, kit: Kit, command: str) -> None:
        self.kit = kit
        self.command = command

    async def on_command(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await self.kit.work.spawn(self._command(body, context, self.kit.responder(body)), "command")

    async def _command(self, body: dict[str, Any], context: Any, respond: Respond | None) -> None:
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
