"""App Home: the user's drafts to complete, their recent deliverables, and the channels they
own with this period's status, in the user's language."""

from __future__ import annotations

from typing import Any

from adapters.slack import blocks
from adapters.slack.convert import PLATFORM
from bot.context import Services
from bot.home import OwnedChannel, home
from bot.i18n import Translator
from bot.markup import escape
from bot.render import STATUS_MARK, deliverable_line

MAX_DRAFTS = 10
MAX_RECENT = 10
MAX_CHANNELS = 15
MAX_HOME_BLOCKS = 100


async def home_view(services: Services, t: Translator, workspace: str, user_id: str) -> dict[str, Any]:
    view = await home(services, PLATFORM, workspace, user_id, recent=MAX_RECENT, owned=MAX_CHANNELS)
    drafts, recent = view.drafts, view.recent
    out: list[blocks.Block] = [{"type": "header", "text": blocks.plain("Outputs", 150)}]  # the name

    out.append(blocks.section("*" + t("Drafts to complete") + "*"))
    if not drafts:
        out.append(_note(t("No drafts waiting for you.")))
    for d in drafts[:MAX_DRAFTS]:
        section = blocks.section(deliverable_line(t, d)[: blocks.MAX_SECTION])
        section["accessory"] = {
            "type": "button",
            "action_id": blocks.OPEN_FORM,
            "value": str(d.id),
            "text": blocks.plain(t("Complete the form"), blocks.MAX_BUTTON),
        }
        out.append(section)
    if len(drafts) > MAX_DRAFTS:
        out.append(_note(t.n("…and {count} more", "…and {count} more", len(drafts) - MAX_DRAFTS)))

    out += [{"type": "divider"}, blocks.section("*" + t("Your recent deliverables") + "*")]
    if not recent:
        out.append(_note(t("Nothing recorded yet.")))
    out += [blocks.section(deliverable_line(t, d)[: blocks.MAX_SECTION]) for d in recent]

    out += [{"type": "divider"}, blocks.section("*" + t("Channels you own") + "*")]
    if not view.owned:
        out.append(_note(t("You own no channel charter.")))
    out += [blocks.section(_channel_status(t, owned)) for owned in view.owned]
    return {"type": "home", "blocks": out[:MAX_HOME_BLOCKS]}


def _channel_status(t: Translator, owned: OwnedChannel) -> str:
    lines = [f"<#{owned.charter.channel.channel_id}> — " + t("this period")]
    for line in owned.digest.lines:
        target = f"/{line.target.count}" if line.target else ""
        lines.append(f"{STATUS_MARK[line.status]} {escape(line.label)}: {line.produced}{target}")
    if not owned.digest.lines:
        lines.append(t("No output types declared yet."))
    return "\n".join(lines)[: blocks.MAX_SECTION]


def _note(text: str) -> blocks.Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
