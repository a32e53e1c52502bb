"""Charters as code: `outputs-bot charter apply FILE.toml` and `charter export`.

The file holds `[[charter]]` tables. `load` validates the whole file and reports every
problem with its place (`charter[2].types[0].target`) before anything is changed.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from typing import Any

from pydantic import ValidationError

from bot.charter import ChannelKey, Charter, Nudges
from bot.config import parse_schedule
from bot.i18n import LANGUAGES

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


class CharterFileError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load(text: str, source: str = "charter file") -> list[Charter]:
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
    charters: list[Charter] = []
    seen: set[ChannelKey] = set()
    for i, entry in enumerate(entries):
        where = f"{source}: charter[{i}]"
        try:
            charter = _charter(entry, where)
        except CharterFileError as exc:
            problems += exc.problems
            continue
        if charter.channel in seen:
            problems.append(f"{where}: channel {charter.channel.channel_id} appears twice")
        seen.add(charter.channel)
        charters.append(charter)
    if problems:
        raise CharterFileError(problems)
    return charters


def _charter(entry: dict[str, Any], where: str) -> Charter:
    problems = [f"{where}: unknown key {k!r}" for k in sorted(set(entry) - _CHARTER_KEYS)]
    for j, t in enumerate(entry.get("types", [])):
        problems += [f"{where}.types[{j}]: unknown key {k!r}" for k in sorted(set(t) - _TYPE_KEYS)]
    if problems:
        raise CharterFileError(problems)
    try:
        data = {
            "channel": {k: entry.get(k) for k in ("platform", "workspace_id", "channel_id")},
            "purpose": entry.get("purpose", ""),
            "owners": entry.get("owners", []),
            "timezone": entry.get("timezone", "UTC"),
            "language": entry.get("language", "en"),
            "paused_until": entry.get("paused_until"),
            "nudges": entry.get("nudges", {}),
            "types": [_type(t) for t in entry.get("types", [])],
        }
        sched = entry.get("schedule", "fri 16:00")
        data["schedule"] = None if sched == "off" else parse_schedule(sched)
        if data["language"] not in LANGUAGES:
            raise ValueError(f"language {data['language']!r} is not one of {', '.join(LANGUAGES)}")
        return Charter.model_validate(data)
    except ValidationError as exc:
        raise CharterFileError(
            [f"{where}.{_loc(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
        ) from exc
    except (ValueError, TypeError, AttributeError) as exc:
        raise CharterFileError([f"{where}: {exc}"]) from exc


def _type(t: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in t.items() if k not in ("fields", "target")}
    out["fields"] = [
        {
            "name": f.rstrip("?"),
            "label": f.rstrip("?").replace("_", " ").capitalize(),
            "required": not f.endswith("?"),
        }
        if isinstance(f, str)
        else f
        for f in t.get("fields", [])
    ]
    if "target" in t:
        count, _, per = str(t["target"]).partition("/")
        out["target"] = {"count": int(count), "per": per or "week"}
    return out


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def dump(charters: list[Charter]) -> str:
    lines = ["# Outputs charters. Apply with: outputs-bot charter apply FILE.toml", ""]
    for c in charters:
        lines.append("[[charter]]")
        for k, v in (
            ("platform", c.channel.platform),
            ("workspace_id", c.channel.workspace_id),
            ("channel_id", c.channel.channel_id),
            ("purpose", c.purpose),
            ("owners", list(c.owners)),
            ("timezone", c.timezone),
            ("language", c.language),
            ("schedule", str(c.schedule) if c.schedule else "off"),
            ("paused_until", c.paused_until),
        ):
            if v is not None:
                lines.append(f"{k} = {_value(v)}")
        if c.nudges != Nudges():
            lines.append(
                "nudges = { "
                + ", ".join(f"{k} = {_value(v)}" for k, v in c.nudges.model_dump().items())
                + " }"
            )
        for t in c.types:
            lines.append("[[charter.types]]")
            lines.append(f"key = {_value(t.key)}")
            lines.append(f"label = {_value(t.label)}")
            for k2, v2 in (("emoji", t.emoji), ("description", t.description or None), ("route", t.route)):
                if v2:
                    lines.append(f"{k2} = {_value(v2)}")
            if t.fields:
                lines.append("fields = " + _value([f.name + ("" if f.required else "?") for f in t.fields]))
            if t.target:
                lines.append(f"target = {_value(str(t.target))}")
        lines.append("")
    return "\n".join(lines)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(str(v), ensure_ascii=False)
