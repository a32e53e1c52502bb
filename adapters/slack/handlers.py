"""The bolt app's listeners and the inbox's Slack work, built and registered in one place.

The listeners themselves live in `adapters.slack.listeners`, one module per concern. The
order below is the order bolt tries them in; the catch-all stays last. `work` maps each
kind of inbox entry the listeners keep to the code a worker runs for it, and to whom it
tells when the work is finally given up on.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp

from adapters.slack import blocks, convert
from adapters.slack.directory import Directory
from adapters.slack.intake import Intake, SlackWork
from adapters.slack.listeners import command
from adapters.slack.listeners.command import SlashCommand
from adapters.slack.listeners.events import ChannelEvents
from adapters.slack.listeners.forms import DraftForms
from adapters.slack.listeners.kit import Kit, metadata, user_of
from adapters.slack.listeners.setup import SetupModal
from adapters.slack.listeners.shortcut import RecordShortcut
from adapters.slack.retries import retry_handlers
from bot.engine import Engine
from bot.i18n import Translator
from bot.inbox import Classify, Handler

__all__ = ["Handlers", "retry_handlers"]  # retry_handlers: its home was here once


class Handlers:
    def __init__(
        self,
        engine: Engine,
        directory: Directory,
        command: str,
        intake: Intake,
        classify: Classify,
        session: aiohttp.ClientSession,
    ) -> None:
        kit = Kit(engine, directory, intake, classify, session)
        self.intake = intake
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

    def work(self) -> dict[str, Handler]:
        """The inbox's Slack kinds → what a worker runs for each."""
        i = self.intake
        return {
            "slack.command": SlackWork(i, self.slash.run, command_asker, command.given_up),
            "slack.reaction": SlackWork(i, self.events.reaction, reactor, reaction_given_up),
            "slack.message": SlackWork(i, self.events.message),
            "slack.member_joined": SlackWork(i, self.events.member_joined),
            "slack.home": SlackWork(i, self.events.home),
            "slack.record": SlackWork(i, self.shortcut.record_submit, record_submitter, submission_given_up),
            "slack.fields": SlackWork(i, self.forms.fields_submit, fields_submitter, submission_given_up),
        }


def command_asker(body: dict[str, Any]) -> tuple[str, str] | None:
    return str(body.get("channel_id") or ""), str(body.get("user_id") or "")


def reactor(body: dict[str, Any]) -> tuple[str, str] | None:
    facts = convert.reaction(body.get("event") or {})
    return (facts.channel_id, facts.user_id) if facts is not None else None


def record_submitter(body: dict[str, Any]) -> tuple[str, str] | None:
    return metadata(body.get("view") or {}).get("channel", ""), user_of(body)


def fields_submitter(body: dict[str, Any]) -> tuple[str, str] | None:
    return user_of(body), user_of(body)  # the private conversation with the person


def reaction_given_up(t: Translator, body: dict[str, Any], reason: str) -> str:
    emoji = str((body.get("event") or {}).get("reaction") or "")
    return t(
        "Your :{emoji}: reaction was not recorded: {reason}. Please remove it and add it again.",
        emoji=emoji,
        reason=reason,
    )


def submission_given_up(t: Translator, body: dict[str, Any], reason: str) -> str:
    return t("What you submitted was not recorded: {reason}. Please try again.", reason=reason)
