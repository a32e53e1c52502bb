"""`dashboard`: a private, one-time link that signs the asker in to the web dashboard."""

from __future__ import annotations

from bot import directory, signin
from bot.commands.grammar import Args, UsageError
from bot.context import Ctx
from bot.directory import Viewer
from bot.markup import escape


def _minutes() -> int:
    return int(signin.LINK_LIFE.total_seconds() // 60)


async def dashboard(ctx: Ctx, args: Args) -> None:
    args.strict()
    if args.words:
        raise UsageError(args.raw.strip())
    base = ctx.settings.public_url.strip().rstrip("/")
    if not base:
        ctx.say(
            ctx.t(
                "The web dashboard is not set up yet: whoever runs Outputs must set its public "
                "address, `[server] public_url` in the configuration file (environment variable "
                "`OUTPUTS_SERVER__PUBLIC_URL`)."
            )
        )
        return
    key = ctx.key
    # Asked now, from the platform: the session shows the private channels the person is in
    # at this moment (docs/rules.md rule 13).
    memberships = await directory.private_memberships(
        ctx.services, ctx.gateway, key.platform, key.workspace_id, ctx.actor.user_id
    )
    viewer = Viewer(
        platform=key.platform,
        workspace_id=key.workspace_id,
        user_id=ctx.actor.user_id,
        language=ctx.t.lang,
        private_channels=memberships,
    )
    token = await signin.issue_link(ctx.services, viewer)
    ctx.say(
        ctx.t(
            "Your link to the web dashboard, for you alone: valid {minutes} minutes and usable once.\n{url}",
            minutes=_minutes(),
            # angle brackets: a link whole, so no `_` in the token is read as italics
            url=f"<{escape(base)}/dashboard/signin?token={token}>",
        )
    )
