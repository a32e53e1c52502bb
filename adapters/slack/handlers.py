"""Bolt listeners: acknowledge at once, then turn the payload into an engine event.

The bolt app runs with `process_before_response=True`, so each listener runs before the
HTTP answer: it acks first and hands the real work to a tracked task (`Work.spawn`), so the
answer never waits on the Web API or the database. The one exception is a setup modal's
submission, whose validation errors must travel in the ack itself (`response_action:
errors`); it runs the engine under a deadline well inside Slack's 3 seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from adapters.slack import blocks, convert
from adapters.slack.directory import Directory, SlackGateway
from adapters.slack.home import home_view
from adapters.slack.outbox import Outbox, Respond
from adapters.slack.work import Work
from bot.charter import Charter
from bot.deliverable import Via
from bot.engine import UNREAD, Engine, Unread
from bot.events import (
    Actor,
    BotJoined,
    CommandInvoked,
    Event,
    FieldsSubmitted,
    FormErrors,
    FormField,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    MessageTagged,
    OpenForm,
    ReactionAdded,
    ReactionRemoved,
    SetupSubmitted,
)
from bot.i18n import translator
from bot.ports import ChannelInfo, MessageSnapshot

log = logging.getLogger(__name__)
SUBMIT_DEADLINE = 2.5  # seconds: Slack closes a modal's submission after 3


def retry_handlers() -> list[Any]:
    """slack-sdk's own retries: dropped connections, and 429s after their Retry-After."""
    return [AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=3)]


class Seen:
    """Event ids already taken in by this process: a redelivery (X-Slack-Retry-Num) of one
    is acknowledged and dropped. Across processes the database's unique keys decide."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def first_time(self, event_id: str | None) -> bool:
        if not event_id:
            return True
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class Handlers:
    def __init__(
        self, engine: Engine, directory: Directory, command: str, work: Work, session: aiohttp.ClientSession
    ) -> None:
        self.session = session
        self.engine = engine
        self.repo = engine.repo
        self.directory = directory
        self.command = command
        self.work = work
        self.seen = Seen()

    def register(self, app: AsyncApp, revocation: bool) -> None:
        app.command(self.command)(self.on_command)
        app.event("reaction_added")(self.on_reaction)
        app.event("reaction_removed")(self.on_reaction)
        app.event("member_joined_channel")(self.on_member_joined)
        app.event("message")(self.on_message)
        app.event("app_home_opened")(self.on_home)
        app.message_shortcut(blocks.RECORD_SHORTCUT)(self.on_record_shortcut)
        app.block_action(blocks.RECORD_TYPE)(self.on_record_type)
        app.block_action(blocks.OPEN_FORM)(self.on_open_form)
        app.view_submission(blocks.SETUP_VIEW)(self.on_setup_submit)
        app.view_submission(blocks.FIELDS_VIEW)(self.on_fields_submit)
        app.view_submission(blocks.RECORD_VIEW)(self.on_record_submit)
        if revocation:
            app.enable_token_revocation_listeners()
        # Anything else Slack sends (events we did not subscribe to on purpose, new event
        # types) is acknowledged, so Slack neither retries it nor disables the subscription.
        app.event(re.compile(".*"))(self.on_other)

    # ---- helpers

    def _responder(self, body: dict[str, Any]) -> Respond | None:
        """Answers through the payload's response_url, on the shared HTTP session (bolt's own
        `respond` opens a new session, so a new connection, for every reply)."""
        url = body.get("response_url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return None
        hook = AsyncWebhookClient(url, session=self.session, retry_handlers=retry_handlers())

        async def respond(**payload: Any) -> None:
            answer = await hook.send_dict(payload)
            if answer.status_code != 200:
                raise RuntimeError(f"response_url answered {answer.status_code}")

        return respond

    def _gateway(self, client: AsyncWebClient, workspace: str, context: Any) -> SlackGateway:
        return SlackGateway(client, self.directory, workspace, context.get("bot_user_id"))

    async def _facts(
        self, client: AsyncWebClient, workspace: str, channel_id: str, user_id: str
    ) -> tuple[ChannelInfo, Actor]:
        channel, actor = await asyncio.gather(
            self.directory.channel(client, workspace, channel_id),
            self.directory.actor(client, workspace, user_id),
        )
        return channel, actor

    async def _run(
        self, event: Event, gateway: SlackGateway, outbox: Outbox, charter: Charter | None | Unread = UNREAD
    ) -> None:
        try:
            outs = await self.engine.handle(event, gateway, charter)
        except Exception:
            log.exception("engine failed on %s: workspace=%s", type(event).__name__, outbox.workspace)
            await outbox.ephemeral(
                outbox.user_id,
                outbox.channel_id,
                {"text": outbox.t("Something went wrong on my side. Try again in a moment.")},
            )
            return
        await outbox.send(outs)

    async def _charter(self, workspace: str, channel_id: str) -> Charter | None:
        return await self.repo.get_charter(convert.channel_key(workspace, channel_id))

    # ---- slash command

    async def on_command(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await self.work.spawn(self._command(body, context, self._responder(body)), "command")

    async def _command(self, body: dict[str, Any], context: Any, respond: Respond | None) -> None:
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        channel_id, user_id = str(body.get("channel_id") or ""), str(body.get("user_id") or "")
        channel, actor = await self._facts(client, workspace, channel_id, user_id)
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
        await self._run(event, self._gateway(client, workspace, context), outbox)

    # ---- events

    async def on_reaction(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if self.seen.first_time(body.get("event_id")):
            await self.work.spawn(self._reaction(body, event, context), "reaction")

    async def _reaction(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        facts = convert.reaction(event)
        if facts is None or facts.user_id == context.get("bot_user_id"):
            return
        workspace = convert.workspace_of(body)
        charter = await self._charter(workspace, facts.channel_id)
        # Most reactions mean nothing to us: no lookups unless the emoji tags a type here.
        if charter is None or charter.type_for_emoji(facts.emoji) is None:
            return
        client: AsyncWebClient = context.client
        channel, actor = await self._facts(client, workspace, facts.channel_id, facts.user_id)
        cls = ReactionAdded if event.get("type") == "reaction_added" else ReactionRemoved
        outbox = Outbox(
            client, workspace=workspace, channel_id=facts.channel_id, user_id=facts.user_id, lang=actor.locale
        )
        await self._run(
            cls(channel, actor, facts.message_ts, facts.emoji),
            self._gateway(client, workspace, context),
            outbox,
            charter,  # read just above: the engine need not read it again
        )

    async def on_member_joined(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if self.seen.first_time(body.get("event_id")):
            await self.work.spawn(self._member_joined(body, event, context), "member_joined_channel")

    async def _member_joined(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        facts = convert.joined(event)
        if facts is None:
            return
        channel_id, user_id = facts
        workspace = convert.workspace_of(body)
        client: AsyncWebClient = context.client
        is_bot = user_id == context.get("bot_user_id")
        charter: Charter | None | Unread = UNREAD
        if not is_bot:
            charter = await self._charter(workspace, channel_id)
            if charter is None:
                return  # rule 9 needs a charter to show; nothing to look up
        channel, actor = await self._facts(client, workspace, channel_id, user_id)
        outbox = Outbox(
            client, workspace=workspace, channel_id=channel_id, user_id=user_id, lang=actor.locale
        )
        joined: Event = BotJoined(channel) if is_bot else MemberJoined(channel, actor)
        await self._run(joined, self._gateway(client, workspace, context), outbox, charter)

    async def on_message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        # Every message in every channel arrives here; only edits and deletions matter.
        if event.get("subtype") in ("message_changed", "message_deleted"):
            await self.work.spawn(self._message(body, event, context), str(event.get("subtype")))

    async def _message(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        workspace = convert.workspace_of(body)
        if event.get("subtype") == "message_changed":
            edit = convert.edited(event)
            if edit is None:
                return
            channel_id, message_id = edit.channel_id, str(edit.message["ts"])
        else:
            gone = convert.deleted(event)
            if gone is None:
                return
            channel_id, message_id = gone
        key = convert.channel_key(workspace, channel_id)
        if not await self.repo.by_message(key, message_id):
            return  # not a deliverable: nothing to follow
        client: AsyncWebClient = context.client
        channel = await self.directory.channel(client, workspace, channel_id)
        followed: Event
        if edit_facts := (convert.edited(event) if event.get("subtype") == "message_changed" else None):
            followed = MessageEdited(
                channel, convert.snapshot(edit_facts.message, None, context.get("bot_user_id"))
            )
        else:
            followed = MessageDeleted(channel, message_id)
        outbox = Outbox(client, workspace=workspace, channel_id=channel_id, user_id="", lang=None)
        await self._run(followed, self._gateway(client, workspace, context), outbox)

    async def on_home(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            await self.work.spawn(self._home(body, str(event["user"]), context), "app_home_opened")

    async def _home(self, body: dict[str, Any], user_id: str, context: Any) -> None:
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        actor = await self.directory.actor(client, workspace, user_id)
        view = await home_view(self.engine.services, translator(actor.locale), workspace, user_id)
        await client.views_publish(user_id=user_id, view=view)

    async def on_other(self, body: dict[str, Any]) -> None:
        log.debug("ignored event type %s", (body.get("event") or {}).get("type"))

    # ---- message shortcut "Record as deliverable"

    async def on_record_shortcut(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await self.work.spawn(self._record_shortcut(body, context, self._responder(body)), "message shortcut")

    async def _record_shortcut(self, body: dict[str, Any], context: Any, respond: Respond | None) -> None:
        facts = convert.shortcut(body)
        if facts is None:
            return
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        charter = await self._charter(workspace, facts.channel_id)
        channel, actor = await self._facts(client, workspace, facts.channel_id, facts.user_id)
        message = convert.snapshot(facts.message, None, context.get("bot_user_id"))
        if charter is None or not charter.types or message.is_bot:
            # The engine says why (no charter, no types declared, a bot message).
            outbox = Outbox(
                client,
                workspace=workspace,
                channel_id=facts.channel_id,
                user_id=facts.user_id,
                lang=actor.locale,
                respond=respond,
            )
            await self._run(
                MessageTagged(channel, actor, message, "", {}, Via.SHORTCUT),
                self._gateway(client, workspace, context),
                outbox,
            )
            return
        t = translator(actor.locale)
        chosen = charter.types[0].key
        metadata = {"channel": facts.channel_id, "ts": message.message_id}
        view = _record_view(t, charter, chosen, metadata, message.text)
        await client.views_open(trigger_id=facts.trigger_id, view=view)

    async def on_record_type(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await self.work.spawn(self._record_type(body, context), "record type change")

    async def _record_type(self, body: dict[str, Any], context: Any) -> None:
        view = body.get("view") or {}
        metadata = _metadata(view)
        action = (body.get("actions") or [{}])[0]
        chosen = str((action.get("selected_option") or {}).get("value") or "")
        workspace = convert.workspace_of(body)
        charter = await self._charter(workspace, metadata.get("channel", ""))
        if charter is None or charter.type(chosen) is None:
            return
        client: AsyncWebClient = context.client
        actor = await self.directory.actor(client, workspace, str((body.get("user") or {}).get("id") or ""))
        excerpt = next(
            (
                e.get("text", "")
                for b in view.get("blocks", [])
                if b.get("type") == "context"
                for e in b.get("elements", [])
            ),
            "",
        )
        new = _record_view(translator(actor.locale), charter, chosen, metadata, excerpt)
        await client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=new)

    async def on_record_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any
    ) -> None:
        await ack()
        await self.work.spawn(self._record_submit(body, view, context), "record submission")

    async def _record_submit(self, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        metadata = _metadata(view)
        values = convert.form_values(view)
        type_key = values.pop("type", "") or metadata.get("type", "")
        channel_id, ts = metadata.get("channel", ""), metadata.get("ts", "")
        user_id = str((body.get("user") or {}).get("id") or "")
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        channel, actor = await self._facts(client, workspace, channel_id, user_id)
        gateway = self._gateway(client, workspace, context)
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
        await self._run(
            MessageTagged(channel, actor, message, type_key, fields, Via.SHORTCUT), gateway, outbox
        )

    # ---- draft forms

    async def on_open_form(self, ack: Any, body: dict[str, Any], context: Any) -> None:
        await ack()
        await self.work.spawn(self._open_form(body, context), "open form")

    async def _open_form(self, body: dict[str, Any], context: Any) -> None:
        action = (body.get("actions") or [{}])[0]
        value = str(action.get("value") or "")
        workspace = convert.workspace_of(body)
        client: AsyncWebClient = context.client
        user_id = str((body.get("user") or {}).get("id") or "")
        actor = await self.directory.actor(client, workspace, user_id)
        t = translator(actor.locale)
        d = await self.repo.get_deliverable(int(value)) if value.isdigit() else None
        charter = await self.repo.get_charter(d.channel) if d is not None else None
        ot = charter.type(d.type) if charter is not None and d is not None else None
        if d is None or ot is None or d.channel.workspace_id != workspace:
            await client.chat_postMessage(channel=user_id, text=t("There is no deliverable #{id}.", id=value))
            return
        fields = tuple(FormField(f.name, f.shown, f.required, d.fields.get(f.name, "")) for f in ot.fields)
        form = OpenForm(
            user_id,
            d.channel.channel_id,
            t("Complete {type} #{id}", type=ot.label, id=d.id),
            fields,
            d.id,
            t.lang,
        )
        await client.views_open(
            trigger_id=body.get("trigger_id"), view=blocks.form_view(form, blocks.FIELDS_VIEW, {"id": value})
        )

    async def on_fields_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any
    ) -> None:
        await ack()
        await self.work.spawn(self._fields_submit(body, view, context), "fields submission")

    async def _fields_submit(self, body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        value = _metadata(view).get("id", "")
        if not value.isdigit():
            return
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        user_id = str((body.get("user") or {}).get("id") or "")
        d = await self.repo.get_deliverable(int(value))
        if d is None or d.channel.workspace_id != workspace:
            return
        actor = await self.directory.actor(client, workspace, user_id)
        outbox = Outbox(
            client, workspace=workspace, channel_id=d.channel.channel_id, user_id=user_id, lang=actor.locale
        )
        event = FieldsSubmitted(actor, int(value), convert.form_values(view))
        await self._run(event, self._gateway(client, workspace, context), outbox)

    # ---- setup modal

    async def on_setup_submit(
        self, ack: Any, body: dict[str, Any], view: dict[str, Any], context: Any
    ) -> None:
        client: AsyncWebClient = context.client
        workspace = convert.workspace_of(body)
        channel_id = _metadata(view).get("channel", "")
        user_id = str((body.get("user") or {}).get("id") or "")
        try:
            async with asyncio.timeout(SUBMIT_DEADLINE):
                channel, actor = await self._facts(client, workspace, channel_id, user_id)
                event = SetupSubmitted(channel, actor, convert.form_values(view))
                outs = await self.engine.handle(event, self._gateway(client, workspace, context))
        except TimeoutError:
            t = translator(None)
            await ack(response_action="errors", errors={"purpose": t("That took too long. Try again.")})
            return
        errors = [o for o in outs if isinstance(o, FormErrors)]
        if errors:
            await ack(response_action="errors", errors=errors[0].errors)
            return
        await ack()
        outbox = Outbox(
            client, workspace=workspace, channel_id=channel_id, user_id=user_id, lang=actor.locale
        )
        await self.work.spawn(outbox.send(outs), "setup replies")


def _metadata(view: dict[str, Any]) -> dict[str, str]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _record_view(
    t: Any, charter: Charter, chosen: str, metadata: dict[str, str], text: str
) -> dict[str, Any]:
    ot = charter.type(chosen) or charter.types[0]
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    fields = [
        FormField(f.name, f.shown, f.required, first_line if f.name == "title" else "") for f in ot.fields
    ]
    excerpt = text if len(text) <= 300 else text[:299] + "…"
    return blocks.record_view(t, [(x.key, x.label) for x in charter.types], ot.key, fields, metadata, excerpt)
