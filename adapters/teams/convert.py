"""Teams activities (the JSON the Bot Framework posts) → the engine's small values.

Pure functions over the activity as a dict in its wire form (camelCase), so that they are
tested against recorded activities without a server.
"""

from __future__ import annotations

import hashlib
import html
import re
from typing import Any

from bot.charter import ChannelKey
from bot.events import Actor
from bot.ports import ChannelInfo, MessageSnapshot

PLATFORM = "teams"
PREFIX = "@Outputs"  # how a command is typed in Teams: `@Outputs <command>`
NO_TENANT = "default"  # the Emulator and some test tools send no tenant at all
MAX_ID = 64  # the width of workspace, channel and user ids in the engine's tables

_AT = re.compile(r"<at\b[^>]*>(.*?)</at>", re.I | re.S)
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.I)
_TAG = re.compile(r"<[^>]+>")
_GLUED = re.compile(r"=\s+(<[@#])")
CONVERSATION_PREFIX = "19:"  # channels' and group chats' ids; people's are GUIDs or `29:…`
_SPACES = re.compile(r"[ \t\u00a0]+")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def conversation_type(activity: dict[str, Any]) -> str:
    """`personal`, `groupChat` or `channel`."""
    return _str(_dict(activity.get("conversation")).get("conversationType")) or "personal"


def tenant_id(activity: dict[str, Any]) -> str:
    channel_data = _dict(activity.get("channelData"))
    return fit(
        _str(_dict(channel_data.get("tenant")).get("id"))
        or _str(_dict(activity.get("conversation")).get("tenantId"))
        or NO_TENANT
    )


def conversation_id(activity: dict[str, Any]) -> str:
    """The conversation without the `;messageid=` of a thread: replies belong to their channel."""
    return _str(_dict(activity.get("conversation")).get("id")).split(";", 1)[0]


def fit(raw: str) -> str:
    """An id as the engine's tables keep it: as it is when it fits their 64 characters, else
    a digest of itself (the same id gives the same digest, so it still names one thing)."""
    if len(raw) <= MAX_ID:
        return raw
    return "~" + hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()


def channel_id(activity: dict[str, Any]) -> str:
    """The channel's key. Channel ids (`19:…@thread.tacv2`) are kept as they are; personal and
    meeting chat ids run past the 64 characters the tables keep for a channel, so those are
    replaced by a digest of themselves. Nothing is lost: posts go through the stored
    conversation reference, which holds the real id."""
    return fit(conversation_id(activity))


def team_id(activity: dict[str, Any]) -> str | None:
    return _str(_dict(_dict(activity.get("channelData")).get("team")).get("id")) or None


def key_of(activity: dict[str, Any]) -> ChannelKey:
    return ChannelKey(platform=PLATFORM, workspace_id=tenant_id(activity), channel_id=channel_id(activity))


def channel_info(activity: dict[str, Any]) -> ChannelInfo:
    data = _dict(activity.get("channelData"))
    channel = _dict(data.get("channel"))
    kind = conversation_type(activity)
    name = _str(channel.get("name")) or _str(_dict(activity.get("conversation")).get("name"))
    if kind == "channel" and not name and channel.get("id") == team_id(activity):
        name = "General"  # the team's first channel has the team's id and no name of its own
    membership = _str(channel.get("membershipType")).lower()
    # Chats are seen only by their members; so are private and shared channels.
    private = kind != "channel" or membership in ("private", "shared")
    return ChannelInfo(key=key_of(activity), name=name, is_private=private)


def user_id(account: dict[str, Any]) -> str:
    """People are known by their Entra (AAD) object id: the id admins configure and the one
    message payloads carry. The Bot Framework id (`29:…`) is the fallback."""
    return fit(_str(account.get("aadObjectId")) or _str(account.get("id")))


def actor(activity: dict[str, Any], owns_team: bool = False) -> Actor:
    """A team owner owns the team's channels, not the tenant (Teams' workspace): only the
    configured admins are workspace admins on Teams (the tenant-wide `rollup`)."""
    sender = _dict(activity.get("from"))
    return Actor(
        user_id=user_id(sender),
        owns_channel=owns_team,
        locale=_str(activity.get("locale")) or None,
        is_bot=_str(sender.get("role")) == "bot",
    )


def plain_text(content: str) -> str:
    """Teams HTML (or plain text) → the text a person wrote, mentions kept as names."""
    text = _BREAK.sub("\n", content)
    text = _AT.sub(lambda m: "@" + m.group(1), text)
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    return "\n".join(lines).strip()


def command_text(activity: dict[str, Any], known: dict[str, str] | None = None) -> str:
    """`<at>Outputs</at> owners add <at>Alice</at>` → `owners add <@alice-id>`: mentions of the
    bot are removed, other people's become the engine's `<@id>` (their Entra id when `known`
    maps their Bot Framework id to it), and a channel's (its id is a conversation id, `19:…`)
    the engine's `<#id>`, so `route=<at>General</at>` names that channel."""
    text = _str(activity.get("text"))
    bot_id = _str(_dict(activity.get("recipient")).get("id"))
    known = known or {}
    for entity in activity.get("entities") or []:
        entity = _dict(entity)
        mentioned = _dict(entity.get("mentioned"))
        shown, who = _str(entity.get("text")), _str(mentioned.get("id"))
        if entity.get("type") != "mention" or not shown or not who:
            continue
        if who == bot_id:
            text = text.replace(shown, " ")
        elif who.startswith(CONVERSATION_PREFIX):
            text = text.replace(shown, f"<#{who}>")
        else:
            text = text.replace(shown, f" <@{known.get(who, who)}> ")
    text = _GLUED.sub(r"=\1", text)  # `owner=<at>Alice</at>`: the value stays one word
    text = _BREAK.sub("\n", text)
    text = _TAG.sub(lambda m: m.group(0) if m.group(0).startswith(("<@", "<#")) else "", text)
    text = html.unescape(text).replace("\u00a0", " ")
    text = text.replace("\u201c", '"').replace("\u201d", '"')  # Teams "smart quotes"
    return " ".join(text.split())


def mentions_bot(activity: dict[str, Any]) -> bool:
    bot_id = _str(_dict(activity.get("recipient")).get("id"))
    return any(
        _dict(e).get("type") == "mention" and _dict(_dict(e).get("mentioned")).get("id") == bot_id
        for e in activity.get("entities") or []
    )


def card_submitted(activity: dict[str, Any]) -> bool:
    """A message that is an Adaptive Card's Action.Submit: its values, and no text."""
    return isinstance(activity.get("value"), dict) and not _str(activity.get("text")).strip()


def message_payload(activity: dict[str, Any]) -> dict[str, Any]:
    return _dict(_dict(activity.get("value")).get("messagePayload"))


def snapshot(payload: dict[str, Any]) -> MessageSnapshot | None:
    """The message a message action was invoked on (`value.messagePayload`)."""
    message_id = _str(payload.get("id"))
    if not message_id:
        return None
    sender = _dict(payload.get("from"))
    user = _dict(sender.get("user"))
    body = _dict(payload.get("body"))
    content = _str(body.get("content"))
    text = plain_text(content) if body.get("contentType", "html") == "html" else content.strip()
    return MessageSnapshot(
        message_id=message_id,
        text=text,
        author_id=_str(user.get("id")) or None,
        permalink=_str(payload.get("linkToMessage")) or None,
        thread_id=_str(payload.get("replyToId")) or None,
        is_bot=bool(sender.get("application")) and not user,
    )


def edited_snapshot(activity: dict[str, Any]) -> MessageSnapshot | None:
    """A `messageUpdate` activity: the message as it is now."""
    message_id = _str(activity.get("id"))
    if not message_id:
        return None
    sender = _dict(activity.get("from"))
    return MessageSnapshot(
        message_id=message_id,
        text=plain_text(_str(activity.get("text"))),
        author_id=user_id(sender) or None,
        is_bot=_str(sender.get("role")) == "bot",
    )


def card_values(activity: dict[str, Any]) -> dict[str, Any]:
    """What an Adaptive Card sent: `value` of a message (Action.Submit) or `value.action.data`
    of an `adaptiveCard/action` invoke (Action.Execute), or `value.data` of a task module."""
    value = _dict(activity.get("value"))
    if activity.get("type") == "invoke" and activity.get("name") == "adaptiveCard/action":
        return _dict(_dict(value.get("action")).get("data"))
    if "data" in value and isinstance(value["data"], dict):
        return value["data"]
    return value


def members(activity: dict[str, Any], field: str) -> list[dict[str, Any]]:
    return [_dict(m) for m in activity.get(field) or [] if isinstance(m, dict)]


def bot_in(activity: dict[str, Any], field: str) -> bool:
    bot = _str(_dict(activity.get("recipient")).get("id"))
    return any(m.get("id") == bot for m in members(activity, field))
