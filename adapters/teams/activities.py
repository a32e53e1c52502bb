"""The Bot Framework activities a reply, a card or a file offer is sent as."""

from __future__ import annotations

import re
from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from adapters.teams import cards
from adapters.teams.limits import split_text
from bot.events import Reply
from bot.i18n import translator
from bot.markup import to_markdown, to_plain

_NOT_IN_ONEDRIVE = re.compile(r'["*:<>?/\\|\x00-\x1f]')


def reply_activities(reply: Reply, names: dict[str, str]) -> list[Activity]:
    t = translator(reply.lang)
    card = cards.reply_card(reply, t, names)
    if card is not None:
        summary = to_plain(reply.text.split("\n", 1)[0], names)[:200]
        return [card_activity(card, summary)]
    return text_activities(reply.text, names)


def text_activities(text: str, names: dict[str, str]) -> list[Activity]:
    # Teams Markdown joins single newlines; a blank line keeps each of ours.
    chunks = split_text(to_markdown(text, names))
    return [
        Activity(type=ActivityTypes.message, text=c.replace("\n", "\n\n"), text_format="markdown")
        for c in chunks
    ]


def card_activity(content: dict[str, Any], summary: str = "") -> Activity:
    return Activity(
        type=ActivityTypes.message,
        summary=summary or None,
        attachments=[Attachment(content_type=cards.CONTENT_TYPE, content=content)],
    )


def attachment_activity(attachment: dict[str, Any]) -> Activity:
    """A message carrying one attachment given as JSON (a file consent or file info card)."""
    return Activity(
        type=ActivityTypes.message,
        attachments=[
            Attachment(
                content_type=attachment["contentType"],
                content=attachment.get("content"),
                content_url=attachment.get("contentUrl"),
                name=attachment.get("name"),
            )
        ],
    )


def onedrive_name(filename: str) -> str:
    """The file lands in the person's OneDrive, which refuses `" * : < > ? / \\ |` in a name
    (a chat without a name is exported under its id, `19:…@thread.v2`)."""
    stem, dot, extension = _NOT_IN_ONEDRIVE.sub("-", filename).strip(" .").rpartition(".")
    if not dot:
        stem, extension = extension, ""
    return (stem[:200] or "outputs-export") + dot + extension


def consent_activity(filename: str, data: bytes, description: str, token: str) -> Activity:
    return attachment_activity(cards.file_consent(filename, len(data), description or filename, token))
