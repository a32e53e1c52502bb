"""Charter, output types, fields, targets and the digest schedule.

A charter is what a channel declared: why it exists and what it must produce. It is a
plain pydantic value; the repository stores it whole and keeps every version.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PField

from bot import emoji_names
from bot.i18n import N_

KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# Field names are what people write: accented letters and capitals are welcome.
FIELD_RE = re.compile(r"^[^\W\d_]\w{0,31}$")
EMOJI_RE = re.compile(r"^[^\s:]{1,64}$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_TYPES = 20
MAX_FIELDS = 10


class RuleError(ValueError):
    """A charter rule broken: an English message template and its values, so that whoever
    shows it can translate it (`str()` gives the English)."""

    def __init__(self, template: str, **values: object) -> None:
        super().__init__(template.format(**values))
        self.template = template
        self.values = values


class ChannelKey(BaseModel):
    """Where something lives: nothing ever crosses platform + workspace."""

    model_config = ConfigDict(frozen=True)

    platform: str
    workspace_id: str
    channel_id: str


class FieldSpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    label: str = ""
    required: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not FIELD_RE.match(v):
            raise RuleError(
                N_("field name {name} must start with a letter and hold only letters, digits or _"),
                name=repr(v),
            )
        return v

    @property
    def shown(self) -> str:
        return self.label or self.name


class Target(BaseModel):
    model_config = ConfigDict(frozen=True)

    count: int = PField(ge=1, le=10_000)
    per: Literal["week", "month"] = "week"

    def __str__(self) -> str:
        return f"{self.count}/{self.per}"


class OutputType(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    label: str
    emoji: str | None = None
    description: str = ""
    fields: tuple[FieldSpec, ...] = ()
    target: Target | None = None
    route: str | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not KEY_RE.match(v):
            raise RuleError(N_("type key {key} must start with a letter: a-z, 0-9, _ or -"), key=repr(v))
        return v

    @field_validator("label")
    @classmethod
    def _label(cls, v: str) -> str:
        v = v.strip()
        if not v or len(v) > 80:
            raise RuleError(N_("a label needs 1 to 80 characters"))
        return v

    @field_validator("emoji")
    @classmethod
    def _emoji(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = normalize_emoji(v)
        if not EMOJI_RE.match(v):
            raise RuleError(N_("emoji {emoji} is not an emoji name"), emoji=repr(v))
        return v

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: tuple[FieldSpec, ...]) -> tuple[FieldSpec, ...]:
        seen: dict[str, str] = {}
        for f in v:
            if (folded := fold(f.name)) in seen:
                raise RuleError(N_("field names must be unique ({name})"), name=f.name)
            seen[folded] = f.name
        if len(v) > MAX_FIELDS:
            raise RuleError(N_("at most {count} fields"), count=MAX_FIELDS)
        return v

    def field(self, name: str) -> FieldSpec | None:
        """The field called `name`, whatever its case and accents (`equipe` is `Équipe`)."""
        folded = fold(name)
        return next((f for f in self.fields if fold(f.name) == folded), None)

    @property
    def required_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.required]

    def missing(self, values: dict[str, str]) -> list[FieldSpec]:
        return [f for f in self.required_fields if not values.get(f.name, "").strip()]


class Schedule(BaseModel):
    """When the digest is posted: a weekday (0 = Monday) and a local time."""

    model_config = ConfigDict(frozen=True)

    weekday: int = PField(default=4, ge=0, le=6)
    at: time = time(16, 0)

    def __str__(self) -> str:
        return f"{WEEKDAYS[self.weekday]} {self.at.strftime('%H:%M')}"


class Nudges(BaseModel):
    model_config = ConfigDict(frozen=True)

    behind: bool = True
    behind_days_before: int = PField(default=2, ge=0, le=6)
    drafts: bool = True
    draft_hours: int = PField(default=24, ge=1, le=24 * 14)
    idle: bool = True
    idle_periods: int = PField(default=3, ge=1, le=52)


def valid_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuleError(
            N_("unknown timezone {tz} (use an IANA name such as Europe/Paris)"), tz=repr(name)
        ) from None
    return name


class Charter(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: ChannelKey
    purpose: str = ""
    owners: tuple[str, ...] = ()
    types: tuple[OutputType, ...] = ()
    schedule: Schedule | None = Schedule()
    timezone: str = "UTC"
    language: str = "en"
    paused_until: date | None = None
    nudges: Nudges = Nudges()
    version: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    # When the schedule or timezone last changed: periods that closed before then belong to
    # the old schedule, so a change never makes one of them due (see bot.digests.due).
    schedule_since: datetime | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return valid_timezone(v)

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, v: str) -> str:
        if len(v) > 2000:
            raise RuleError(N_("a purpose has at most {count} characters"), count=2000)
        return v.strip()

    @field_validator("types")
    @classmethod
    def _types(cls, v: tuple[OutputType, ...]) -> tuple[OutputType, ...]:
        keys = [t.key for t in v]
        if len(set(keys)) != len(keys):
            raise RuleError(N_("output type keys must be unique"))
        seen: dict[str, str] = {}
        for t in v:
            if t.emoji is None:
                continue
            if (same := emoji_names.canonical(t.emoji)) in seen:
                raise RuleError(
                    N_("two output types cannot share an emoji (:{emoji}: is on {first} and {second})"),
                    emoji=t.emoji,
                    first=seen[same],
                    second=t.key,
                )
            seen[same] = t.key
        if len(v) > MAX_TYPES:
            raise RuleError(N_("at most {count} output types"), count=MAX_TYPES)
        return v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_schedule(self) -> Schedule:
        """The schedule periods are cut by. `schedule off` (None) stops the posted digest,
        not the periods: previews, status and targets keep the default week."""
        return self.schedule or Schedule()

    def type(self, key: str) -> OutputType | None:
        return next((t for t in self.types if t.key == key), None)

    def type_for_emoji(self, emoji: str) -> OutputType | None:
        same = emoji_names.canonical(emoji)
        return next((t for t in self.types if t.emoji and emoji_names.canonical(t.emoji) == same), None)

    def is_paused(self, today: date) -> bool:
        return self.paused_until is not None and today < self.paused_until

    def with_type(self, t: OutputType) -> Charter:
        types = [x for x in self.types if x.key != t.key] + [t]
        return self.model_copy(update={"types": tuple(types)}).revalidated()

    def revalidated(self) -> Charter:
        """model_copy skips validation; every edit goes through this so rules hold."""
        return Charter.model_validate(self.model_dump())


def stamped(new: Charter, old: Charter | None, at: datetime) -> Charter:
    """`new` with `schedule_since` set to `at` when its schedule or timezone differs from `old`'s."""
    if old is None or (old.schedule, old.timezone) == (new.schedule, new.timezone):
        since = old.schedule_since if old else new.schedule_since
    else:
        since = at
    return new if since == new.schedule_since else new.model_copy(update={"schedule_since": since})


class CharterVersion(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int
    changed_by: str
    changed_at: datetime
    summary: str
    charter: Charter


normalize_emoji = emoji_names.normalize


def fold(name: str) -> str:
    """A field name as compared: `Équipe`, `equipe` and `EQUIPE` are one field."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def field_label(name: str) -> str:
    """The label shown for a field declared as `name`: as typed, first letter up."""
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]
