"""Charters as code: `outputs-bot charter apply FILE.toml` and `charter export`.

The file holds `[[charter]]` tables. `load` validates the whole file and reports every
problem with its place (the file's line, the charter's channel, the type's key) before
anything is changed.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

import tomli_w
from pydantic import ValidationError

from bot import emoji_names
from bot.charter import ChannelKey, Charter, Nudges, OutputType, RuleError, field_label, stamped
from bot.config import parse_schedule
from bot.context import Services
from bot.i18n import LANGUAGES
from bot.ports import ConflictError

_CHARTER_KEYS = {
    "platform",
    "workspace_id",
    "channel_id",
    "purpose",
    "owners",
    "timezone",
    "language",
    "schedule",
    "paused_until",
    "nudges",
    "types",
}
_TYPE_KEYS = {"key", "label", "emoji", "description", "fields", "target", "route"}
_TARGET = re.compile(r"^(\d{1,5})(?:/(week|month))?$")


class CharterFileError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


_TABLE = re.compile(r"^\s*\[\[\s*charter(\.types)?\s*\]\]")


def table_lines(text: str) -> list[tuple[int, list[int]]]:
    """Each `[[charter]]` table's line number, with its `[[charter.types]]` lines."""
    out: list[tuple[int, list[int]]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if m := _TABLE.match(line):
            if m.group(1) is None:
                out.append((n, []))
            elif out:
                out[-1][1].append(n)
    return out


def load(text: str, source: str = "charter file") -> list[Charter]:
    """Every charter of the file, or CharterFileError with every problem found, each named
    by its channel and line (`charters.toml:12: charter for C123, type idea: …`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CharterFileError([f"{source}: not valid TOML: {exc}"]) from exc
    unknown = set(data) - {"charter"}
    problems = [
        f"{source}: unknown top-level key {k!r} (expected [[charter]] tables)" for k in sorted(unknown)
    ]
    entries = data.get("charter", [])
    if not isinstance(entries, list):
        raise CharterFileError([f"{source}: 'charter' must be an array of tables ([[charter]])"])
    lines = table_lines(text)
    charters: list[Charter] = []
    seen: dict[ChannelKey, int] = {}
    for i, entry in enumerate(entries):
        line, type_lines = lines[i] if i < len(lines) else (0, [])
        place = Place(source, line, entry.get("channel_id") if isinstance(entry, dict) else None, type_lines)
        found, entry_problems = _charter(entry, place)
        problems += entry_problems
        if found is None:
            continue
        if found.channel in seen:
            problems.append(
                place.say(
                    f"channel {found.channel.channel_id} also has a charter at line {seen[found.channel]}"
                )
            )
        seen.setdefault(found.channel, line)
        charters.append(found)
    if problems:
        raise CharterFileError(problems)
    return charters


class Place:
    """Where a problem is: the file, the table's line, its channel, and its types' lines."""

    def __init__(self, source: str, line: int, channel: object, type_lines: list[int]) -> None:
        self.source, self.line, self.type_lines = source, line, type_lines
        self.name = f"charter for {channel}" if channel else "charter without channel_id"

    def say(self, problem: str, type_index: int | None = None, type_key: object = None) -> str:
        line = self.line
        where = self.name
        if type_index is not None:
            if type_index < len(self.type_lines):
                line = self.type_lines[type_index]
            where += f", type {type_key}" if type_key else f", type #{type_index + 1}"
        return f"{self.source}:{line}: {where}: {problem}" if line else f"{self.source}: {where}: {problem}"


def _charter(entry: Any, place: Place) -> tuple[Charter | None, list[str]]:
    if not isinstance(entry, dict):
        return None, [place.say("must be a table")]
    problems = [place.say(f"unknown key {k!r}") for k in sorted(set(entry) - _CHARTER_KEYS)]
    types: list[dict[str, Any]] = []
    raw_types = entry.get("types", [])
    for j, t in enumerate(raw_types if isinstance(raw_types, list) else []):
        found, type_problems = _type(t, place, j, entry.get("platform"))
        problems += type_problems
        if found is not None:
            types.append(found)
    for k in ("platform", "workspace_id", "channel_id"):
        if not isinstance(entry.get(k), str) or not entry.get(k):
            problems.append(place.say(f"{k} is required (text)"))
    language = entry.get("language", "en")
    if language not in LANGUAGES:
        problems.append(place.say(f"language {language!r} is not one of {', '.join(LANGUAGES)}"))
    schedule: Any = None
    sched = entry.get("schedule", "fri 16:00")
    if sched != "off":
        try:
            schedule = parse_schedule(str(sched))
        except ValueError as exc:
            problems.append(place.say(str(exc)))
    data = {
        "channel": {k: entry.get(k) for k in ("platform", "workspace_id", "channel_id")},
        "purpose": entry.get("purpose", ""),
        "owners": entry.get("owners", []),
        "timezone": entry.get("timezone", "UTC"),
        "language": language,
        "paused_until": entry.get("paused_until"),
        "nudges": entry.get("nudges", {}),
        "schedule": schedule,
        "types": [],
    }
    try:
        Charter.model_validate(data)
    except ValidationError as exc:
        problems += [place.say(_problem(e)) for e in exc.errors() if not _loc(e["loc"]).startswith("channel")]
    if problems:
        return None, problems
    try:  # the rules across types (unique keys and emoji), once each type is valid
        return Charter.model_validate({**data, "types": types}), []
    except ValidationError as exc:
        return None, [place.say(_problem(e)) for e in exc.errors()]


def _type(t: Any, place: Place, j: int, platform: object) -> tuple[dict[str, Any] | None, list[str]]:
    if not isinstance(t, dict):
        return None, [place.say("must be a table", j)]
    key = t.get("key")
    problems = [place.say(f"unknown key {k!r}", j, key) for k in sorted(set(t) - _TYPE_KEYS)]
    out = {k: v for k, v in t.items() if k in _TYPE_KEYS and k not in ("fields", "target", "emoji")}
    if "emoji" in t:
        out["emoji"] = emoji_names.from_pasted(str(t["emoji"])) or t["emoji"]
        unknown = _unknown_emoji(out["emoji"], platform)
        if unknown:
            problems.append(place.say(unknown, j, key))
    fields = t.get("fields", [])
    out["fields"] = [
        {"name": f.rstrip("?"), "label": field_label(f.rstrip("?")), "required": not f.endswith("?")}
        if isinstance(f, str)
        else f
        for f in (fields if isinstance(fields, list) else [])
    ]
    if not isinstance(fields, list):
        problems.append(place.say('fields must be a list of names, like ["problem", "area?"]', j, key))
    if "target" in t:
        m = _TARGET.match(str(t["target"]).strip())
        if m:
            out["target"] = {"count": int(m.group(1)), "per": m.group(2) or "week"}
        else:
            problem = f'target {t["target"]!r} must look like "3/week" or "2/month"'
            problems.append(place.say(problem, j, key))
    try:
        OutputType.model_validate(out)
    except ValidationError as exc:
        problems += [place.say(_problem(e), j, key) for e in exc.errors()]
    return (None if problems else out), problems


def _unknown_emoji(name: object, platform: object) -> str | None:
    """Why `name` can never tag, or None. Only a Slack workspace has emoji of its own, and
    they cannot be listed from here: a name that is not standard is taken as one of them."""
    if not isinstance(name, str) or not name or platform == "slack" or emoji_names.is_standard(name):
        return None
    near = emoji_names.close_to(name)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    return f"emoji {name!r} is not an emoji name{hint}"


def _problem(e: Any) -> str:
    """One validation error in words: the field, then the rule (never a Python message)."""
    where = _loc(e["loc"])
    cause = (e.get("ctx") or {}).get("error")
    if isinstance(cause, RuleError):
        return f"{where}: {cause}" if where else str(cause)
    if e["type"] == "missing":
        return f"{where} is required"
    return f"{where}: {e['msg']}"


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


HEADER = "# Outputs charters. Apply with: outputs-bot charter apply FILE.toml\n\n"


def dump(charters: list[Charter]) -> str:
    """The file `load` reads back to the same charters; defaults are left out to keep it short."""
    return HEADER + "\n".join(_charter_text(c) for c in charters)


def _charter_text(c: Charter) -> str:
    # tomli_w writes the values; the table headers are ours, because left to itself it inlines
    # a short type (`types = [{ … }]`), and the file should read one `[[charter.types]]` each,
    # the tables `load` names a problem's line by.
    parts = ["[[charter]]\n" + tomli_w.dumps(_table(c))]
    if c.nudges != Nudges():
        parts.append("[charter.nudges]\n" + tomli_w.dumps(c.nudges.model_dump()))
    parts += ["[[charter.types]]\n" + tomli_w.dumps(_type_table(t)) for t in c.types]
    return "\n".join(parts)


def _table(c: Charter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "platform": c.channel.platform,
        "workspace_id": c.channel.workspace_id,
        "channel_id": c.channel.channel_id,
        "purpose": c.purpose,
        "owners": list(c.owners),
        "timezone": c.timezone,
        "language": c.language,
        "schedule": str(c.schedule) if c.schedule else "off",
    }
    if c.paused_until is not None:
        out["paused_until"] = c.paused_until
    return out


def _type_table(t: OutputType) -> dict[str, Any]:
    out: dict[str, Any] = {"key": t.key, "label": t.label}
    for k, v in (("emoji", t.emoji), ("description", t.description), ("route", t.route)):
        if v:
            out[k] = str(v)
    if t.fields:
        out["fields"] = [f.name + ("" if f.required else "?") for f in t.fields]
    if t.target:
        out["target"] = str(t.target)
    return out


_NOT_COMPARED = {"version", "created_at", "updated_at", "updated_by", "schedule_since"}


async def apply(services: Services, charters: list[Charter], by: str, source: str) -> int:
    """Store each charter of a file as its channel's new version; return how many changed.

    Through the engine's own save path: the history keeps who and which file, and a running
    scheduler is told (`charter_changed`). A charter edited meanwhile in chat is read again
    and the file's version applied over it: the file is what the operator asked for.
    """
    changed = 0
    for c in charters:
        while True:
            current = await services.repo.get_charter(c.channel)
            now = services.clock.now()
            update = c.model_copy(
                update={
                    "version": current.version if current else 0,
                    "created_at": current.created_at if current else now,
                }
            )
            if current and _same(current, update):
                break
            try:
                await services.repo.save_charter(
                    stamped(update, current, now), by, f"charter apply {source}", now
                )
            except ConflictError:
                continue
            services.charter_changed(c.channel)
            changed += 1
            break
    return changed


def _same(a: Charter, b: Charter) -> bool:
    return a.model_dump(exclude=_NOT_COMPARED) == b.model_dump(exclude=_NOT_COMPARED)
