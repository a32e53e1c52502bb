"""Capture and enforcement (docs/rules.md, rules 1 to 5): tag, untag, complete, edit, delete."""

from __future__ import annotations

import difflib

from bot import dialogs
from bot.access import can_edit
from bot.charter import Charter, OutputType
from bot.context import Ctx
from bot.deliverable import MAX_TEXT, Deliverable, NewDeliverable, Status, Via, make_title
from bot.markup import escape, link
from bot.ports import MessageSnapshot
from bot.render import deliverable_line, missing_text


def no_charter(ctx: Ctx) -> None:
    ctx.say(
        ctx.t(
            "This channel has no charter yet, so nothing is captured here. "
            "An owner can declare one with `{prefix} setup`.",
            prefix=ctx.prefix,
        )
    )


def unknown_type(ctx: Ctx, charter: Charter, key: str) -> None:
    declared = ", ".join(f"`{t.key}`" for t in charter.types) or ctx.t("(none)")
    ctx.say(
        ctx.t(
            "`{key}` is not an output type of this channel. Declared types: {types}.",
            key=escape(key),
            types=declared,
        )
    )


def check_fields(ctx: Ctx, ot: OutputType, values: dict[str, str]) -> dict[str, str] | None:
    """`values` keyed by the type's own field names (`equipe=` fills `Équipe`), or None
    after telling the person which names the type does not have."""
    known: dict[str, str] = {}
    unknown: list[str] = []
    for name, value in values.items():
        spec = ot.field(name)
        if spec is None:
            unknown.append(name)
        else:
            known[spec.name] = value
    if unknown:
        names = ", ".join(f.name for f in ot.fields) or ctx.t("(none)")
        text = ctx.t(
            "{type} has no field {field}. Its fields: {fields}.",
            type=escape(ot.label),
            field=", ".join(escape(u) for u in sorted(unknown)),
            fields=names,
        )
        close = difflib.get_close_matches(unknown[0], [f.name for f in ot.fields], n=1, cutoff=0.5)
        if close:
            text += " " + ctx.t("Did you mean {names}?", names=f"`{close[0]}`")
        ctx.say(text + " " + ctx.t("Nothing was recorded."))
        return None
    return known


async def tag(
    ctx: Ctx,
    message: MessageSnapshot | None,
    type_key: str,
    *,
    via: Via,
    text: str = "",
    fields: dict[str, str] | None = None,
    emoji: str = "",
) -> Deliverable | None:
    """Record `message` (or free `text`) as a deliverable of `type_key`; idempotent."""
    charter = ctx.charter
    if charter is None:
        no_charter(ctx)
        return None
    ot = charter.type(type_key)
    if ot is None:
        unknown_type(ctx, charter, type_key)
        return None
    checked = check_fields(ctx, ot, {k: v.strip() for k, v in (fields or {}).items()})
    if checked is None:
        return None
    values = checked
    if message is not None:
        text = message.text
    if len(text) > MAX_TEXT:
        ctx.say(
            ctx.t(
                "That text has {count} characters; the limit is {limit}.",
                count=ctx.t.number(len(text)),
                limit=ctx.t.number(MAX_TEXT),
            )
        )
        return None
    now = ctx.now
    status = Status.DRAFT if ot.missing(values) else Status.COMPLETE
    new = NewDeliverable(
        channel=ctx.key,
        type=ot.key,
        status=status,
        title=make_title(text, values),
        text=text,
        author_id=message.author_id if message else ctx.actor.user_id,
        tagged_by=ctx.actor.user_id,
        via=via,
        permalink=message.permalink if message else _url_in(text),
        message_id=message.message_id if message else None,
        thread_id=message.thread_id if message else None,
        fields={k: v for k, v in values.items() if v},
        created_at=now,
        completed_at=now if status is Status.COMPLETE else None,
    )
    d, created = await ctx.repo.capture(new, emoji=emoji)  # tagged_by's tagging comes with it
    assert d.id is not None
    if created:
        ctx.services.observer.deliverable_captured(ctx.key.platform, ot.key, via.value)
    if not created:
        d = await _rejoin(ctx, ot, d, values)
    await _confirm(ctx, ot, d, created)
    return d


async def _rejoin(ctx: Ctx, ot: OutputType, d: Deliverable, values: dict[str, str]) -> Deliverable:
    """A second tagging of the same message: fill gaps in the fields, revive a withdrawal."""
    merged = {**{k: v for k, v in values.items() if v}, **d.fields}
    if merged == d.fields and d.status is not Status.WITHDRAWN:
        return d
    return await _set_fields(ctx, ot, d, merged, revive=True)


async def _set_fields(
    ctx: Ctx, ot: OutputType, d: Deliverable, fields: dict[str, str], revive: bool = False
) -> Deliverable:
    assert d.id is not None
    changes: dict[str, object] = {"fields": fields, "updated_at": ctx.now}
    if "title" in fields or d.status is Status.WITHDRAWN:
        changes["title"] = make_title(d.text, fields)
    if d.status in (Status.DRAFT, Status.COMPLETE) or (revive and d.status is Status.WITHDRAWN):
        status = Status.DRAFT if ot.missing(fields) else Status.COMPLETE
        changes["status"] = status
        if status is Status.COMPLETE and d.completed_at is None:
            changes["completed_at"] = ctx.now
    return await ctx.repo.update_deliverable(d.id, **changes)


async def _confirm(ctx: Ctx, ot: OutputType, d: Deliverable, created: bool) -> None:
    line = deliverable_line(ctx.t, d, ctx.charter)
    if created:
        ctx.say(ctx.t("Recorded {line}", line=line))
    else:
        ctx.say(ctx.t("Already recorded: {line}", line=line))
    if d.status is Status.DRAFT:
        ask_for_fields(ctx, ot, d)
    await announce_if_complete(ctx, ot, d)


def ask_for_fields(ctx: Ctx, ot: OutputType, d: Deliverable) -> None:
    assert d.id is not None
    missing = [f.shown for f in ot.missing(d.fields)]
    example = " ".join(f'{f.name}="…"' for f in ot.missing(d.fields))
    text = ctx.t(
        "#{id} is a draft: {missing}. Complete it with `{prefix} complete {id} {example}`.",
        id=d.id,
        missing=missing_text(ctx.t, missing),
        prefix=ctx.prefix,
        example=example,
    )
    ctx.out.append(dialogs.draft_form(ctx.t, ot, d.id, d.fields, ctx.actor.user_id, ctx.key.channel_id, text))


async def announce_if_complete(ctx: Ctx, ot: OutputType, d: Deliverable) -> None:
    """Rule 8: a completed deliverable of a routed type is announced there, once."""
    if d.status is not Status.COMPLETE or not ot.route or d.id is None:
        return
    if not await ctx.repo.claim_once("route", ctx.key, str(d.id), ot.route):
        return
    t = ctx.channel_t
    where = f"#{ctx.channel.name}" if ctx.channel.name else f"<#{ctx.key.channel_id}>"
    title = link(d.permalink, escape(d.title) or t("(no text)"))
    ctx.post(
        t("New {type} from {channel}: {title}", type=escape(ot.label), channel=where, title=title),
        kind="announcement",
        channel_id=ot.route,
    )


async def untag(ctx: Ctx, message_id: str, ot: OutputType, emoji: str) -> None:
    """Rule 4: withdraw only when no tagging remains from anyone."""
    for d in await ctx.repo.by_message(ctx.key, message_id):
        if d.type != ot.key or d.id is None:
            continue
        remaining = await ctx.repo.remove_tagging(d.id, ctx.actor.user_id, emoji)
        if remaining == 0 and d.status in (Status.DRAFT, Status.COMPLETE):
            d = await ctx.repo.update_deliverable(d.id, status=Status.WITHDRAWN, updated_at=ctx.now)
            ctx.say(ctx.t("Withdrawn: {line}", line=deliverable_line(ctx.t, d, ctx.charter)))


async def complete(ctx: Ctx, d: Deliverable, values: dict[str, str]) -> None:
    charter = ctx.charter
    ot = charter.type(d.type) if charter else None
    if ot is None:
        ctx.say(ctx.t("#{id} has a type this channel no longer declares.", id=d.id))
        return
    if not can_edit(ctx.actor, d, ctx.is_owner):
        ctx.say(ctx.t("Only the person who tagged #{id} or an owner can change it.", id=d.id))
        return
    if d.status in (Status.WITHDRAWN, Status.DELETED):
        ctx.say(ctx.t("#{id} is {status} and cannot be completed.", id=d.id, status=ctx.t(d.status.value)))
        return
    checked = check_fields(ctx, ot, values)
    if checked is None:
        return
    merged = {k: v for k, v in {**d.fields, **{k: v.strip() for k, v in checked.items()}}.items() if v}
    d = await _set_fields(ctx, ot, d, merged)
    ctx.say(ctx.t("Updated {line}", line=deliverable_line(ctx.t, d, charter)))
    if d.status is Status.DRAFT:
        ask_for_fields(ctx, ot, d)
    await announce_if_complete(ctx, ot, d)


async def follow_edit(ctx: Ctx, message: MessageSnapshot) -> None:
    """Rule 5: an edit updates the snapshot; the fields people filled are kept."""
    for d in await ctx.repo.by_message(ctx.key, message.message_id):
        if d.status is Status.DELETED or d.id is None:
            continue
        await ctx.repo.update_deliverable(
            d.id, text=message.text[:MAX_TEXT], title=make_title(message.text, d.fields), updated_at=ctx.now
        )


async def follow_delete(ctx: Ctx, message_id: str) -> None:
    """Rule 5: a deleted source marks the deliverable deleted and drops its text."""
    for d in await ctx.repo.by_message(ctx.key, message_id):
        if d.id is not None and d.status is not Status.DELETED:
            await ctx.repo.update_deliverable(
                d.id, status=Status.DELETED, text="", title="", updated_at=ctx.now
            )


def _url_in(text: str) -> str | None:
    word = text.strip()
    return word if word.startswith(("http://", "https://")) and " " not in word else None
