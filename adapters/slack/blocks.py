"""Engine replies and forms → Block Kit, within Slack's limits.

Engine text already uses Slack's markup (`<@U1>`, `<url|label>`, `*bold*`, escaped user
text), so it goes into `mrkdwn` sections as it is. Slack allows 50 blocks per message and
3,000 characters per section text: longer text is split at line ends (never inside a
`<…>` token or an `&…;` escape) and, past 50 blocks, capped with a count of what was left out.

A reply that carries a digest or a charter (`Reply.view`) gets a layout: a header from the
text's first line, then the parts of the text with dividers between them. The parts are cut
from the text itself, as bot.render writes it, so every word stays the translated one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.charter import Charter
from bot.digest import Digest
from bot.events import FormField, OpenForm, Reply
from bot.i18n import Translator, translator
from bot.markup import mention
from bot.render import STATUS_MARK

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT_ELEMENTS = 10
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
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


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


def context(texts: list[str]) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": x} for x in texts]}


def left_out(t: Translator, count: int) -> Block:
    return context([t.n("…{count} more part was left out.", "…{count} more parts were left out.", count)])


def text_blocks(text: str, t: Translator, reserve: int = 0) -> list[Block]:
    """Sections for `text`, one per paragraph (split further when long), at most 50 in all."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        pieces += split_text(paragraph)
    room = MAX_BLOCKS - reserve
    if len(pieces) <= room:
        return [section(p) for p in pieces]
    shown, left = pieces[: room - 1], len(pieces) - (room - 1)
    return [section(p) for p in shown] + [left_out(t, left)]


def digest_parts(lines: list[str], digest: Digest) -> tuple[list[list[str]], list[str]] | None:
    """The lines after a digest's first one, cut into the parts bot.render.digest_text writes
    them in: what precedes the types (late, missed, purpose, nothing produced), the per-type
    lines, the completed items, the drafts; and apart, the contributors. Read from the end,
    where each part's size is known from the digest and its entries start with known ids and
    marks; the intro is what remains, so a purpose over several lines is no trouble. None when
    the text is not shaped so (a multi-line title, say): the caller lays it out in one part."""
    end = len(lines)

    def take(size: int, starts: list[str], first: int) -> list[str] | None:
        """The `size` lines before `end`, the ones from `first` on starting with `starts`."""
        nonlocal end
        begin = end - size
        if begin < 0 or not all(lines[begin + first + n].startswith(s) for n, s in enumerate(starts)):
            return None
        part, end = lines[begin:end], begin
        return part

    contributors: list[str] | None = []
    if digest.contributors:
        mentions = " ".join(mention(u) for u in digest.contributors)
        contributors = take(1, [], 0) if lines and lines[-1].endswith(mentions) else None
    drafts: list[str] | None = []
    if contributors is not None and (digest.drafts or digest.more_drafts):
        ids = [f"• #{dl.deliverable.id} " for dl in digest.drafts]
        drafts = take(1 + len(ids) + (digest.more_drafts > 0), ids, 1)  # heading, drafts, "…and N more"
    items: list[str] | None = []
    if drafts is not None and digest.items:
        ids = [f"• #{d.id} " for d in digest.items]
        items = take(1 + len(ids) + (digest.more > 0), ids, 1)
    types = None
    if items is not None:
        types = take(len(digest.lines), [STATUS_MARK[line.status] + " " for line in digest.lines], 0)
    if contributors is None or drafts is None or items is None or types is None:
        return None
    return [lines[:end], types, items, drafts], contributors


def laid_out(text: str, view: Digest | Charter, t: Translator) -> list[Block]:
    """A header from the first line, then the rest in parts with dividers between them: a
    digest's intro, types, items and drafts as sections, its contributors as context; a
    charter in one part. At most 50 blocks, the rest counted as for any reply."""
    head, _, rest = text.partition("\n")
    title = _BOLD.sub(r"\1", head).strip()
    if not title:
        return text_blocks(text, t)
    # A header is plain text: the engine's escapes would show as `&amp;`, and a channel link
    # (`<#C123>`, for a channel whose name is unknown) as markup; such a title stays mrkdwn.
    first: Block = {"type": "header", "text": plain(_unescape(title), MAX_HEADER)}
    if "<" in title:
        first = section(head)
    lines = rest.split("\n")
    parts: list[list[str]] = [lines]
    contributors: list[str] = []
    if isinstance(view, Digest) and (cut := digest_parts(lines, view)) is not None:
        parts, contributors = cut
    if len(title) > MAX_HEADER and first["type"] == "header":
        parts[0] = [head, *parts[0]]  # the header is cut short: the whole line is shown below it
    groups = [[section(p) for p in split_text("\n".join(part))] for part in parts]
    people, size = split_text("\n".join(contributors)), MAX_CONTEXT_ELEMENTS
    groups.append([context(people[i : i + size]) for i in range(0, len(people), size)])
    out: list[Block] = [first]
    for n, group in enumerate(g for g in groups if g):
        out += [{"type": "divider"}, *group] if n else group
    if len(out) <= MAX_BLOCKS:
        return out
    kept = out[: MAX_BLOCKS - 1]
    while kept[-1]["type"] == "divider":
        kept.pop()
    return [*kept, left_out(t, sum(b["type"] != "divider" for b in out[len(kept) :]))]


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def fallback(text: str) -> str:
    """The `text` that goes with blocks (notifications, screen readers): capped."""
    if len(text) <= MAX_FALLBACK:
        return text
    return text[: _safe_cut(text, MAX_FALLBACK - 1)] + "…"


def message(reply: Reply) -> dict[str, Any]:
    """`text` and `blocks` for chat.postMessage / chat.postEphemeral / response_url."""
    t = translator(reply.lang)
    if isinstance(reply.view, Digest | Charter):
        return {"text": fallback(reply.text), "blocks": laid_out(reply.text, reply.view, t)}
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
