"""Running the shell on a built app: script lines first, then standard input."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterable

from adapters.console.shell import Shell
from adapters.console.world import PLATFORM, MovableClock
from adapters.runtime import Runtime
from bot.charter import ChannelKey
from bot.events import Reply
from bot.markup import to_plain


async def run_shell(
    app: Runtime, clock: MovableClock, script: Iterable[str], *, interactive_rest: bool = True
) -> Shell:
    """`app` was built on `clock` (the engine reads time from it, so `:time +3d` moves everything)."""
    user = app.settings.console.user
    shell = Shell(app.engine, app.console_messages, clock, print, user=user, prefix="/outputs")
    await shell.start()
    tty = sys.stdin.isatty()
    for line in script:
        if shell.done:
            break
        print(f"{shell.prompt}{line}")
        await shell.line(line)
    if interactive_rest and not shell.done:
        if tty:
            print("Outputs console. Type :help for the console lines, /outputs help for commands.")
        while not shell.done:
            if tty:
                print(shell.prompt, end="", flush=True)
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                break
            if not tty:
                print(f"{shell.prompt}{line.rstrip()}")
            await shell.line(line)
    return shell


class PrintPoster:
    """`outputs-bot digest` on the console: the digest is printed."""

    platforms = frozenset({PLATFORM})

    async def post(self, reply: Reply, channel: ChannelKey) -> str:
        print(self.render(reply, channel))
        return "printed"

    @staticmethod
    def render(reply: Reply, channel: ChannelKey) -> str:
        return PrintPoster.render_text(reply.text, channel)

    @staticmethod
    def render_text(text: str, channel: ChannelKey) -> str:
        return f"[{channel.platform} #{channel.channel_id}]\n{to_plain(text)}\n"
