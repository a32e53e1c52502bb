"""The bolt app's listeners, built and registered in one place.

The listeners themselves live in `adapters.slack.listeners`, one module per concern (its
docstring says why they ack first and queue their work). The order below is the order bolt
tries them in; the catch-all stays last.
"""

from __future__ import annotations

import re

import aiohttp
from slack_bolt.async_app import AsyncApp

from adapters.slack import blocks
from adapters.slack.directory import Directory
from adapters.slack.listeners.command import SlashCommand
from adapters.slack.listeners.events import ChannelEvents
from adapters.slack.listeners.forms import DraftForms
from adapters.slack.listeners.kit import Kit
from adapters.slack.listeners.setup import SetupModal
from adapters.slack.listeners.shortcut import RecordShortcut
from adapters.slack.retries import retry_handlers
from adapters.slack.work import Work
from bot.engine import Engine

__all__ = ["Handlers", "retry_handlers"]  # retry_handlers: its home was here once


class Handlers:
    def __init__(
        self, engine: Engine, directory: Directory, command: str, work: Work, session: aiohttp.ClientSession
    ) -> None:
        kit = Kit(engine, directory, work, session)
        self.command = command
        self.slash = SlashCommand(kit, command)
        self.events = ChannelEvents(kit)
        self.shortcut = RecordShortcut(kit)
        self.forms = DraftForms(kit)
        self.setup = SetupModal(kit)

    def register(self, app: AsyncApp, revocation: bool) -> None:
        app.command(self.command)(self.slash.on_command)
        app.event("reaction_added")(self.events.on_reaction)
        app.event("reaction_removed")(self.events.on_reaction)
        app.event("member_joined_channel")(self.events.on_member_joined)
        app.event("message")(self.events.on_message)
        app.event("app_home_opened")(self.events.on_home)
        app.message_shortcut(blocks.RECORD_SHORTCUT)(self.shortcut.on_record_shortcut)
        app.block_action(blocks.RECORD_TYPE)(self.shortcut.on_record_type)
        app.block_action(blocks.OPEN_FORM)(self.forms.on_open_form)
        app.view_submission(blocks.SETUP_VIEW)(self.setup.on_setup_submit)
        app.view_submission(blocks.FIELDS_VIEW)(self.forms.on_fields_submit)
        app.view_submission(blocks.RECORD_VIEW)(self.shortcut.on_record_submit)
        if revocation:
            app.enable_token_revocation_listeners()
        # Anything else Slack sends (events we did not subscribe to on purpose, new event
        # types) is acknowledged, so Slack neither retries it nor disables the subscription.
        app.event(re.compile(".*"))(self.events.on_other)
