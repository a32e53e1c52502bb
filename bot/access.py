"""Who may change a charter (SPEC "Commands": who is an owner)."""

from __future__ import annotations

from collections.abc import Set

from bot.charter import Charter
from bot.deliverable import Deliverable
from bot.events import Actor
from bot.ports import ChannelInfo


def can_own(actor: Actor, channel: ChannelInfo, charter: Charter | None, admins: Set[str]) -> bool:
    """Charter owners; before a charter exists (or while it has no owner), the channel's
    creator; always workspace admins and the admins listed in the configuration."""
    if actor.is_workspace_admin or actor.user_id in admins:
        return True
    if charter is not None and charter.owners:
        return actor.user_id in charter.owners
    return channel.creator_id is not None and actor.user_id == channel.creator_id


def can_edit(actor: Actor, d: Deliverable, is_owner: bool) -> bool:
    """A deliverable is changed by whoever tagged it, or by an owner."""
    return is_owner or actor.user_id == d.tagged_by
