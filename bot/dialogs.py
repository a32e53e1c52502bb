"""What the capture dialog and a draft's form show, decided once for every platform.

"Record as deliverable" (a Slack message shortcut, a Teams message action) opens a dialog
inside the request; a draft's "Complete" button opens its form. The adapters draw them
(a modal, an Adaptive Card); what they hold, how they are prefilled and why one cannot open
are the engine's (docs/rules.md, rule 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.charter import Charter, OutputType
from bot.context import Services
from bot.events import Actor, FormField, OpenForm
from bot.i18n import Translator, translator
from bot.ports import ChannelInfo, MessageSnapshot

EXCERPT_CHARS = 300  # what the dialog quotes of the message


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def prefill(ot: OutputType, text: str) -> tuple[FormField, ...]:
    """The one prefill rule: the message's first non-empty line goes into the type's `title`
    field, or into its first field when it has none; the other fields start empty."""
    if not ot.fields:
        return ()
    target = next((f.name for f in ot.fields if f.name == "title"), ot.fields[0].name)
    line = first_line(text)
    return tuple(
        FormField(f.name, f.shown, f.required, line if f.name == target else "", multiline=n == 0)
        for n, f in enumerate(ot.fields)
    )


@dataclass(frozen=True)
class CaptureDialog:
    """The declared types (in the charter's order), each with its prefilled fields."""

    charter: Charter
    message: MessageSnapshot
    chosen: str  # the type shown first
    lang: str

    @property
    def types(self) -> tuple[tuple[str, str], ...]:
        return tuple((ot.key, ot.label) for ot in self.charter.types)

    def fields(self, type_key: str | None = None) -> tuple[FormField, ...]:
        ot = self.charter.type(type_key or self.chosen) or self.charter.types[0]
        return prefill(ot, self.message.text)

    @property
    def excerpt(self) -> str:
        text = self.message.text
        return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"

    def choose(self, type_key: str) -> CaptureDialog | None:
        """The same dialog with `type_key` shown first; None when it is not declared."""
        if self.charter.type(type_key) is None:
            return None
        return CaptureDialog(self.charter, self.message, type_key, self.lang)


def cannot_capture(
    t: Translator, charter: Charter | None, message: MessageSnapshot, prefix: str
) -> str | None:
    """Why nothing can be recorded from `message` here, or None when the dialog may open."""
    if message.is_bot:
        return t("Messages from the bot cannot be deliverables.")
    if charter is None or not charter.types:
        return t(
            "This channel has no charter yet, so nothing is captured here. "
            "An owner can declare one with `{prefix} setup`.",
            prefix=prefix,
        )
    return None


async def capture_dialog(
    services: Services, channel: ChannelInfo, actor: Actor, message: MessageSnapshot, prefix: str
) -> CaptureDialog | str:
    """The dialog for recording `message`, or the sentence telling `actor` why it cannot open."""
    await services.repo.upsert_channel(channel)  # the dialog is often the first we hear of it
    charter = await services.repo.get_charter(channel.key)
    lang = await services.languages.reader(channel.key, actor)
    t = translator(lang)
    refused = cannot_capture(t, charter, message, prefix)
    if refused is not None or charter is None:
        return refused or ""
    return CaptureDialog(charter, message, charter.types[0].key, t.lang)


def draft_form(
    t: Translator,
    ot: OutputType,
    deliverable_id: int,
    values: dict[str, str],
    user_id: str,
    channel_id: str,
    text: str = "",
) -> OpenForm:
    """A draft's form: every field of its type, with what the draft already holds."""
    fields = tuple(FormField(f.name, f.shown, f.required, values.get(f.name, "")) for f in ot.fields)
    title = t("Complete {type} #{id}", type=ot.label, id=deliverable_id)
    return OpenForm(user_id, channel_id, title, fields, deliverable_id, t.lang, text)


async def open_draft_form(
    services: Services, platform: str, workspace_id: str, actor: Actor, deliverable: str
) -> OpenForm | str:
    """The form of draft `deliverable` (as the button carried it) for `actor`, or the sentence
    saying there is no such deliverable in their workspace."""
    d = await services.repo.get_deliverable(int(deliverable)) if deliverable.isdigit() else None
    key = d.channel if d is not None else None
    lang = await services.languages.reader(key, actor) if key is not None else actor.locale or "en"
    t = translator(lang)
    charter = await services.repo.get_charter(d.channel) if d is not None else None
    ot = charter.type(d.type) if charter is not None and d is not None else None
    if (
        d is None
        or d.id is None
        or ot is None
        or (d.channel.platform, d.channel.workspace_id)
        != (
            platform,
            workspace_id,
        )
    ):
        return t("There is no deliverable #{id}.", id=deliverable)
    return draft_form(t, ot, d.id, d.fields, actor.user_id, d.channel.channel_id)
