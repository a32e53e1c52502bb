"""`setup`: the charter as one form, and the form's submission (Slack modal, Teams card).

The form writes the same charter as the text commands: each output type is one line in the
`type add` grammar, parsed by the same code.
"""

from __future__ import annotations

from pydantic import ValidationError

from bot.charter import Charter, OutputType
from bot.commands.charter_cmds import base, parse_time, parse_weekday, rule_message, save
from bot.commands.grammar import Args, GrammarError, UsageError, parse_args
from bot.commands.type_cmds import SpecError, type_from_args
from bot.context import Ctx
from bot.events import FormErrors, FormField, OpenForm
from bot.i18n import LANGUAGES
from bot.markup import escape
from bot.render import charter_text, schedule_text

FIELDS = ("purpose", "types", "schedule", "timezone", "language")


def type_line(ot: OutputType) -> str:
    """An output type in the `type add` grammar, without the command words."""
    parts = [ot.key, '"' + ot.label.replace('"', "'") + '"']
    if ot.emoji:
        parts.append(f"emoji={ot.emoji}")
    if ot.fields:
        parts.append("fields=" + ",".join(f.name + ("" if f.required else "?") for f in ot.fields))
    if ot.target:
        parts.append(f"target={ot.target}")
    if ot.route:
        parts.append(f"route=<#{ot.route}>")
    if ot.description:
        parts.append('description="' + ot.description.replace('"', "'") + '"')
    return " ".join(parts)


async def setup(ctx: Ctx, args: Args) -> None:
    t, c, p = ctx.t, base(ctx), ctx.prefix
    steps = [
        t("Let's set up what this channel produces."),
        t(
            "1. Purpose: `{prefix} purpose <text>` (now: {value})",
            prefix=p,
            value=escape(c.purpose) or t("not set yet"),
        ),
        t(
            '2. Each kind of deliverable: `{prefix} type add <key> "<label>" [emoji=<name>] '
            "[fields=a,b,c?] [target=<n>/week|month]`, for example "
            '`{prefix} type add solution "Problem solved" emoji=white_check_mark '
            "fields=problem,fix,area? target=3/week`",
            prefix=p,
        ),
        t(
            "3. Digest: `{prefix} schedule <mon…sun> <HH:MM> [<timezone>]` (now: {value})",
            prefix=p,
            value=schedule_text(t, c),
        ),
        t("4. Check it with `{prefix} charter`.", prefix=p),
    ]
    fields = (
        FormField(
            "purpose",
            t("Purpose"),
            True,
            c.purpose,
            multiline=True,
            hint=t("Why this channel exists and what it must produce."),
        ),
        FormField(
            "types",
            t("Output types"),
            True,
            "\n".join(type_line(ot) for ot in c.types),
            multiline=True,
            hint=t('One per line: key "Label" emoji=name fields=a,b,c? target=3/week'),
        ),
        FormField(
            "schedule",
            t("Digest schedule"),
            False,
            str(c.schedule) if c.schedule else "off",
            hint=t("A weekday and a time, like fri 16:00, or off"),
        ),
        FormField("timezone", t("Timezone"), True, c.timezone, hint=t("An IANA name, like Europe/Paris")),
        FormField("language", t("Language"), True, c.language, hint=", ".join(LANGUAGES)),
    )
    ctx.out.append(
        OpenForm(
            ctx.actor.user_id,
            ctx.key.channel_id,
            t("Channel charter"),
            fields,
            None,
            t.lang,
            "\n".join(steps),
        )
    )


async def submit(ctx: Ctx, values: dict[str, str]) -> None:
    """Validate every field, show every problem beside its field, or save once."""
    if not ctx.is_owner:
        ctx.say(ctx.t("Only owners of this channel's charter can use `{command}`.", command="setup"))
        return
    t = ctx.t
    errors: dict[str, str] = {}
    update: dict[str, object] = {}
    purpose = values.get("purpose", "").strip()
    if not purpose:
        errors["purpose"] = t("Say why this channel exists.")
    update["purpose"] = purpose
    types = []
    notes: list[str] = []  # emoji taken unchecked: said with the charter, once it is saved
    for n, line in enumerate(x for x in values.get("types", "").splitlines() if x.strip()):
        try:
            types.append(await type_from_args(ctx, parse_args(line), notes))
        except SpecError as exc:
            errors["types"] = t("Line {n}: {error}", n=n + 1, error=str(exc))
            break
        except GrammarError as exc:
            errors["types"] = t("Line {n}: {error}", n=n + 1, error=t(exc.template, **exc.values))
            break
        except UsageError:
            errors["types"] = t(
                'Line {n} should look like: key "Label" emoji=name fields=a,b target=3/week', n=n + 1
            )
            break
    update["types"] = [ot.model_dump() for ot in types]
    schedule = values.get("schedule", "").strip().lower()
    if schedule in ("", "off"):
        update["schedule"] = None
    else:
        try:
            day, at = schedule.split()
            update["schedule"] = {"weekday": parse_weekday(day), "at": parse_time(at)}
        except (ValueError, UsageError):
            errors["schedule"] = t("A weekday and a time, like fri 16:00, or off")
    update["timezone"] = values.get("timezone", "").strip() or base(ctx).timezone
    language = values.get("language", "").strip().lower() or base(ctx).language
    if language not in LANGUAGES:
        errors["language"] = t("Available: {languages}.", languages=", ".join(LANGUAGES))
    update["language"] = language
    if not errors:
        try:
            Charter.model_validate({**base(ctx).model_dump(), **update})
        except ValidationError as exc:
            loc = exc.errors()[0]["loc"]
            field = str(loc[0]) if loc and str(loc[0]) in FIELDS else "types"
            errors[field] = rule_message(ctx, exc)
    if errors:
        ctx.out.append(FormErrors(ctx.actor.user_id, errors))
        return
    if charter := await save(ctx, update, "setup form"):
        ctx.say("\n".join([t("Charter saved."), *notes, charter_text(t, charter)]), view=charter)
