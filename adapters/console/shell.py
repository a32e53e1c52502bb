"""`outputs-bot shell`: the console adapter, one line at a time.

Lines: `/outputs …` runs a command; `+:emoji: #12` / `-:emoji: #12` adds / removes a
reaction; `:user NAME`, `:channel NAME [private]`, `:lang fr`, `:time +3d`, `:edit #12 text`,
`:delete #12`, `:help`, `:quit`; `# text` is a comment (scripts narrate with it); anything
else is a message from the current user.

Messages are shown as `m12` and deliverables as `#12`, so the two kinds of id are never
mistaken for each other; a console line naming a message accepts `m12`, `#12` and `12`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta

from adapters.console.world import PLATFORM, WORKSPACE, Channel, ConsoleGateway, MovableClock, key
from bot.charter import ChannelKey
from bot.digests import Poster
from bot.engine import Engine
from bot.events import (
    Actor,
    Audience,
    CommandInvoked,
    Event,
    MemberJoined,
    MessageDeleted,
    MessageEdited,
    OpenForm,
    Outbound,
    ReactionAdded,
    ReactionRemoved,
    Reply,
    SendFile,
)
from bot.i18n import N_, Translator, translator
from bot.markup import to_plain
from bot.passes import next_wakeup, run_pass
from bot.platform_ports import ConsoleMessage, ConsoleMessageStore

HELP = N_("""\
Console lines:
  /outputs <command>      run a command (try /outputs help)
  <any text>              post a message as the current user; its id is shown (m12)
  +:emoji: m12            add a reaction to message 12;  -:emoji: m12 removes it
                          (#12 and 12 name message 12 too; deliverables are #N in replies)
  :user NAME [en|fr]      act as NAME (admin is a workspace admin; others are members)
  :channel NAME [private] switch to (or create) a channel
  :lang en|fr             the current user's language (as /outputs language me en|fr)
  :time [+3d|+4h|+30m]    show or move the clock; digests that fall due are posted
  :edit m12 new text      edit message 12;  :delete m12 deletes it
  # some words            a comment: not posted
  :help  :quit""")

_REACTION = re.compile(r"^([+-]):([a-z0-9_+'\-]+(?:::[a-z0-9_-]+)?):\s+(\S+)\s*$", re.I)
_MESSAGE_ID = re.compile(r"^[#m]?(\d+)$", re.I)
_DELTA = re.compile(r"^\+(\d+)([dhm])$")
ADMIN = "admin"

log = logging.getLogger(__name__)


class Shell:
    def __init__(
        self,
        engine: Engine,
        messages: ConsoleMessageStore,
        clock: MovableClock,
        write: Callable[[str], None],
        *,
        user: str = ADMIN,
        prefix: str = "/outputs",
    ) -> None:
        self.engine = engine
        self.messages = messages
        self.clock = clock
        self.write = write
        self.prefix = prefix
        self.channels: dict[str, Channel] = {}
        self.langs: dict[str, str] = {}
        self.user = user
        self.admin = user
        self.channel = "general"
        self.gateway = ConsoleGateway(messages, self.channels)
        self.done = False

    @property
    def t(self) -> Translator:
        """The console's own lines are in the current user's language."""
        return translator(self.langs.get(self.user))

    @property
    def prompt(self) -> str:
        return f"{self.user}@#{self.channel}> "

    async def start(self) -> None:
        await self._enter(self.channel)

    def actor(self) -> Actor:
        return Actor(self.user, is_workspace_admin=self.user == self.admin, locale=self.langs.get(self.user))

    async def line(self, text: str) -> None:
        text = text.rstrip("\n")
        if not text.strip():
            return
        try:
            await self._line(text.strip())
        except Exception:  # the shell never dies on one bad line; the log has the details
            log.exception("console line failed: %s", text[:200])
            self.write(self.t("! Something went wrong with that line; nothing was changed."))

    async def _line(self, text: str) -> None:
        ch = self.channels[self.channel].info()
        if text == self.prefix or text.startswith(self.prefix + " "):
            await self._send(CommandInvoked(ch, self.actor(), text[len(self.prefix) :], self.prefix))
        elif m := _REACTION.match(text):
            sign, emoji, named = m.groups()
            row = await self._message(named)
            if row is None:
                return
            if row.channel_id != self.channel:
                self.write(self.t("(no message {id} in #{channel})", id=named, channel=self.channel))
                return
            cls = ReactionAdded if sign == "+" else ReactionRemoved
            await self._send(cls(ch, self.actor(), str(row.id), emoji))
        elif text.startswith(":"):
            await self._meta(text)
        elif text == "#" or text.startswith("# "):
            pass  # a comment: the script's echo already showed it
        else:
            mid = await self.messages.add(WORKSPACE, self.channel, self.user, text, at=self.clock.now())
            self.write(f"m{mid}")

    async def _message(self, named: str) -> ConsoleMessage | None:
        """The message named `m12`, `#12` or `12`, or None (said so when it never existed)."""
        m = _MESSAGE_ID.match(named)
        row = await self.messages.get(int(m.group(1))) if m else None
        if row is None or row.deleted:
            self.write(self.t("(no message {id})", id=named))
            return None
        return row

    async def _meta(self, text: str) -> None:
        word, _, rest = text[1:].partition(" ")
        rest = rest.strip()
        match word:
            case "help":
                self.write(self.t(HELP))
            case "quit" | "exit" | "q":
                self.done = True
            case "user" if rest:
                self.user, *lang = rest.split()
                if lang:  # before entering: the welcome is then in that language
                    self.langs[self.user] = lang[0]
                    ch = self.channels[self.channel].info()
                    await self._send(CommandInvoked(ch, self.actor(), f"language me {lang[0]}", self.prefix))
                await self._enter(self.channel)
                self.write(self.t("(you are {user})", user=self.user))
            case "channel" if rest:
                name, *flags = rest.lstrip("#").split()
                await self._enter(name, private="private" in flags)
                self.write(self.t("(in #{channel})", channel=self.channel))
            case "lang" if rest:
                self.langs[self.user] = rest
                ch = self.channels[self.channel].info()
                await self._send(CommandInvoked(ch, self.actor(), f"language me {rest}", self.prefix))
            case "time":
                await self._time(rest)
            case "edit" if rest:
                mid, _, new = rest.partition(" ")
                await self._edit(mid, new)
            case "delete" if rest:
                await self._delete(rest.split()[0])
            case _:
                self.write(self.t("Unknown console line. Type :help"))

    async def _enter(self, name: str, private: bool = False) -> None:
        self.channel = name
        new = name not in self.channels
        if new:
            self.channels[name] = Channel(name, private=private, creator=self.user)
        ch = self.channels[name]
        if self.user not in ch.members:
            ch.members.add(self.user)
            await self._send(MemberJoined(ch.info(), self.actor()))

    async def _edit(self, named: str, text: str) -> None:
        row = await self._message(named)
        if row is None:
            return
        await self.messages.edit(row.id, text)
        snapshot = await self.gateway.fetch_message(key(row.channel_id), str(row.id))
        assert snapshot is not None
        await self._send(MessageEdited(self.channels[row.channel_id].info(), snapshot))
        self.write(self.t("(edited m{id})", id=row.id))

    async def _delete(self, named: str) -> None:
        row = await self._message(named)
        if row is None:
            return
        await self.messages.delete(row.id)
        await self._send(MessageDeleted(self.channels[row.channel_id].info(), str(row.id)))
        self.write(self.t("(deleted m{id})", id=row.id))

    async def _time(self, rest: str) -> None:
        target = self.clock.now()
        if rest:
            m = _DELTA.match(rest)
            if not m:
                self.write(self.t("Usage: :time +3d (or +4h, +30m)"))
                return
            n, unit = int(m.group(1)), m.group(2)
            target += timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: n})
        # Step through each digest and nudge time on the way, as a running scheduler would.
        while (when := await next_wakeup(self.engine.services, self.clock.now())) and when <= target:
            self.clock.set(when)
            await self._post_due()
        self.clock.set(target)
        self.write(self.t("(now {when} UTC)", when=self.t.when(self.clock.now())))
        await self._post_due()

    async def _post_due(self) -> None:
        """Digests, nudges and roll-ups that are due: the console poster prints them."""
        report = await run_pass(self.engine.services, ConsolePoster(self), self.clock.now())
        for outcome in report.digests:
            if outcome.status == "failed":
                self.write(
                    self.t(
                        "! digest for #{channel} failed: {error}",
                        channel=outcome.charter.channel.channel_id,
                        error=outcome.error,
                    )
                )

    async def _send(self, event: Event) -> None:
        for out in await self.engine.handle(event, self.gateway):
            self.show(out)

    def show(self, out: Outbound) -> None:
        match out:
            case Reply(audience=Audience.EPHEMERAL):
                self.write(_indent(self.t("(only {user}) ", user=out.user_id), to_plain(out.text)))
            case Reply(audience=Audience.DIRECT):
                self.write(_indent(self.t("(private to {user}) ", user=out.user_id), to_plain(out.text)))
            case Reply():
                self.write(_indent(f"[#{out.channel_id}] Outputs: ", to_plain(out.text)))
            case OpenForm():
                self.write(
                    _indent(self.t("(form for {user}) ", user=out.user_id), to_plain(out.text or out.title))
                )
            case SendFile():
                head = self.t("(file for {user}: {name}) ", user=out.user_id, name=out.filename)
                self.write(f"{head}{to_plain(out.text)}\n{out.content}")


class ConsolePoster(Poster):
    """Digests 'posted' in the console are printed, with a message id like any other."""

    platforms = frozenset({PLATFORM})

    def __init__(self, shell: Shell) -> None:
        self.shell = shell

    async def post(self, reply: Reply, channel: ChannelKey) -> str:
        self.shell.show(reply)
        return str(
            await self.shell.messages.add(
                channel.workspace_id, reply.channel_id, "outputs", reply.text, at=self.shell.clock.now()
            )
        )


def _indent(head: str, body: str) -> str:
    pad = " " * 2
    lines = body.splitlines() or [""]
    return head + lines[0] + "".join("\n" + pad + line for line in lines[1:])
