"""Commands that read or change the charter."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, time

from pydantic import ValidationError

from bot.charter import (
    WEEKDAYS,
    Charter,
    RuleError,
    Schedule,
    stamped,
    valid_timezone,
)
from bot.commands.grammar import Args, UsageError
from bot.context import Ctx
from bot.i18n import LANGUAGES
from bot.markup import escape, mention
from bot.ports import ConflictError
from bot.render import charter_text, how_to_tag, schedule_text

_USER = re.compile(r"^<@([A-Za-z0-9._:-]+)(?:\|[^>]*)?>$")


def base(ctx: Ctx) -> Charter:
    """The charter to edit: the current one, or a new one owned by whoever starts it."""
    if ctx.charter is not None:
        return ctx.charter
    s = ctx.settings
    return Charter(
        channel=ctx.key,
        owners=(ctx.actor.user_id,),
        timezone=s.default_timezone,
        language=s.default_language,
        schedule=s.default_schedule,
        created_at=ctx.now,
    )


def rule_message(ctx: Ctx, exc: ValidationError) -> str:
    """The first broken rule, in the reader's language; never the validator's own English."""
    err = exc.errors()[0]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, RuleError):
        return ctx.t(cause.template, **cause.values)
    place = ".".join(str(p) for p in err.get("loc", ()) if not isinstance(p, int)) or "?"
    return ctx.t("{place} is not a value I can accept", place=place)


async def save(ctx: Ctx, update: dict[str, object], summary: str) -> Charter | None:
    try:
        new = stamped(Charter.model_validate({**base(ctx).model_dump(), **update}), ctx.charter, ctx.now)
    except ValidationError as exc:
        ctx.say(ctx.t("That would make the charter invalid: {error}", error=rule_message(ctx, exc)))
        return None
    try:
        stored = await ctx.repo.save_charter(new, ctx.actor.user_id, summary, ctx.now)
    except ConflictError:
        ctx.say(ctx.t("The charter changed while you were editing it. Please try again."))
        return None
    ctx.charter = stored
    ctx.services.charter_changed(ctx.key)
    return stored


async def show(ctx: Ctx, args: Args) -> None:
    if ctx.charter is None:
        ctx.say(
            ctx.t("This channel has no charter yet. An owner can run `{prefix} setup`.", prefix=ctx.prefix)
        )
        return
    ctx.say(
        charter_text(ctx.t, ctx.charter) + "\n" + how_to_tag(ctx.t, ctx.charter, ctx.prefix), view=ctx.charter
    )


async def purpose(ctx: Ctx, args: Args) -> None:
    text = args.raw.strip()
    if not text:
        raise UsageError("")
    if await save(ctx, {"purpose": text}, f"purpose: {text[:200]}"):
        ctx.say(ctx.t("Purpose set: {purpose}", purpose=escape(text)))


def parse_user(word: str) -> str:
    m = _USER.match(word)
    return m.group(1) if m else word.lstrip("@")


def parse_weekday(word: str) -> int:
    w = word.lower()[:3]
    if w not in WEEKDAYS:
        raise UsageError(word)
    return WEEKDAYS.index(w)


def parse_time(word: str) -> time:
    m = re.match(r"^([01]?\d|2[0-3]):([0-5]\d)$", word)
    if not m:
        raise UsageError(word)
    return time(int(m.group(1)), int(m.group(2)))


async def schedule(ctx: Ctx, args: Args) -> None:
    args.strict()
    w = args.words
    if len(w) == 1 and w[0].lower() == "off":
        if await save(ctx, {"schedule": None}, "schedule off"):
            ctx.say(ctx.t("The digest is off for this channel."))
        return
    if len(w) not in (2, 3):
        raise UsageError("")
    update: dict[str, object] = {"schedule": Schedule(weekday=parse_weekday(w[0]), at=parse_time(w[1]))}
    if len(w) == 3:
        try:
            update["timezone"] = valid_timezone(w[2])
        except ValueError:
            ctx.say(
                ctx.t(
                    "`{tz}` is not a timezone I know. Use an IANA name such as Europe/Paris.", tz=escape(w[2])
                )
            )
            return
    if c := await save(ctx, update, "schedule " + " ".join(w)):
        ctx.say(ctx.t("Digest: {schedule}", schedule=schedule_text(ctx.t, c)))


async def owners_add(ctx: Ctx, args: Args) -> None:
    await _owners(ctx, args, add=True)


async def owners_remove(ctx: Ctx, args: Args) -> None:
    await _owners(ctx, args, add=False)


async def _owners(ctx: Ctx, args: Args, add: bool) -> None:
    args.strict()
    if not args.words:
        raise UsageError("")
    users = [parse_user(w) for w in args.words]
    owners = list(base(ctx).owners)
    if add:
        owners += [u for u in users if u not in owners]
    else:
        owners = [o for o in owners if o not in users]
        if not owners:
            ctx.say(ctx.t("A charter keeps at least one owner."))
            return
    verb = "add" if add else "remove"
    if c := await save(ctx, {"owners": owners}, f"owners {verb} {' '.join(users)}"):
        ctx.say(ctx.t("Owners: {owners}", owners=", ".join(mention(o) for o in c.owners)))


async def pause(ctx: Ctx, args: Args) -> None:
    args.strict()
    if len(args.words) != 2 or args.words[0].lower() != "until":
        raise UsageError("")
    try:
        until = date.fromisoformat(args.words[1])
    except ValueError:
        raise UsageError(args.words[1]) from None
    today = ctx.now.astimezone(base(ctx).tz).date()
    if until <= today:
        ctx.say(ctx.t("{day} is not in the future.", day=ctx.t.short_day(until)))
        return
    if await save(ctx, {"paused_until": until}, f"pause until {until}"):
        ctx.say(ctx.t("Paused until {day}: no nudges and no digest before then.", day=ctx.t.short_day(until)))


async def resume(ctx: Ctx, args: Args) -> None:
    if await save(ctx, {"paused_until": None}, "resume"):
        ctx.say(ctx.t("Resumed: nudges and digests are back on."))


async def language(ctx: Ctx, args: Args) -> None:
    args.strict()
    if (args.word(0) or "").lower() == "me":
        await language_me(ctx, args)
        return
    if not ctx.is_owner:
        ctx.say(ctx.t("Only owners of this channel's charter can use `{command}`.", command="language"))
        return
    lang = (args.word(0) or "").lower()
    if lang not in LANGUAGES or len(args.words) != 1:
        unknown_language(ctx, lang)
        return
    if await save(ctx, {"language": lang}, f"language {lang}"):
        ctx.say(
            ctx.t(
                "This channel's digests and reminders will be in {language}.",
                language=ctx.t.locale.languages.get(lang, lang),
            )
        )


async def rollup(ctx: Ctx, args: Args) -> None:
    args.strict()
    what = (args.word(0) or "").lower()
    if what not in ("here", "off") or len(args.words) != 1:
        raise UsageError("")
    if not ctx.is_admin:
        ctx.say(ctx.t("Only workspace admins can choose the roll-up channel."))
        return
    channel = ctx.key.channel_id if what == "here" else None
    await ctx.repo.set_rollup_channel(ctx.key.platform, ctx.key.workspace_id, channel)
    ctx.services.charter_changed(ctx.key)
    if channel:
        ctx.say(ctx.t("This channel now receives the workspace roll-up."))
    else:
        ctx.say(ctx.t("The workspace roll-up is off."))


def unknown_language(ctx: Ctx, lang: str) -> None:
    text = ctx.t(
        "Unknown language `{lang}`. Available: {languages}.",
        lang=escape(lang),
        languages=", ".join(LANGUAGES),
    )
    ctx.say(text)


async def language_me(ctx: Ctx, args: Args) -> None:
    """`language me fr`: what the bot writes to this person, wherever, from now on."""
    lang = (args.word(1) or "").lower()
    if lang not in LANGUAGES or len(args.words) != 2:
        unknown_language(ctx, lang)
        return
    await ctx.services.languages.choose(ctx.key, ctx.actor.user_id, lang)
    ctx.actor = replace(ctx.actor, locale=lang)
    ctx.say(
        ctx.t(
            "I will write to you in {language}: replies, private messages and reminders.",
            language=ctx.t.locale.languages.get(lang, lang),
        )
    )
