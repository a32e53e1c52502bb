"""Plain text (in the engine's neutral markup) for charters, deliverables and digests.

Every adapter can show these texts as they are; Slack and Teams also build richer layouts
from the same models, with the same catalogue strings.
"""

from __future__ import annotations

from datetime import timedelta

from bot.charter import Charter, OutputType
from bot.deliverable import Deliverable, Status
from bot.digest import Digest, TypeLine
from bot.i18n import N_, Translator
from bot.markup import escape, link, mention

STATUS_MARK = {"met": "✅", "behind": "🟡", "nothing": "🔴", "produced": "▫️"}
STATUS_WORD = {
    "met": N_("met"),
    "behind": N_("behind"),
    "nothing": N_("nothing"),
    "produced": N_("no target"),
}
DELIVERABLE_STATUS = {
    Status.DRAFT: N_("draft"),
    Status.COMPLETE: N_("complete"),
    Status.WITHDRAWN: N_("withdrawn"),
    Status.DELETED: N_("deleted"),
}


def target_text(t: Translator, ot: OutputType) -> str:
    if ot.target is None:
        return t("no target")
    if ot.target.per == "week":
        return t.n("{count} per week", "{count} per week", ot.target.count)
    return t.n("{count} per month", "{count} per month", ot.target.count)


def type_summary(t: Translator, ot: OutputType) -> str:
    emoji = f":{ot.emoji}: " if ot.emoji else ""
    fields = ", ".join(f.name + ("" if f.required else "?") for f in ot.fields)
    parts = [f"{emoji}*{escape(ot.label)}* (`{ot.key}`) — {target_text(t, ot)}"]
    if fields:
        parts.append(t("fields: {fields}", fields=fields))
    if ot.route:
        parts.append(t("announced in {channel}", channel=f"<#{ot.route}>"))
    line = " · ".join(parts)
    if ot.description:
        line += "\n    " + escape(ot.description)
    return line


def schedule_text(t: Translator, charter: Charter) -> str:
    if charter.schedule is None:
        return t("no digest (schedule off)")
    s = charter.schedule
    return t(
        "every {weekday} at {time} ({timezone})",
        weekday=t.weekday(s.weekday),
        time=s.at.strftime("%H:%M"),
        timezone=charter.timezone,
    )


def charter_text(t: Translator, charter: Charter) -> str:
    lines = [t("*Charter* (version {version})", version=charter.version)]
    lines.append(t("Purpose: {purpose}", purpose=escape(charter.purpose) or t("(not set)")))
    if charter.types:
        lines.append(t("This channel produces:"))
        lines += ["• " + type_summary(t, ot) for ot in charter.types]
    else:
        lines.append(t("No output types declared yet."))
    lines.append(t("Digest: {schedule}", schedule=schedule_text(t, charter)))
    owners = ", ".join(mention(o) for o in charter.owners) or t("(none)")
    lines.append(t("Owners: {owners}", owners=owners))
    if charter.paused_until:
        lines.append(t("Paused until {day}", day=t.short_day(charter.paused_until)))
    return "\n".join(lines)


def how_to_tag(t: Translator, charter: Charter, prefix: str) -> str:
    emojis = [f":{ot.emoji}:" for ot in charter.types if ot.emoji]
    text = t("Record a deliverable with `{prefix} deliver <type> <text>`", prefix=prefix)
    if emojis:
        text += t(", or react to a message with {emojis}", emojis=" ".join(emojis))
    return text + "."


def deliverable_line(t: Translator, d: Deliverable, charter: Charter | None = None) -> str:
    ot = charter.type(d.type) if charter else None
    label = ot.label if ot else d.type
    title = escape(d.title) if d.title else t("(no text)")
    status = t(DELIVERABLE_STATUS[d.status])
    by = mention(d.author_id or d.tagged_by)
    return f"#{d.id} [{escape(label)}] {link(d.permalink, title)} — {by} · {status}"


def missing_text(t: Translator, missing: list[str] | tuple[str, ...]) -> str:
    return t("still needs: {fields}", fields=", ".join(missing))


def digest_text(t: Translator, dg: Digest) -> str:
    c = dg.charter
    tz = c.tz
    start, end = dg.period.start.astimezone(tz), dg.period.end.astimezone(tz)
    last_day = (end - timedelta(microseconds=1)).date()
    name = f"#{dg.channel_name}" if dg.channel_name else t("this channel")
    out = [t("*What we produced* in {channel}, {span}", channel=name, span=t.span(start.date(), last_day))]
    if dg.late:
        out.append(t("_Posted late: the bot was not running when this digest was due._"))
    if dg.missed:
        out.append(
            t.n("{count} earlier digest was missed.", "{count} earlier digests were missed.", dg.missed)
        )
    if c.purpose:
        out.append(t("Purpose: {purpose}", purpose=escape(c.purpose)))
    if dg.nothing:
        declared = t.list([escape(ot.label) for ot in c.types]) or t("(no output types)")
        out.append(t("*Nothing was produced this period.* This channel declared: {types}.", types=declared))
    for line in dg.lines:
        out.append(_type_line(t, line))
    if dg.items:
        out.append(t("*Completed*"))
        out += ["• " + deliverable_line(t, d, c) for d in dg.items]
        if dg.more:
            out.append(t.n("…and {count} more", "…and {count} more", dg.more))
    if dg.drafts or dg.more_drafts:
        out.append(t("*Drafts waiting*"))
        for dl in dg.drafts:
            d = dl.deliverable
            out.append(
                f"• #{d.id} {escape(d.title) or t('(no text)')} — {mention(d.tagged_by)}: "
                + missing_text(t, dl.missing)
            )
        if dg.more_drafts:
            out.append(t.n("…and {count} more draft", "…and {count} more drafts", dg.more_drafts))
    if dg.contributors:
        out.append(t("Contributors: {people}", people=" ".join(mention(u) for u in dg.contributors)))
    return "\n".join(out)


def _type_line(t: Translator, line: TypeLine) -> str:
    mark = STATUS_MARK[line.status]
    word = t(STATUS_WORD[line.status])
    if line.target is None:
        count = t.number(line.produced)
    elif line.target.per == "month":
        count = t(
            "{produced}/{target} this month",
            produced=t.number(line.produced),
            target=t.number(line.target.count),
        )
    else:
        count = f"{t.number(line.produced)}/{t.number(line.target.count)}"
    text = t("{label}: {count} ({status})", label=escape(line.label), count=count, status=word)
    return f"{mark} {text}  `{line.sparkline}`"
