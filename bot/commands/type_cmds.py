"""`type add`, `type edit`, `type remove`: the charter's output types.

`type add` declares a new type and refuses a key that exists; `type edit` changes only the
parts it is given and keeps the rest, so nothing is dropped by accident. Emoji are checked
here, where the platform can be asked for its custom ones.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from bot import emoji_names
from bot.capture import unknown_type
from bot.charter import KEY_RE, FieldSpec, OutputType, Target, field_label
from bot.commands.charter_cmds import base, rule_message, save
from bot.commands.grammar import Args, UsageError
from bot.context import Ctx
from bot.markup import escape
from bot.ports import EmojiSource

_CHANNEL = re.compile(r"^<#([A-Za-z0-9._:@-]+)(?:\|[^>]*)?>$")
# What a channel id looks like when typed as such: Slack's (C…, G…) and Teams' (19:…).
_CHANNEL_ID = re.compile(r"^(?:[CG][A-Z0-9]{6,}|19:[A-Za-z0-9._:@-]+)$")
_TARGET = re.compile(r"^(\d{1,5})(?:/(week|month))?$")
TYPE_OPTIONS = ("emoji", "fields", "target", "route", "description")
NONE = ("none", "off", "-")  # `type edit idea target=none` takes the target away


class SpecError(ValueError):
    """A type declaration that parses but cannot be accepted; the message is translated."""


def parse_fields(ctx: Ctx, spec: str) -> tuple[FieldSpec, ...]:
    out = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name = part.rstrip("?").strip()
        try:
            out.append(FieldSpec(name=name, label=field_label(name), required=not part.endswith("?")))
        except ValidationError as exc:
            raise SpecError(rule_message(ctx, exc)) from None
    return tuple(out)


def parse_target(ctx: Ctx, spec: str) -> Target:
    m = _TARGET.match(spec.strip().lower())
    if not m or not 1 <= int(m.group(1)) <= 10_000:
        reason = ctx.t(
            "`target={target}` is not a target: write a number from 1 to 10000, then /week or "
            "/month, like target=3/week.",
            target=escape(spec),
        )
        raise UsageError(reason=reason)
    return Target(count=int(m.group(1)), per=m.group(2) or "week")  # type: ignore[arg-type]


async def parse_channel(ctx: Ctx, word: str) -> str:
    """A channel's id from a mention (`<#C123|name>`), a name the bot has seen, or an id.
    A name it has not seen is refused: taken as an id, it would route to nowhere."""
    if m := _CHANNEL.match(word):
        return m.group(1)
    name = word.lstrip("#")
    for info in await ctx.repo.list_channels(ctx.key.platform, ctx.key.workspace_id):
        if info.name == name:
            return info.key.channel_id
    if _CHANNEL_ID.match(name):
        return name
    raise SpecError(
        ctx.t(
            "I do not know a channel named #{name}. Mention it instead (in Slack, type # and "
            "choose it; in Teams, @mention it), or give its id.",
            name=escape(name),
        )
    )


async def check_emoji(ctx: Ctx, typed: str, notes: list[str] | None = None) -> str:
    """The emoji's name as stored: a standard name, this workspace's custom one, or the
    name of an emoji pasted as such. Anything else could never be reacted with.

    When the platform has custom emoji but could not list them (Slack down, or the app
    installed without `emoji:read`), the name is taken as written and a note is added to
    `notes`: refusing would block a valid custom emoji until the list can be read, while
    a wrong name only records nothing, and nothing private is at stake."""
    pasted = emoji_names.from_pasted(typed)
    if pasted is not None:
        return pasted
    name = emoji_names.normalize(typed)
    if emoji_names.is_standard(name):
        return name
    custom = None
    if isinstance(ctx.gateway, EmojiSource):
        custom = await ctx.gateway.custom_emoji(ctx.key.workspace_id)
        if custom is None:
            note = ctx.t(
                "I could not read this workspace's custom emoji to check `:{emoji}:`, so I took it "
                "as written: if the workspace has no such emoji, no reaction will record this type.",
                emoji=escape(name),
            )
            if notes is not None:
                notes.append(note + _did_you_mean(ctx, name))
            return name
    if custom is not None and name in custom:
        return name
    text = ctx.t(
        "`:{emoji}:` is not an emoji I know, so no reaction could ever record it.", emoji=escape(name)
    )
    text += _did_you_mean(ctx, name)
    text += " " + ctx.t("Use a standard name such as white_check_mark, or paste the emoji itself.")
    raise SpecError(text)


def _did_you_mean(ctx: Ctx, name: str) -> str:
    close = emoji_names.close_to(name)
    if not close:
        return ""
    return " " + ctx.t("Did you mean {names}?", names=", ".join("`" + c + "`" for c in close))


async def type_parts(
    ctx: Ctx, args: Args, *, with_label: bool, notes: list[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """`<key> ["<label>"] [option=…]` → the key and the parts given, checked; what the
    person should know about parts taken unchecked is added to `notes`.

    Raises UsageError for a malformed line, SpecError for a well-formed one that is refused.
    """
    args.strict()
    if not args.words or len(args.words) > 2 or (with_label and len(args.words) != 2):
        raise UsageError("")
    key = args.words[0].lower()
    options = {name.lower(): value for name, value in args.options.items()}
    unknown = sorted(set(options) - set(TYPE_OPTIONS))
    if unknown:
        names = ", ".join("`" + escape(n) + "`" for n in unknown)
        reason = ctx.t(
            "Output types have no option {names}. Their options: {options}.",
            names=names,
            options=", ".join(TYPE_OPTIONS),
        )
        raise UsageError(reason=reason)
    if not KEY_RE.match(key):
        raise SpecError(
            ctx.t(
                "`{key}` is not a valid type key: use lowercase letters, digits, - or _, "
                "starting with a letter.",
                key=escape(key),
            )
        )
    parts: dict[str, Any] = {}
    if len(args.words) == 2:
        parts["label"] = args.words[1]
    for name, value in options.items():
        cleared = value.strip().lower() in NONE
        if name == "emoji":
            parts["emoji"] = None if cleared else await check_emoji(ctx, value, notes)
        elif name == "fields":
            parts["fields"] = () if cleared else parse_fields(ctx, value)
        elif name == "target":
            parts["target"] = None if cleared else parse_target(ctx, value)
        elif name == "route":
            parts["route"] = None if cleared else await parse_channel(ctx, value)
        else:
            parts["description"] = "" if cleared else value
    return key, parts


def build_type(ctx: Ctx, data: dict[str, Any]) -> OutputType:
    try:
        return OutputType.model_validate(data)
    except ValidationError as exc:
        raise SpecError(rule_message(ctx, exc)) from None


async def type_from_args(ctx: Ctx, args: Args, notes: list[str] | None = None) -> OutputType:
    """A whole declaration, `<key> "<label>" [option=…]` (the setup form's lines)."""
    key, parts = await type_parts(ctx, args, with_label=True, notes=notes)
    return build_type(ctx, {"key": key, **parts})


async def _store(ctx: Ctx, ot: OutputType, verb: str) -> bool:
    types = [t for t in base(ctx).types if t.key != ot.key] + [ot]
    return await save(ctx, {"types": [t.model_dump() for t in types]}, f"type {verb} {ot.key}") is not None


def _with_notes(text: str, notes: list[str]) -> str:
    return "\n".join([text, *notes])


async def type_add(ctx: Ctx, args: Args) -> None:
    notes: list[str] = []
    try:
        key, parts = await type_parts(ctx, args, with_label=True, notes=notes)
        existing = base(ctx).type(key)
        if existing is not None:
            ctx.say(
                ctx.t(
                    "`{key}` is already declared ({type}); nothing was changed. Change it with "
                    "`{prefix} type edit {key} …` (only the parts you give change), or retire it "
                    "with `{prefix} type remove {key}`.",
                    key=key,
                    type=escape(existing.label),
                    prefix=ctx.prefix,
                )
            )
            return
        ot = build_type(ctx, {"key": key, **parts})
    except SpecError as exc:
        ctx.say(str(exc))
        return
    if await _store(ctx, ot, "add"):
        said = ctx.t("Declared output type {type} (`{key}`).", type=escape(ot.label), key=ot.key)
        ctx.say(_with_notes(said, notes))


async def type_edit(ctx: Ctx, args: Args) -> None:
    notes: list[str] = []
    try:
        key, parts = await type_parts(ctx, args, with_label=False, notes=notes)
        existing = base(ctx).type(key)
        if existing is None:
            unknown_type(ctx, base(ctx), key)
            return
        if not parts:
            raise UsageError("")
        ot = build_type(ctx, {**existing.model_dump(), **parts})
    except SpecError as exc:
        ctx.say(str(exc))
        return
    if await _store(ctx, ot, "edit"):
        said = ctx.t("Updated output type {type} (`{key}`).", type=escape(ot.label), key=ot.key)
        ctx.say(_with_notes(said, notes))


async def type_remove(ctx: Ctx, args: Args) -> None:
    args.strict()
    if len(args.words) != 1:
        raise UsageError("")
    key = args.words[0].lower()
    c = base(ctx)
    if c.type(key) is None:
        unknown_type(ctx, c, key)
        return
    types = [t.model_dump() for t in c.types if t.key != key]
    if await save(ctx, {"types": types}, f"type remove {key}"):
        ctx.say(ctx.t("Retired output type `{key}`; its deliverables are kept.", key=key))
