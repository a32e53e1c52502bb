"""The setup modal's submission: the one listener that runs the engine before it acks,
because validation errors can only reach the modal inside the ack (`response_action:
errors`). A deadline keeps that well inside Slack's 3 seconds."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import convert
from adapters.slack.listeners.kit import Kit, metadata, user_of
from adapters.slack.outbox import Outbox
from bot.events import FormErrors, SetupSubmitted
from bot.i18n import translator

log = logging.getLogger(__name__)
SUBMIT_DEADLINE = 2.5  # seconds: Slack closes a modal's submission after 3


class SetupModal:
    def __init__(self, kit: Kit) -> None:
        self.kit = kit

    async def on_setup_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any
    ) -> None:
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        channel_id = metadata(view).get("channel", "")
        user_id = user_of(body)
        try:
            async with asyncio.timeout(SUBMIT_DEADLINE):
                channel, actor = await self.kit.facts(client, workspace, channel_id, user_id)
                event = SetupSubmitted(channel, actor, convert.form_values(view))
                outs = await self.kit.engine.handle(event, self.kit.gateway(client, workspace, context))
        except TimeoutError:
            t = translator(None)
            await ack(response_action="errors", errors={"purpose": t("That took too long. Try again.")})
            return
        except Exception as exc:  # the database is away: the modal stays open, nothing saved
            log.warning("setup submission failed: %s", type(exc).__name__)
            t = translator(None)
            text = t("Nothing was saved: I could not reach my database. Try again in a moment.")
            await ack(response_action="errors", errors={"purpose": text})
            return
        errors = [o for o in outs if isinstance(o, FormErrors)]
        if errors:
            await ack(response_action="errors", errors=errors[0].errors)
            return
        await ack()
        outbox = Outbox(
            client, workspace=workspace, channel_id=channel_id, user_id=user_id, lang=actor.locale
        )
        # The charter is saved; what is left is telling about it, inside the same window.
        await self.kit.at_once(outbox.send(outs), "setup replies")
