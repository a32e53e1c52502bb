"""Which commands must take effect in the order they arrived (docs/rules.md rule 11).

Commands that change a channel's charter (the owners' commands) are ordered by that
channel: ten of them sent one after another apply one after another, never two at once
(which would refuse one as "changed while you were editing"). Everything else (help,
list, search, deliver…) runs as soon as a worker is free.
"""

from __future__ import annotations

from bot.commands.dispatch import nearest


def changes_charter(text: str) -> bool:
    """Whether the command `text` (what follows the command prefix) is an owner's command."""
    cmd = nearest(text.split()[:2])
    return cmd is not None and cmd.owner
