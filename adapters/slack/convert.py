"""Slack payloads → engine facts: pure functions, tested against recorded real payloads.

Nothing here calls Slack. Listeners pick the facts out of a payload with these functions,
add what only the Web API knows (who the user is, what the channel is called) and build the
engine's event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.charter import ChannelKey
from bot.events import Actor
from bot.ports import ChannelInfo, MessageSnapshot

PLATFORM = "slack"

_ANGLE = re.compile(r"<([^<>]*)>")


def workspace_of(body: dict[str, Any]) -> str:
    """The workspace a payload belongs to: events carry `team_id`, interactions `team.id`."""
    team = body.get("team")
    candidates = [
        body.get("team_id"),
        team.get("id") if isinstance(team, dict) else None,
        (body.get("user") or {}).get("team_id") if isinstance(body.get("user"), dict) else None,
        body.get("enterprise_id"),
    ]
    return next((str(c) for c in candidates if c), "")


def channel_key(workspace_id: str, channel_id: str) -> ChannelKey:
    return ChannelKey(platform=PLATFORM, workspace_id=workspace_id, channel_id=channel_id)


def channel_info(workspace_id: str, channel_id: str, conversation: dict[str, Any] | None) -> ChannelInfo:
    """A `conversations.info` channel object as the engine's ChannelInfo; with nothing known
    (the lookup failed), a channel treated as private whose stored facts stay as they are."""
    if conversation is None:
        return ChannelInfo(key=channel_key(workspace_id, channel_id), is_private=True, privacy_known=False)
    c = conversation
    private = bool(c.get("is_private") or c.get("is_group") or c.get("is_im") or c.get("is_mpim"))
    return ChannelInfo(
        key=channel_key(workspace_id, channel_id),
        name=str(c.get("name") or ""),
        is_private=private,
        creator_id=c.get("creator") or None,
    )


def actor(user_id: str, user: dict[str, Any] | None) -> Actor:
    """A `users.info` user object (asked with include_locale) as the engine's Actor."""
    u = user or {}
    return Actor(
        user_id=user_id,
        is_workspace_admin=bool(u.get("is_admin") or u.get("is_owner") or u.get("is_primary_owner")),
        locale=u.get("locale") or None,
        is_bot=bool(u.get("is_bot")) or user_id == "USLACKBOT",
    )


def to_plain(text: str) -> str:
    """Slack message markup → the plain text a person reads (what capture records).

    `<@U1|ann>` → `@ann`, `<#C1|general>` → `#general`, `<!here>` → `@here`,
    `<https://x|label>` → `label (https://x)`, then `&lt; &gt; &amp;` unescaped. The engine
    escapes whatever it shows again, so nothing stored can ping or forge a link.
    """

    def one(m: re.Match[str]) -> str:
        inner = m.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            if label:
                return label
            word = target[1:].split("^", 1)[0]
            return "@" + word
        if label and label != target:
            return f"{label} ({target})"
        return target

    plain = _ANGLE.sub(one, text or "")
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def snapshot(message: dict[str, Any], permalink: str | None, bot_user_id: str | None) -> MessageSnapshot:
    """A message object (from history, replies or an event) as the engine's snapshot."""
    ts = str(message.get("ts") or "")
    thread_ts = message.get("thread_ts")
    user = message.get("user")
    is_bot = bool(
        message.get("bot_id")
        or message.get("subtype") == "bot_message"
        or (bot_user_id is not None and user == bot_user_id)
    )
    return MessageSnapshot(
        message_id=ts,
        text=to_plain(str(message.get("text") or "")),
        author_id=user or message.get("bot_id") or None,
        permalink=permalink,
        thread_id=str(thread_ts) if thread_ts and thread_ts != ts else None,
        is_bot=is_bot,
    )


@dataclass(frozen=True)
class ReactionFacts:
    channel_id: str
    user_id: str
    message_ts: str
    emoji: str


def reaction(event: dict[str, Any]) -> ReactionFacts | None:
    """`reaction_added` / `reaction_removed` on a message; None for files and odd payloads."""
    item = event.get("item") or {}
    if not isinstance(item, dict) or item.get("type") != "message":
        return None
    channel, ts, user, emoji = item.get("channel"), item.get("ts"), event.get("user"), event.get("reaction")
    if not (channel and ts and user and emoji):
        return None
    return ReactionFacts(str(channel), str(user), str(ts), str(emoji))


@dataclass(frozen=True)
class EditFacts:
    channel_id: str
    message: dict[str, Any]


def edited(event: dict[str, Any]) -> EditFacts | None:
    """`message_changed`: the message as it is now (its ts, when Slack leaves it out, is the
    previous message's)."""
    message = event.get("message")
    channel = event.get("channel")
    if not isinstance(message, dict) or not isinstance(channel, str) or not channel:
        return None
    previous = event.get("previous_message") or {}
    ts = message.get("ts") or previous.get("ts")
    if not ts:
        return None
    return EditFacts(str(channel), {**message, "ts": ts})


def deleted(event: dict[str, Any]) -> tuple[str, str] | None:
    """`message_deleted`: (channel, deleted message ts)."""
    channel = event.get("channel")
    ts = event.get("deleted_ts") or (event.get("previous_message") or {}).get("ts")
    return (channel, str(ts)) if isinstance(channel, str) and channel and ts else None


def joined(event: dict[str, Any]) -> tuple[str, str] | None:
    """`member_joined_channel`: (channel, user)."""
    channel, user = event.get("channel"), event.get("user")
    return (str(channel), str(user)) if channel and user else None


def command_text(command: dict[str, Any]) -> str:
    return str(command.get("text") or "")


def form_values(view: dict[str, Any]) -> dict[str, str]:
    """A submitted modal's inputs: block id → the text typed or the option chosen."""
    out: dict[str, str] = {}
    values = ((view.get("state") or {}).get("values")) or {}
    for block_id, actions in values.items():
        for element in (actions or {}).values():
            if not isinstance(element, dict):
                continue
            if "selected_option" in element:
                option = element.get("selected_option") or {}
                out[block_id] = str(option.get("value") or "")
            else:
                out[block_id] = str(element.get("value") or "")
    return out


@dataclass(frozen=True)
class ShortcutFacts:
    channel_id: str
    user_id: str
    message: dict[str, Any]
    trigger_id: str


def shortcut(body: dict[str, Any]) -> ShortcutFacts | None:
    """A message shortcut (`message_action`) payload."""
    channel = (body.get("channel") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    message = body.get("message")
    if not (channel and user and isinstance(message, dict) and message.get("ts")):
        return None
    return ShortcutFacts(str(channel), str(user), message, str(body.get("trigger_id") or ""))
