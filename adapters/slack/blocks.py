"""Engine replies and forms → Block Kit, within Slack's limits.

Engine text already uses Slack's markup (`<@U1>`, `<url|label>`, `*bold*`, escaped user
text), so it goes into `mrkdwn` sections as it is. Slack allows 50 blocks per message and
3,000 characters per section text: longer text is split at line ends (never inside a
`<…>` token or an `&…;` escape) and, past 50 blocks, capped with a count of what was left out.
"""

from __future__ import annotations

import json
from typing import Any

from bot.events import FormField, OpenForm, Reply
from bot.i18n import Translator, translator

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FALLBACK = 3000
MAX_TITLE = 24
MAX_LABEL = 2000
MAX_INPUT = 3000
MAX_BUTTON = 75
MAX_METADATA = 3000

# callback and action ids; the manifest names RECORD_SHORTCUT
RECORD_SHORTCUT = "outputs_record"
SETUP_VIEW = "outputs_setup"
FIELDS_VIEW = "outputs_fields"
RECORD_VIEW = "outputs_record_view"
OPEN_FORM = "outputs_open_form"
RECORD_TYPE = "outputs_record_type"
VALUE = "value"

Block = dict[str, Any]


def _safe_cut(text: str, limit: int) -> int:
    """Where to cut `text` (len > limit) so that no `<…>` token or `&…;` escape is split."""
    cut = limit
    space = text.rfind(" ", 0, cut)
    if space > limit // 2:
        cut = space
    opened = text.rfind("<", 0, cut)
    if opened > text.rfind(">", 0, cut):
        cut = opened
    amp = text.rfind("&", 0, cut)
    if amp != -1 and ";" not in text[amp:cut] and cut - amp < 8:
        cut = amp
    return cut if cut > 0 else limit


def split_text(text: str, limit: int = MAX_SECTION) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            cut = _safe_cut(line, limit)
            pieces.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def plain(text: str, limit: int) -> dict[str, Any]:
    text = text.strip() or "…"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def text_blocks(text: str, t: Translator, reserve: int = 0) -> list[Block]:
    """Sections for `text`, one per paragraph (split further when long), at most 50 in all."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        pieces += split_text(paragraph)
    room = MAX_BLOCKS - reserve
    if len(pieces) <= room:
        return [section(p) for p in pieces]
    shown, left = pieces[: room - 1], len(pieces) - (room - 1)
    note = t.n("…{count} more part was left out.", "…{count} more parts were left out.", left)
    return [section(p) for p in shown] + [{"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}]


def fallback(text: str) -> str:
    """The `text` that goes with blocks (notifications, screen readers): capped."""
    if len(text) <= MAX_FALLBACK:
        return text
    return text[: _safe_cut(text, MAX_FALLBACK - 1)] + "…"


def message(reply: Reply) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage / chat.postEphemeral / response_url."""
    t = translator(reply.lang)
    return {"text": fallback(reply.text), "blocks": text_blocks(reply.text, t)}


def _input(f: FormField) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": VALUE,
        "multiline": f.multiline,
        "max_length": MAX_INPUT,
    }
    if f.value:
        element["initial_value"] = f.value[:MAX_INPUT]
    block: Block = {
        "type": "input",
        "block_id": f.name,
        "label": plain(f.label or f.name, MAX_LABEL),
        "element": element,
        "optional": not f.required,
    }
    if f.hint:
        block["hint"] = plain(f.hint, MAX_LABEL)
    return block


def form_view(form: OpenForm, callback_id: str, metadata: dict[str, str]) -> dict[str, Any]:
    """The modal for an engine form: one input per field, block id = field name."""
    t = translator(form.lang)
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": json.dumps(metadata)[:MAX_METADATA],
        "title": plain(form.title, MAX_TITLE),
        "submit": plain(t("Save"), MAX_TITLE),
        "close": plain(t("Cancel"), MAX_TITLE),
        "blocks": [_input(f) for f in form.fields][: MAX_BLOCKS * 2],
    }


def draft_message(form: OpenForm) -> dict[str, Any]:
    """The private message about a draft, with the button that opens its form."""
    t = translator(form.lang)
    button = {
        "type": "button",
        "action_id": OPEN_FORM,
        "value": str(form.deliverable_id),
        "style": "primary",
        "text": plain(t("Complete the form"), MAX_BUTTON),
    }
    blocks = text_blocks(form.text or form.title, t, reserve=1)
    return {
        "text": fallback(form.text or form.title),
        "blocks": [*blocks, {"type": "actions", "elements": [button]}],
    }


def record_view(
    t: Translator,
    types: list[tuple[str, str]],
    chosen: str,
    fields: list[FormField],
    metadata: dict[str, str],
    excerpt: str,
) -> dict[str, Any]:
    """The "Record as deliverable" modal: the type (changing it redraws the fields), the
    message it records, and the chosen type's fields."""
    options = [{"text": plain(label, 75), "value": key} for key, label in types][:100]
    initial = next((o for o in options if o["value"] == chosen), options[0])
    blocks: list[Block] = [
        {
            "type": "section",
            "block_id": "type",
            "text": {"type": "mrkdwn", "text": "*" + t("Output type") + "*"},
            "accessory": {
                "type": "static_select",
                "action_id": RECORD_TYPE,
                "options": options,
                "initial_option": initial,
            },
        },
    ]
    if excerpt:
        blocks.append({"type": "context", "elements": [{"type": "plain_text", "text": excerpt[:MAX_INPUT]}]})
    blocks += [_input(f) for f in fields]
    return {
        "type": "modal",
        "callback_id": RECORD_VIEW,
        "private_metadata": json.dumps({**metadata, "type": chosen})[:MAX_METADATA],
        "title": plain(t("New deliverable"), MAX_TITLE),
        "submit": plain(t("Record"), MAX_TITLE),
        "close": plain(t("Cancel"), MAX_TITLE),
        "blocks": blocks[: MAX_BLOCKS * 2],
    }
