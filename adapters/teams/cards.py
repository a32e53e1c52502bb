"""Adaptive Cards 1.5 for Teams: charters, digests, forms and the capture dialog.

Pure functions from the engine's values (and its neutral markup) to card JSON. Every
sentence comes from the catalogues, most of them through the engine's own texts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from adapters.teams.limits import cap_card
from bot.charter import Charter
from bot.dialogs import CaptureDialog
from bot.digest import Digest
from bot.events import FormField, OpenForm, Reply
from bot.i18n import Translator
from bot.markup import to_markdown, to_plain

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"

# `data.outputs` on every action we render: how a submission finds its way back.
SETUP, FIELDS, CAPTURE = "setup", "fields", "capture"


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        out["actions"] = actions
    out["msteams"] = {"width": "Full"}
    return out


def attachment(content: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": content}


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _blocks(text: str, names: dict[str, str]) -> list[dict[str, Any]]:
    """Engine text → one TextBlock per line (Adaptive Cards Markdown has no line breaks)."""
    out = []
    for line in text.split("\n"):
        if line.strip():
            out.append(text_block(to_markdown(line, names), spacing="Small"))
    return out


def reply_card(reply: Reply, t: Translator, names: dict[str, str]) -> dict[str, Any] | None:
    """A card for replies that carry a structured view (a digest, a charter); else None."""
    if isinstance(reply.view, Digest):
        return digest_card(reply.text, t, names)
    if isinstance(reply.view, Charter):
        return charter_card(reply.text, names)
    return None


def digest_card(text: str, t: Translator, names: dict[str, str]) -> dict[str, Any]:
    head, _, rest = text.partition("\n")
    body = [text_block(to_markdown(head, names), size="Large", weight="Bolder", style="heading")]
    body += _blocks(rest, names)
    return cap_card(card(body), t("…and more: see `list` for everything."))


def charter_card(text: str, names: dict[str, str]) -> dict[str, Any]:
    head, _, rest = text.partition("\n")
    body = [text_block(to_markdown(head, names), size="Medium", weight="Bolder", style="heading")]
    return card(body + _blocks(rest, names))


def _input(f: FormField, error: str | None, input_id: str | None = None) -> list[dict[str, Any]]:
    item: dict[str, Any] = {
        "type": "Input.Text",
        "id": input_id or f.name,
        "label": f.label,
        "isRequired": f.required,
        "isMultiline": f.multiline,
        "value": f.value,
    }
    if f.hint:
        item["placeholder"] = f.hint
    out = [item]
    if error:
        item["errorMessage"] = error
        out.append(text_block(error, color="Attention", spacing="None", size="Small"))
    return out


def form_card(form: OpenForm, t: Translator, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """The setup form, or a draft's fields form; errors are shown beside their field."""
    errors = errors or {}
    body = [text_block(form.title, size="Medium", weight="Bolder", style="heading")]
    if errors:
        body.append(text_block(t("Please correct the fields below."), color="Attention"))
    for f in form.fields:
        body += _input(f, errors.get(f.name))
    kind = SETUP if form.deliverable_id is None else FIELDS
    data: dict[str, Any] = {"outputs": kind, "channel": form.channel_id}
    if form.deliverable_id is not None:
        data["deliverable"] = form.deliverable_id
    action = {"type": "Action.Execute", "verb": f"outputs.{kind}", "title": t("Save"), "data": data}
    return card(body, [action])


def capture_card(t: Translator, dialog: CaptureDialog, names: dict[str, str]) -> dict[str, Any]:
    """The task module of "Record as deliverable": every declared type with its fields,
    prefilled by the engine (an Adaptive Card cannot redraw itself when the type changes)."""
    body: list[dict[str, Any]] = [
        text_block(t("Record as deliverable"), size="Medium", weight="Bolder", style="heading"),
        text_block(to_plain(dialog.excerpt, names) or t("(no text)"), isSubtle=True, maxLines=4),
        {
            "type": "Input.ChoiceSet",
            "id": "type",
            "label": t("Type"),
            "isRequired": True,
            "style": "expanded",
            "value": dialog.chosen,
            "choices": [{"title": f"{label} ({key})", "value": key} for key, label in dialog.types],
            "errorMessage": t("Choose a type."),
        },
    ]
    for key, label in dialog.types:
        fields = dialog.fields(key)
        if not fields:
            continue
        body.append(text_block(t("Fields of {type}", type=label), weight="Bolder", separator=True))
        for f in fields:
            # optional here: only the chosen type's fields matter, and the card cannot tell which
            body += _input(replace(f, required=False), None, input_id=f"field:{key}:{f.name}")
    action = {"type": "Action.Submit", "title": t("Record"), "data": {"outputs": CAPTURE}}
    return card(body, [action])


def capture_values(data: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The chosen type and its fields from a submitted capture card."""
    type_key = str(data.get("type") or "").strip()
    prefix = f"field:{type_key}:"
    fields = {
        k[len(prefix) :]: str(v).strip()
        for k, v in data.items()
        if isinstance(k, str) and k.startswith(prefix) and isinstance(v, str | int | float)
    }
    return type_key, fields


def form_values(data: dict[str, Any], names: tuple[str, ...] | None = None) -> dict[str, str]:
    """Text inputs of a submitted form (the routing keys are left out)."""
    skip = {"outputs", "channel", "deliverable", "msteams"}
    return {
        k: str(v)
        for k, v in data.items()
        if k not in skip and isinstance(v, str | int | float) and (names is None or k in names)
    }


def task_message(text: str) -> dict[str, Any]:
    """A task module response that shows a short message and closes."""
    return {"task": {"type": "message", "value": text}}


def task_card(title: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"task": {"type": "continue", "value": {"title": title, "card": attachment(content)}}}


def card_response(content: dict[str, Any]) -> dict[str, Any]:
    """The answer to `adaptiveCard/action`: this card replaces the one that was submitted."""
    return {"statusCode": 200, "type": CONTENT_TYPE, "value": content}


def message_response(text: str) -> dict[str, Any]:
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


# --- files: Teams sends a bot's file only once the person accepts its consent card -----------

FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"


def file_consent(filename: str, size: int, description: str, token: str) -> dict[str, Any]:
    """The consent card (an attachment): both answers carry the pending file's token only."""
    context = {"token": token}
    return {
        "contentType": FILE_CONSENT,
        "name": filename,
        "content": {
            "description": description,
            "sizeInBytes": size,
            "acceptContext": context,
            "declineContext": dict(context),
        },
    }


def file_info(upload: dict[str, Any]) -> dict[str, Any]:
    """The card of an uploaded file, from the `uploadInfo` of the accepted consent."""
    return {
        "contentType": FILE_INFO,
        "contentUrl": upload.get("contentUrl"),
        "name": upload.get("name"),
        "content": {"uniqueId": upload.get("uniqueId"), "fileType": upload.get("fileType")},
    }
