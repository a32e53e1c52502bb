"""Who may do what (docs/rules.md, "Who may do what"): the workspace-wide admin rule and who
owns a charter. Every such check in the engine goes through here."""

from __future__ import annotations

from collections.abc import Set

from bot.charter import Charter
from bot.deliverable import Deliverable
from bot.events import Actor
from bot.ports import ChannelInfo


def is_admin(actor: Actor, admins: Set[str]) -> bool:
    """Workspace admins, as the platform says (Slack's admins and owners; Teams has no such
    signal, its workspace being the whole tenant), and the admins listed in the
    configuration. They choose the roll-up channel and own every charter."""
    return actor.is_workspace_admin or actor.user_id in admins


def can_own(actor: Actor, channel: ChannelInfo, charter: Charter | None, admins: Set[str]) -> bool:
    """Charter owners; before a charter exists (or while it has no owner), the channel's
    creator; always admins (`is_admin`) and whoever the platform says owns the channel
    (a Teams team owner, for that team's channels only)."""
    if is_admin(actor, admins) or actor.owns_channel:
        return True
    if charter is not None and charter.owners:
        return actor.user_id in charter.owners
    return channel.creator_id is not None and actor.user_id == channel.creator_id


def can_edit(actor: Actor, d: Deliverable, is_owner: bool) -> bool:
    """A deliverable is changed by whoever tagged it, or by an owner."""
    return is_owner or actor.user_id == d.tagged_by
