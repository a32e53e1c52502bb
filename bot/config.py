"""The settings tree: `config.toml`, then environment variables, then secrets by their usual names.

Precedence, highest first: arguments given in code > `OUTPUTS_<SECTION>__<KEY>` > the
platforms' own variable names (`SLACK_BOT_TOKEN`, `DATABASE_URL`, …) > the TOML file >
defaults. The platform names are what operators already set, so they beat the file (a
secret never has to be written into it); the OUTPUTS_ names are this bot's own, so they win
when both are set. `config.example.toml` documents every key; a test keeps them in step.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, get_origin
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from bot.charter import WEEKDAYS, Schedule, valid_timezone
from bot.secret_keys import parse_keys

ENV_PREFIX = "OUTPUTS_"
MASK = "********"
NOT_SET = "(not set)"
# The names operators already know from each platform's docs → (section, key).
PLATFORM_ENV: dict[str, tuple[str, str]] = {
    "SLACK_BOT_TOKEN": ("slack", "bot_token"),
    "SLACK_SIGNING_SECRET": ("slack", "signing_secret"),
    "SLACK_APP_TOKEN": ("slack", "app_token"),
    "SLACK_CLIENT_ID": ("slack", "client_id"),
    "SLACK_CLIENT_SECRET": ("slack", "client_secret"),
    "MICROSOFT_APP_ID": ("teams", "app_id"),
    "MICROSOFT_APP_PASSWORD": ("teams", "app_password"),
    "MICROSOFT_APP_TENANT_ID": ("teams", "tenant_id"),
    "DATABASE_URL": ("database", "url"),
    "OUTPUTS_SECRET_KEY": ("security", "secret_key"),
}
SLACK_SCOPES = (
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "groups:history",
    "groups:read",
    "reactions:read",
    "users:read",
)
_SCHEDULE_RE = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):([0-5]\d)$")


class ConfigError(Exception):
    """The configuration cannot be used; the message names the file or variable and the key."""


def parse_schedule(text: str) -> Schedule:
    """`fri 16:00` → Schedule(weekday=4, at=16:00)."""
    m = _SCHEDULE_RE.match(text.strip().lower())
    if not m:
        raise ValueError(f"schedule {text!r} must look like 'fri 16:00' (mon..sun HH:MM)")
    return Schedule(weekday=WEEKDAYS.index(m.group(1)), at=time(int(m.group(2)), int(m.group(3))))


def _check(pattern: str, problem: str) -> AfterValidator:
    def check(v: str) -> str:
        if not re.match(pattern, v):
            raise ValueError(problem)  # never echo the value: a URL may hold a password
        return v

    return AfterValidator(check)


def _upper(v: Any) -> Any:
    return v.upper() if isinstance(v, str) else v


_DB_URL = r"^(sqlite|postgres|postgresql)(\+\w+)?://"
DatabaseUrl = Annotated[str, _check(_DB_URL, "must be a sqlite:// or postgresql:// URL")]
SlashCommand = Annotated[str, _check(r"^/[a-z0-9_-]+$", "must be a slash command such as /outputs")]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerSettings(_Section):
    host: str = "0.0.0.0"
    port: int = Field(default=3000, ge=0, le=65535)
    public_url: str = ""


class DatabaseSettings(_Section):
    # repr=False: a PostgreSQL URL may hold a password.
    url: DatabaseUrl = Field(default="sqlite+aiosqlite:///outputs.db", repr=False)


class SlackSettings(_Section):
    api_base_url: str = "https://slack.com/api/"
    command: SlashCommand = "/outputs"
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    client_id: str = ""
    client_secret: SecretStr | None = None
    scopes: tuple[str, ...] = SLACK_SCOPES
    installation_path: str = "/slack/install"
    redirect_uri_path: str = "/slack/oauth_redirect"


class TeamsSettings(_Section):
    app_id: str = ""
    app_password: SecretStr | None = None
    tenant_id: str = ""
    app_type: Literal["MultiTenant", "SingleTenant"] = "MultiTenant"
    allow_unauthenticated: bool = False
    connector_base_url: str = ""
    # Where app-only Graph tokens come from (team owners): `{login_url}/{tenant}` is the msal
    # authority. msal accepts only https authorities.
    login_url: Annotated[str, _check(r"^https://[^/?#]+(/[^?#]*)?$", "must be an https:// URL")] = (
        "https://login.microsoftonline.com"
    )


def _fernet_keys(v: SecretStr | None) -> SecretStr | None:
    if v is not None:
        parse_keys(v.get_secret_value())  # a ValueError says what is wrong and how to make one
    return v


class SecuritySettings(_Section):
    # Fernet keys, comma-separated: the first encrypts stored platform tokens, all decrypt.
    secret_key: Annotated[SecretStr | None, AfterValidator(_fernet_keys)] = None


class AccessSettings(_Section):
    admins: tuple[str, ...] = ()


class DefaultsSettings(_Section):
    timezone: Annotated[str, AfterValidator(valid_timezone)] = "UTC"
    language: Literal["en", "fr"] = "en"
    schedule: Annotated[str, AfterValidator(lambda v: str(parse_schedule(v)))] = "fri 16:00"

    def schedule_value(self) -> Schedule:
        return parse_schedule(self.schedule)


class DigestSettings(_Section):
    max_items: int = Field(default=10, ge=1, le=100)
    sparkline_periods: int = Field(default=8, ge=1, le=52)


class SchedulerSettings(_Section):
    enabled: bool = True
    lease_seconds: int = Field(default=300, ge=10)
    slack_rate_per_second: float = Field(default=3.0, gt=0)
    teams_rate_per_second: float = Field(default=25.0, gt=0)
    channel_rate_per_second: float = Field(default=1.0, gt=0)
    concurrency: int = Field(default=8, ge=1, le=256)


class InboxSettings(_Section):
    workers: int = Field(default=8, ge=1, le=64)
    retry_horizon_seconds: int = Field(default=3600, ge=1)
    lease_seconds: int = Field(default=120, ge=5)
    keep_done_days: float = Field(default=7.0, ge=0)
    accept_timeout_seconds: float = Field(default=2.0, gt=0, le=2.5)
    poll_seconds: float = Field(default=1.0, gt=0, le=60)


class LoggingSettings(_Section):
    level: Annotated[LogLevel, BeforeValidator(_upper)] = "INFO"
    # `json` would shadow BaseModel.json, hence the alias; the key is still `json`.
    json_logs: Literal["auto"] | bool = Field(default="auto", alias="json")


class ConsoleSettings(_Section):
    user: str = "admin"


_INPUTS: ContextVar[tuple[Path | None, Mapping[str, str]] | None] = ContextVar(
    "outputs_config_inputs", default=None
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_ignore_empty=True,
        case_sensitive=False,
        extra="forbid",
        frozen=True,
    )

    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    slack: SlackSettings = SlackSettings()
    teams: TeamsSettings = TeamsSettings()
    security: SecuritySettings = SecuritySettings()
    access: AccessSettings = AccessSettings()
    defaults: DefaultsSettings = DefaultsSettings()
    digest: DigestSettings = DigestSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    inbox: InboxSettings = InboxSettings()
    logging: LoggingSettings = LoggingSettings()
    console: ConsoleSettings = ConsoleSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path, environ = _INPUTS.get() or (None, os.environ)
        sources: list[PydanticBaseSettingsSource] = [
            init_settings,
            _EnvSource(settings_cls, environ),
            _PlatformEnvSource(settings_cls, environ),
        ]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    def describe(self) -> list[tuple[str, str]]:
        """Every key as (`section.key`, value as TOML would show it), secrets masked."""
        out: list[tuple[str, str]] = []
        for section in type(self).model_fields:
            model = getattr(self, section)
            for name, info in type(model).model_fields.items():
                key = f"{section}.{info.alias or name}"
                out.append((key, _shown(key, getattr(model, name))))
        return out


def keys() -> list[tuple[str, str]]:
    """Every (section, key) the settings tree accepts, in order."""
    return [(section, key) for section, key, _ in _fields()]


def _fields() -> list[tuple[str, str, FieldInfo]]:
    out = []
    for section, info in Settings.model_fields.items():
        model = info.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        out += [(section, f.alias or n, f) for n, f in model.model_fields.items()]
    return out


def load_settings(path: str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the settings: `path`, else $OUTPUTS_CONFIG, else ./config.toml if present.

    `env` replaces `os.environ` entirely (tests pass a dict). Raises ConfigError.
    """
    environ = os.environ if env is None else env
    explicit = path or environ.get("OUTPUTS_CONFIG") or None
    file = Path(explicit) if explicit else Path("config.toml")
    if explicit and not file.is_file():
        raise ConfigError(f"{file}: configuration file not found")
    chosen = file if file.is_file() else None
    token = _INPUTS.set((chosen, environ))
    try:
        return Settings()
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{file}: cannot be read: {exc}") from exc
    except ValidationError as exc:
        lines = [_explain(err, chosen, environ) for err in exc.errors()]
        raise ConfigError("\n".join(lines)) from None
    except SettingsError as exc:  # an OUTPUTS_… value that should be JSON and is not
        raise ConfigError(_bad_json(environ) or str(exc)) from None
    finally:
        _INPUTS.reset(token)


class _EnvSource(EnvSettingsSource):
    """OUTPUTS_… variables, read from the mapping given to `load_settings`."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        # pydantic-settings takes no mapping in place of os.environ; `env_vars` is the public
        # attribute it reads from, keyed as `case_sensitive=False` keys it, empty as unset.
        self.env_vars = {k.lower(): v for k, v in environ.items() if v != ""}


class _PlatformEnvSource(PydanticBaseSettingsSource):
    """SLACK_BOT_TOKEN, DATABASE_URL and friends, as {section: {key: value}}."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self._environ = environ

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ builds the whole dict

    def __call__(self) -> dict[str, Any]:
        out: dict[str, dict[str, str]] = {}
        for name, (section, key) in PLATFORM_ENV.items():
            if self._environ.get(name):
                out.setdefault(section, {})[key] = self._environ[name]
        return out


def _explain(err: Any, file: Path | None, environ: Mapping[str, str]) -> str:
    loc = [str(p) for p in err["loc"]]
    key = ".".join(loc[:2])
    where = _origin(loc[:2], file, environ)
    if err["type"] == "extra_forbidden":
        if len(loc) == 1:
            sections = ", ".join(Settings.model_fields)
            return f"{where}: [{key}]: unknown section (known: {sections})"
        known = ", ".join(k for s, k in keys() if s == loc[0])
        return f"{where}: {key}: unknown key (known in [{loc[0]}]: {known})"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {key}: {msg}"


def _bad_json(environ: Mapping[str, str]) -> str | None:
    """Name the list variable that is not JSON (pydantic-settings names only the section)."""
    upper = {k.upper(): v for k, v in environ.items()}
    for section, key, info in _fields():
        name = f"{ENV_PREFIX}{section}__{key}".upper()
        if get_origin(info.annotation) is tuple and upper.get(name):
            try:
                json.loads(upper[name])
            except ValueError:
                return f'environment variable {name}: {section}.{key}: not a JSON list ["a", "b"]'
    return None


def _origin(loc: list[str], file: Path | None, environ: Mapping[str, str]) -> str:
    """Which input a bad value most likely came from, in precedence order."""
    upper = {k.upper() for k in environ}
    outputs_name = ENV_PREFIX + "__".join(loc).upper()
    if len(loc) == 2 and outputs_name in upper:
        return f"environment variable {outputs_name}"
    for name, target in PLATFORM_ENV.items():
        if list(target) == loc and environ.get(name):
            return f"environment variable {name}"
    return str(file) if file else "settings"


def _shown(key: str, value: Any) -> str:
    if isinstance(value, SecretStr):
        return MASK if value.get_secret_value() else NOT_SET
    if value is None:
        return NOT_SET
    if key == "database.url":
        parts = urlsplit(value)
        if parts.password:
            value = value.replace(f":{parts.password}@", f":{MASK}@", 1)
    return json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
