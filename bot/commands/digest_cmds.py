"""`digest [preview|post]`: the current period's digest, so far."""

from __future__ import annotations

from dataclasses import replace

from bot import capture
from bot.commands.grammar import Args, UsageError
from bot.context import Ctx
from bot.digests import as_reply, compute, current_period
from bot.events import Audience


async def digest(ctx: Ctx, args: Args) -> None:
    args.strict()
    mode = (args.word(0) or "preview").lower()
    if mode not in ("preview", "post") or len(args.words) > 1:
        raise UsageError(mode)
    charter = ctx.charter
    if charter is None:
        capture.no_charter(ctx)
        return
    if mode == "post" and not ctx.is_owner:
        ctx.say(ctx.t("Only owners of this channel's charter can use `{command}`.", command="digest post"))
        return
    previous = None
    if charter.schedule_since is not None:  # only a changed schedule can cut a period short
        previous = (await ctx.repo.last_digest_ends()).get(charter.channel)
    period = current_period(charter, ctx.now, previous)
    reply = as_reply(await compute(ctx.services, charter, period))
    if mode == "preview":
        # Exactly what would be posted (the charter's language), shown only to the asker.
        ctx.out.append(replace(reply, audience=Audience.EPHEMERAL, user_id=ctx.actor.user_id))
    else:
        ctx.out.append(reply)
