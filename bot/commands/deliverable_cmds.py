"""Commands about deliverables: deliver, list, drafts, complete, withdraw, search, export."""

from __future__ import annotations

from datetime import datetime

from bot import capture
from bot import export as exporting
from bot.access import can_edit
from bot.charter import ChannelKey, Charter
from bot.commands.grammar import Args, GrammarError, UsageError, extract_options
from bot.context import Ctx
from bot.deliverable import Deliverable, Status, Via
from bot.events import SendFile
from bot.markup import escape
from bot.periods import month_start, period_at, periods_back
from bot.ports import ChannelInfo
from bot.render import deliverable_line, missing_text

LIST_LIMIT = 30
# A file sent in chat is held whole in memory, and on Teams kept in the database until the
# person accepts it: past this many rows, the newest go and the message names the command
# line export (`outputs-bot export`), which streams any number.
CHAT_EXPORT_MAX_ROWS = 10_000
WINDOWS = ("week", "last-week", "month", "all")


async def deliver(ctx: Ctx, args: Args) -> None:
    parts = args.raw.split(None, 1)
    if not parts:
        raise UsageError("")
    key = parts[0].lower()
    charter = ctx.charter
    ot = charter.type(key) if charter else None
    try:
        text, fields = extract_options(parts[1] if len(parts) > 1 else "")
    except GrammarError as exc:
        ctx.say(ctx.t(exc.template, **exc.values) + " " + ctx.t("Nothing was recorded."))
        return
    if charter is not None and ot is not None and not text:
        raise UsageError("")
    await capture.tag(ctx, None, key, via=Via.COMMAND, text=text, fields=fields)


def window(ctx: Ctx, name: str) -> tuple[datetime | None, datetime | None]:
    charter = ctx.charter
    tz = charter.tz if charter else None
    sched = (charter.schedule if charter else None) or ctx.settings.default_schedule
    if tz is None or name == "all":
        return None, None
    current = period_at(sched, tz, ctx.now)
    if name == "week":
        return current.start, None
    if name == "last-week":
        prev = periods_back(sched, tz, current, 2)[0]
        return prev.start, prev.end
    return month_start(tz, ctx.now), None


async def list_cmd(ctx: Ctx, args: Args) -> None:
    args.strict()
    type_key, span = None, "week"
    for w in args.words:
        if w.lower() in WINDOWS:
            span = w.lower()
        elif type_key is None:
            type_key = w.lower()
        else:
            raise UsageError(w)
    if ctx.charter is None:
        capture.no_charter(ctx)
        return
    if type_key and ctx.charter.type(type_key) is None:
        capture.unknown_type(ctx, ctx.charter, type_key)
        return
    since, until = window(ctx, span)
    items = await ctx.repo.list_deliverables(
        ctx.key,
        type=type_key,
        since=since,
        until=until,
        statuses=[Status.DRAFT, Status.COMPLETE],
        limit=LIST_LIMIT + 1,
    )
    if not items:
        ctx.say(ctx.t("No deliverables here for that period."))
        return
    lines = [deliverable_line(ctx.t, d, ctx.charter) for d in items[:LIST_LIMIT]]
    if len(items) > LIST_LIMIT:
        lines.append(ctx.t("…and more: narrow it down with a type or a period."))
    ctx.say("\n".join(lines))


async def drafts(ctx: Ctx, args: Args) -> None:
    mine = await ctx.repo.drafts_of(ctx.key.platform, ctx.key.workspace_id, ctx.actor.user_id)
    if not mine:
        ctx.say(ctx.t("You have no drafts waiting."))
        return
    charters = {}
    names: dict[ChannelKey, str] = {}
    lines = [ctx.t("Your drafts:")]
    for d in mine:
        if d.channel not in charters:
            charters[d.channel] = await ctx.repo.get_charter(d.channel)
            info = await ctx.repo.get_channel(d.channel)
            names[d.channel] = info.name if info and info.name else d.channel.channel_id
        charter = charters[d.channel]
        ot = charter.type(d.type) if charter else None
        missing = [f.shown for f in ot.missing(d.fields)] if ot else []
        lines.append(
            f"• {deliverable_line(ctx.t, d, charter)} — {missing_text(ctx.t, missing)} "
            f"(#{escape(names[d.channel])})"
        )
    ctx.say("\n".join(lines))


async def _target(ctx: Ctx, args: Args) -> tuple[Ctx, Deliverable] | None:
    """The deliverable named by `<id>`, with a context for the channel it lives in."""
    word = (args.word(0) or "").lstrip("#")
    if not word.isdigit():
        raise UsageError("")
    d = await ctx.repo.get_deliverable(int(word))
    same_ws = d is not None and (d.channel.platform, d.channel.workspace_id) == (
        ctx.key.platform,
        ctx.key.workspace_id,
    )
    if d is None or not same_ws:
        ctx.say(ctx.t("There is no deliverable #{id}.", id=word))
        return None
    if d.channel == ctx.key:
        return ctx, d
    info = await ctx.repo.get_channel(d.channel) or ChannelInfo(key=d.channel)
    other = Ctx(
        ctx.services, info, ctx.actor, ctx.gateway, await ctx.repo.get_charter(d.channel), ctx.prefix, ctx.out
    )
    return other, d


async def complete(ctx: Ctx, args: Args) -> None:
    args.strict()
    found = await _target(ctx, args)
    if found is None:
        return
    if len(args.words) > 1 or not args.options:
        raise UsageError("")
    target_ctx, d = found
    await capture.complete(target_ctx, d, args.options)


async def withdraw(ctx: Ctx, args: Args) -> None:
    args.strict()
    if len(args.words) != 1:
        raise UsageError("")
    found = await _target(ctx, args)
    if found is None:
        return
    tctx, d = found
    if not can_edit(ctx.actor, d, tctx.is_owner):
        ctx.say(ctx.t("Only the person who tagged #{id} or an owner can change it.", id=d.id))
        return
    if d.status not in (Status.DRAFT, Status.COMPLETE):
        ctx.say(ctx.t("#{id} is already {status}.", id=d.id, status=ctx.t(d.status.value)))
        return
    assert d.id is not None
    d = await ctx.repo.update_deliverable(d.id, status=Status.WITHDRAWN, updated_at=ctx.now)
    ctx.say(ctx.t("Withdrawn: {line}", line=deliverable_line(ctx.t, d, tctx.charter)))


async def search(ctx: Ctx, args: Args) -> None:
    words = args.raw.strip()
    if not words:
        raise UsageError("")
    hits = await ctx.repo.search(ctx.key.platform, ctx.key.workspace_id, words, limit=60)
    allowed: dict[str, bool] = {}
    charters: dict[ChannelKey, Charter | None] = {}
    shown = []
    for hit in hits:
        ch = hit.deliverable.channel
        if hit.channel_is_private and ch != ctx.key:
            # Never show a private channel's deliverable to someone outside it.
            if ch.channel_id not in allowed:
                allowed[ch.channel_id] = await ctx.gateway.is_member(ch, ctx.actor.user_id)
            if not allowed[ch.channel_id]:
                continue
        where = f"#{hit.channel_name}" if hit.channel_name else f"<#{ch.channel_id}>"
        if ch not in charters:  # for the type labels; a few channels per search at most
            charters[ch] = await ctx.repo.get_charter(ch)
        shown.append(f"• {deliverable_line(ctx.t, hit.deliverable, charters[ch])} ({where})")
        if len(shown) == 20:
            break
    if not shown:
        ctx.say(ctx.t("Nothing matches “{words}”.", words=escape(words)))
        return
    ctx.say(ctx.t("Deliverables matching “{words}”:", words=escape(words)) + "\n" + "\n".join(shown))


async def export(ctx: Ctx, args: Args) -> None:
    args.strict()
    fmt = (args.word(0) or "csv").lower()
    if fmt not in exporting.FORMATS or len(args.words) > 1:
        raise UsageError(fmt)
    scope = (ctx.key.platform, ctx.key.workspace_id, ctx.key.channel_id)
    total = await ctx.repo.export_size(*scope)
    cap = CHAT_EXPORT_MAX_ROWS
    newest = cap if total > cap else None
    content, count = await exporting.to_text(ctx.repo.export_batches(*scope, newest=newest), fmt)
    name = f"outputs-{ctx.channel.name or ctx.key.channel_id}.{fmt}"
    mime = "application/json" if fmt == "json" else "text/csv"
    text = ctx.t.n("{count} deliverable exported.", "{count} deliverables exported.", count)
    if newest is not None:
        text = ctx.t(
            "This channel has {total} deliverables and an export in chat stops at {cap}: this file "
            "holds the newest {count}. For all of them, whoever runs Outputs can run "
            "`outputs-bot export --channel {channel}`.",
            count=ctx.t.number(count),
            total=ctx.t.number(total),
            cap=ctx.t.number(cap),
            channel=ctx.key.channel_id,
        )
    ctx.out.append(SendFile(ctx.actor.user_id, ctx.key.channel_id, name, content, mime, text))
