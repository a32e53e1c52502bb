"""The engine's outbound list → Slack calls, for one event.

Ephemeral replies go through the event's `response_url` when it has one (commands,
shortcuts, buttons: it works even where the bot is not a member), else `chat.postEphemeral`,
falling back to a private message. Forms open as modals when Slack gave a trigger; a
draft's form is a private message with a button. A failed call is logged with its context
and reported to the person waiting; nothing here raises.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import blocks
from adapters.slack.directory import api_error
from bot.events import Audience, FormErrors, OpenForm, Outbound, Reply, SendFile
from bot.i18n import Translator, translator

log = logging.getLogger(__name__)
Respond = Callable[..., Awaitable[Any]]

GONE = {"invalid_auth", "token_revoked", "account_inactive", "not_authed", "team_access_not_granted"}


def problem(t: Translator, code: str) -> str:
    """What a Web API error means for the person who asked, in their language."""
    if code == "not_in_channel":
        return t("I am not a member of that channel. Invite me with `/invite @Outputs`, then try again.")
    if code == "channel_not_found":
        return t("That channel does not exist, or I cannot see it.")
    if code == "is_archived":
        return t("That channel is archived.")
    if code in GONE:
        return t("Outputs is no longer connected to this workspace: an admin must reinstall it.")
    if code == "ratelimited":
        return t("Slack is rate-limiting me right now. Try again in a minute.")
    return t("Slack refused the request ({error}).", error=code)


class Outbox:
    def __init__(
        self,
        client: AsyncWebClient,
        *,
        workspace: str,
        channel_id: str,
        user_id: str,
        lang: str | None,
        respond: Respond | None = None,
        trigger_id: str | None = None,
    ) -> None:
        self.client = client
        self.workspace = workspace
        self.channel_id = channel_id
        self.user_id = user_id
        self.t = translator(lang)
        self.respond = respond
        self.trigger_id = trigger_id
        self.posted: list[str] = []  # ts of channel posts, for callers that need them

    async def send(self, outs: list[Outbound]) -> None:
        for out in outs:
            try:
                await self._one(out)
            except Exception as exc:  # never lose the rest of the list to one failure
                log.exception(
                    "sending %s failed: workspace=%s error=%s", type(out).__name__, self.workspace, exc
                )

    async def _one(self, out: Outbound) -> None:
        match out:
            case Reply(audience=Audience.EPHEMERAL):
                await self.ephemeral(out.user_id or self.user_id, out.channel_id, blocks.message(out))
            case Reply(audience=Audience.DIRECT):
                await self.direct(out.user_id or self.user_id, blocks.message(out))
            case Reply():
                await self.channel_post(out)
            case OpenForm(deliverable_id=None):
                await self.open_setup(out)
            case OpenForm():
                await self.direct(out.user_id, blocks.draft_message(out))
            case SendFile():
                await self.send_file(out)
            case FormErrors():
                lines = [f"• {name}: {message}" for name, message in out.errors.items()]
                await self.ephemeral(out.user_id, self.channel_id, {"text": "\n".join(lines)})

    async def ephemeral(self, user_id: str, channel_id: str, payload: dict[str, Any]) -> None:
        if self.respond is not None and channel_id == self.channel_id and user_id == self.user_id:
            try:
                await self.respond(response_type="ephemeral", replace_original=False, **payload)
                return
            except Exception as exc:
                log.warning("response_url failed: channel=%s error=%s", channel_id, api_error(exc))
        try:
            await self.client.chat_postEphemeral(channel=channel_id, user=user_id, **payload)
        except Exception as exc:
            # not_in_channel, channel_not_found (a DM with someone else)…: say it privately
            log.info(
                "chat.postEphemeral failed, sending privately: channel=%s error=%s",
                channel_id,
                api_error(exc),
            )
            await self.direct(user_id, payload)

    async def direct(self, user_id: str, payload: dict[str, Any]) -> str | None:
        try:
            resp = await self.client.chat_postMessage(channel=user_id, **payload)
        except Exception as exc:
            log.warning(
                "private message failed: user=%s workspace=%s error=%s",
                user_id,
                self.workspace,
                api_error(exc),
            )
            return None
        return str(resp.get("ts") or "")

    async def channel_post(self, reply: Reply) -> None:
        try:
            resp = await self.client.chat_postMessage(channel=reply.channel_id, **blocks.message(reply))
            self.posted.append(str(resp.get("ts") or ""))
        except Exception as exc:
            code = api_error(exc)
            log.warning(
                "chat.postMessage failed: channel=%s workspace=%s kind=%s error=%s",
                reply.channel_id,
                self.workspace,
                reply.kind,
                code,
            )
            if self.user_id:
                where = f"<#{reply.channel_id}>"
                text = self.t(
                    "I could not post in {channel}: {problem}", channel=where, problem=problem(self.t, code)
                )
                await self.ephemeral(self.user_id, self.channel_id, {"text": text})

    async def open_setup(self, form: OpenForm) -> None:
        if self.trigger_id:
            view = blocks.form_view(form, blocks.SETUP_VIEW, {"channel": form.channel_id})
            try:
                await self.client.views_open(trigger_id=self.trigger_id, view=view)
                self.trigger_id = None  # a trigger opens one view
                return
            except Exception as exc:
                log.warning("views.open failed: channel=%s error=%s", form.channel_id, api_error(exc))
        t = translator(form.lang)
        await self.ephemeral(
            form.user_id,
            form.channel_id,
            blocks.message(
                Reply(Audience.EPHEMERAL, form.channel_id, form.text or form.title, form.user_id, lang=t.lang)
            ),
        )

    async def send_file(self, out: SendFile) -> None:
        try:
            opened = await self.client.conversations_open(users=out.user_id)
            dm = (opened.get("channel") or {}).get("id")
            await self.client.files_upload_v2(
                channel=dm,
                content=out.content,
                filename=out.filename,
                title=out.filename,
                initial_comment=out.text or None,
            )
        except Exception as exc:
            code = api_error(exc)
            log.warning(
                "file upload failed: user=%s workspace=%s error=%s", out.user_id, self.workspace, code
            )
            text = self.t("I could not send the file: {problem}", problem=problem(self.t, code))
            await self.ephemeral(out.user_id, out.channel_id, {"text": text})
