"""The command table and the one entry point that parses and runs a command."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.commands import (
    charter_cmds,
    deliverable_cmds,
    digest_cmds,
    directory_cmds,
    setup_form,
    type_cmds,
    web_cmds,
)
from bot.commands.grammar import MAX_COMMAND, Args, GrammarError, UsageError, parse_args
from bot.context import Ctx
from bot.i18n import N_
from bot.markup import escape
from bot.render import charter_text, how_to_tag

log = logging.getLogger(__name__)

Handler = Callable[[Ctx, Args], Awaitable[None]]


@dataclass(frozen=True)
class Command:
    name: str  # one or two words: "type add"
    syntax: str  # arguments after the name; keywords stay English everywhere
    summary: str  # translatable description
    handler: Handler
    owner: bool = False
    # Its answers show other channels' work or one person's own list: an adapter without
    # ephemeral replies (Teams) must not show them in a shared conversation.
    private: bool = False
    public_if: str | None = None  # the first argument that makes a private command's answers public

    def answers_privately(self, raw: str) -> bool:
        first = (raw.split() or [""])[0].lower()
        return self.private and (self.public_if is None or first != self.public_if)


def _c(
    name: str,
    syntax: str,
    summary: str,
    handler: Handler,
    owner: bool = False,
    private: bool = False,
    public_if: str | None = None,
) -> Command:
    return Command(name, syntax, summary, handler, owner, private, public_if)


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in [
        _c("help", "", N_("commands, and this channel's charter summary"), lambda ctx, a: help_cmd(ctx, a)),
        _c(
            "charter",
            "",
            N_("the charter: purpose, output types with form and target, schedule"),
            charter_cmds.show,
        ),
        _c("setup", "", N_("guided setup of the charter"), setup_form.setup, owner=True),
        _c("purpose", "<text>", N_("set the purpose"), charter_cmds.purpose, owner=True),
        _c(
            "type add",
            '<key> "<label>" [emoji=<name>] [fields=a,b,c?] [target=<n>/week|month] '
            '[route=<channel>] [description="…"]',
            N_("declare an output type (`?` marks an optional field)"),
            type_cmds.type_add,
            owner=True,
        ),
        _c(
            "type edit",
            '<key> ["<label>"] [emoji=<name>] [fields=a,b,c?] [target=<n>/week|month|none] '
            '[route=<channel>|none] [description="…"]',
            N_("change the parts of an output type you give; the rest is kept"),
            type_cmds.type_edit,
            owner=True,
        ),
        _c(
            "type remove",
            "<key>",
            N_("retire a type; its deliverables are kept"),
            type_cmds.type_remove,
            owner=True,
        ),
        _c(
            "schedule",
            "<mon…sun> <HH:MM> [<IANA timezone>] | off",
            N_("digest schedule"),
            charter_cmds.schedule,
            owner=True,
        ),
        _c("owners add", "<user>", N_("add a charter owner"), charter_cmds.owners_add, owner=True),
        _c("owners remove", "<user>", N_("remove a charter owner"), charter_cmds.owners_remove, owner=True),
        _c(
            "pause",
            "until <YYYY-MM-DD>",
            N_("no nudges and no digest until that day"),
            charter_cmds.pause,
            owner=True,
        ),
        _c("resume", "", N_("end a pause"), charter_cmds.resume, owner=True),
        _c(
            "language",
            "<en|fr> | me <en|fr>",
            N_(
                "the language of what the bot posts for the channel (owners); "
                "`me`: the language it writes to you in"
            ),
            charter_cmds.language,
        ),
        _c(
            "rollup",
            "here | off",
            N_("make this channel the workspace's roll-up channel, or stop it"),
            charter_cmds.rollup,
        ),
        _c(
            "deliver",
            "<type> <text or link> [field=value …]",
            N_("record a deliverable directly"),
            deliverable_cmds.deliver,
        ),
        _c(
            "list",
            "[<type>] [week|last-week|month|all]",
            N_("deliverables of this channel"),
            deliverable_cmds.list_cmd,
        ),
        _c("drafts", "", N_("my drafts and what each still needs"), deliverable_cmds.drafts, private=True),
        _c("complete", "<id> field=value …", N_("fill a draft's fields"), deliverable_cmds.complete),
        _c("withdraw", "<id>", N_("withdraw a deliverable"), deliverable_cmds.withdraw),
        _c(
            "digest",
            "[preview|post]",
            N_("the current period's digest (post: owners)"),
            digest_cmds.digest,
            private=True,  # a preview is the asker's alone; `post` is for the channel
            public_if="post",
        ),
        _c(
            "search",
            "<words>",
            N_("deliverables matching the words, across channels you may see"),
            deliverable_cmds.search,
            private=True,
        ),
        _c(
            "channels",
            "[<words>]",
            N_(
                "the directory: chartered channels you may see, what each produces and how it "
                "stands this period; with words, those whose purpose or types match"
            ),
            directory_cmds.channels,
            private=True,  # it shows other channels
        ),
        _c(
            "export",
            "[csv|json]",
            N_("this channel's deliverables as a file"),
            deliverable_cmds.export,
            owner=True,
            private=True,
        ),
        _c(
            "dashboard",
            "",
            N_("a link, for you alone, that signs you in to the web dashboard"),
            web_cmds.dashboard,
            private=True,
        ),
    ]
}
GROUPS = {name.split()[0] for name in COMMANDS if " " in name}


def usage(ctx: Ctx, cmd: Command) -> str:
    return f"`{ctx.prefix} {cmd.name}{' ' + cmd.syntax if cmd.syntax else ''}` — {ctx.t(cmd.summary)}"


def nearest(words: list[str]) -> Command | None:
    if not words:
        return None
    first = words[0].lower()
    if len(words) > 1 and f"{first} {words[1].lower()}" in COMMANDS:
        return COMMANDS[f"{first} {words[1].lower()}"]
    if first in GROUPS:
        sub = difflib.get_close_matches(
            words[1].lower() if len(words) > 1 else "",
            [n.split()[1] for n in COMMANDS if n.startswith(first + " ")],
            n=1,
            cutoff=0.0,
        )
        return COMMANDS[f"{first} {sub[0]}"] if sub else None
    if first in COMMANDS:
        return COMMANDS[first]
    names = sorted({n.split()[0] for n in COMMANDS})
    close = difflib.get_close_matches(first, names, n=1, cutoff=0.5)
    if close:
        return nearest([close[0], *words[1:]])
    return None


def _clean(text: str) -> str:
    # No database stores a NUL, and a lone surrogate cannot even be encoded: whatever the
    # surface (the console reads raw lines), the command is read as the text it can be.
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()


def resolve(text: str) -> tuple[Command | None, bool, str]:
    """The command `text` names (or the nearest), whether it names it exactly, and the
    arguments after its name."""
    words = text.split(None, 2)[:2]
    cmd = nearest(words) if words else COMMANDS["help"]
    exact = cmd is not None and (not words or " ".join(words[: len(cmd.name.split())]).lower() == cmd.name)
    if cmd is None or not exact:
        return cmd, False, ""
    rest = text.split(None, len(cmd.name.split()))
    return cmd, True, rest[len(cmd.name.split())] if len(rest) > len(cmd.name.split()) else ""


def answers_privately(text: str) -> bool:
    """Whether the answers to the command `text` are for the asker alone (see `Command.private`)."""
    cmd, exact, raw = resolve(_clean(text))
    return cmd is not None and exact and cmd.answers_privately(raw)


async def run_command(ctx: Ctx, text: str) -> None:
    text = _clean(text)
    if len(text) > MAX_COMMAND:
        ctx.say(ctx.t("That command is too long ({count} characters).", count=ctx.t.number(len(text))))
        return
    cmd, exact, raw = resolve(text)
    if cmd is None or not exact:
        _unknown(ctx, cmd)
        return
    if cmd.owner and not ctx.is_owner:
        ctx.say(ctx.t("Only owners of this channel's charter can use `{command}`.", command=cmd.name))
        return
    try:
        await cmd.handler(ctx, parse_args(raw))
    except GrammarError as exc:
        ctx.say(
            ctx.t(exc.template, **exc.values)
            + " "
            + ctx.t("Nothing was done. Usage: {usage}", usage=usage(ctx, cmd))
        )
    except UsageError as exc:
        if exc.reason:
            ctx.say(exc.reason + " " + ctx.t("Usage: {usage}", usage=usage(ctx, cmd)))
            return
        detail = f" ({escape(str(exc))})" if str(exc) else ""
        ctx.say(ctx.t("I could not read that{detail}. Usage: {usage}", detail=detail, usage=usage(ctx, cmd)))


def _unknown(ctx: Ctx, cmd: Command | None) -> None:
    if cmd is None:
        ctx.say(ctx.t("Unknown command. Try `{prefix} help`.", prefix=ctx.prefix))
    else:
        ctx.say(ctx.t("Unknown command. Did you mean: {usage}", usage=usage(ctx, cmd)))


async def help_cmd(ctx: Ctx, args: Args) -> None:
    t = ctx.t
    lines = [
        t("*Outputs* — every channel declares what it produces; the bot captures it and reports each week."),
        t("Commands (keywords stay in English):"),
    ]
    owners = " " + t("(owners)")
    lines += ["• " + usage(ctx, c) + (owners if c.owner else "") for c in COMMANDS.values()]
    if ctx.charter is not None:
        lines += ["", charter_text(t, ctx.charter), how_to_tag(t, ctx.charter, ctx.prefix)]
    else:
        lines += [
            "",
            t("This channel has no charter yet. An owner can run `{prefix} setup`.", prefix=ctx.prefix),
        ]
    ctx.say("\n".join(lines))
