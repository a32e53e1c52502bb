"""The neutral markup of engine text, and escaping of what people typed.

Engine text uses Slack's conventions because they are unambiguous: `<@U123>` for a
person, `<https://…|label>` for a link, `*bold*`, and `&lt; &gt; &amp;` escapes. Adapters
translate these to their platform (the console prints names, Teams writes Markdown).
Everything a person typed is escaped on the way in, so a title cannot ping `@channel`,
forge a mention or hide a link.
"""

from __future__ import annotations

import re

_MENTION = re.compile(r"<@([^>|]+)>")
_CHANNEL = re.compile(r"<#([^>|]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^>|]+)(?:\|([^>]*))?>")


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "?"


def link(url: str | None, label: str) -> str:
    if not url or not url.startswith(("http://", "https://")):
        return label
    return f"<{url}|{label.replace('|', '¦')}>"


def to_plain(text: str, name_of: dict[str, str] | None = None) -> str:
    """Console / log rendering: names for mentions, `label (url)` for links."""
    names = name_of or {}
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    return unescape(text)


def to_markdown(text: str, name_of: dict[str, str] | None = None) -> str:
    """Markdown rendering (Teams): `[label](url)`, names for mentions, `**bold**`."""
    names = name_of or {}
    text = _MENTION.sub(lambda m: names.get(m.group(1), m.group(1)), text)
    text = _LINK.sub(lambda m: f"[{m.group(2) or m.group(1)}]({m.group(1)})", text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"**\1**", text)
    return unescape(text)
