"""`channels [<words>]`: the directory of chartered channels the asker may see."""

from __future__ import annotations

from bot import directory
from bot.commands.grammar import Args
from bot.context import Ctx
from bot.digest import status_of
from bot.directory import ChannelStanding, TypeStanding, Viewer
from bot.i18n import Translator
from bot.markup import escape
from bot.render import STATUS_MARK

MAX_CHANNELS = 20
PURPOSE_CHARS = 80


def shorten(text: str, limit: int = PURPOSE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _type_text(t: Translator, ts: TypeStanding) -> str:
    target = ts.type.target
    mark = STATUS_MARK[status_of(ts.produced, target)]
    if target is None:
        count = t.number(ts.produced)
    elif target.per == "month":
        count = t(
            "{produced}/{target} this month", produced=t.number(ts.produced), target=t.number(target.count)
        )
    else:
        count = f"{t.number(ts.produced)}/{t.number(target.count)}"
    return f"{mark} {escape(ts.type.label)} {count}"


def channel_line(t: Translator, s: ChannelStanding) -> str:
    name = f"#{escape(s.channel.name)}" if s.channel.name else f"<#{s.channel.key.channel_id}>"
    parts = [name]
    if s.charter.purpose:
        parts.append(escape(shorten(s.charter.purpose)))
    types = " · ".join(_type_text(t, ts) for ts in s.types) or t("no output types declared yet")
    return "• " + " — ".join(parts) + "\n    " + types


async def channels(ctx: Ctx, args: Args) -> None:
    words = args.raw.strip()
    key = ctx.key
    memberships = await directory.private_memberships(
        ctx.services, ctx.gateway, key.platform, key.workspace_id, ctx.actor.user_id
    )
    # the channel the command runs in is one the asker is in, private or not
    here = {key.channel_id} if ctx.channel.is_private else set()
    viewer = Viewer(
        platform=key.platform,
        workspace_id=key.workspace_id,
        user_id=ctx.actor.user_id,
        language=ctx.t.lang,
        private_channels=memberships | here,
    )
    found = await directory.directory(ctx.services, viewer, words)
    t = ctx.t
    if not found:
        if words:
            ctx.say(t("No channel you can see has a charter matching “{words}”.", words=escape(words)))
        else:
            ctx.say(
                t(
                    "No channel you can see has a charter yet. In a channel, an owner can declare one "
                    "with `{prefix} setup`.",
                    prefix=ctx.prefix,
                )
            )
        return
    if words:
        head = t("Channels matching “{words}”, and how each stands this period:", words=escape(words))
    else:
        head = t("Channels with a charter, and how each stands this period:")
    lines = [head] + [channel_line(t, s) for s in found[:MAX_CHANNELS]]
    if len(found) > MAX_CHANNELS:
        more = len(found) - MAX_CHANNELS
        lines.append(
            t.n(
                "…and {count} more channel: add words to narrow it down.",
                "…and {count} more channels: add words to narrow it down.",
                more,
            )
        )
    ctx.say("\n".join(lines))
