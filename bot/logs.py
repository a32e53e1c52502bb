"""Logging for every command: one handler on stderr, JSON or text, ids from the context, no secrets.

- JSON lines when `logging.json` is true, or "auto" and stderr is not a terminal (a
  container, systemd, a pipe); readable text on a terminal.
- Each line carries the request, workspace and channel it was written for: the adapters
  set them with `bind()` when a request comes in, and asyncio copies them into the tasks
  that request starts.
- Tokens and secrets never leave: Slack tokens (`xox…`, `xapp-…`), `Bearer …` credentials,
  JWTs, passwords in URLs, and the configured secrets themselves are masked in the final
  line, whoever logged them (a library at DEBUG included).
- What people wrote is never logged at INFO or above: the code logs ids, kinds and error
  codes; message text may appear at DEBUG only.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

from bot.config import LoggingSettings, Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("outputs_request_id", default=None)
WORKSPACE: ContextVar[str | None] = ContextVar("outputs_workspace", default=None)
CHANNEL: ContextVar[str | None] = ContextVar("outputs_channel", default=None)
_CONTEXT = {"request_id": REQUEST_ID, "workspace": WORKSPACE, "channel": CHANNEL}

MASK = "[redacted]"
_PATTERNS = [
    re.compile(r"xox[a-z]-[A-Za-z0-9-]+|xoxe\.[A-Za-z0-9.-]+|xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),  # a JWT
    re.compile(r"(?<=://)([^:/@\s]+):[^@/\s]+(?=@)"),  # user:password@ in a URL
]
# Third-party loggers that say too much at INFO for a production log.
_QUIET = {
    "apscheduler": logging.WARNING,
    "aiohttp.access": logging.WARNING,
    "alembic.runtime.plugins": logging.WARNING,
    "alembic.runtime.migration": logging.WARNING,  # on every schema check; `migrate` says what it did
}
_HANDLER_NAME = "outputs"


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def bind(*, request_id: str | None = None, workspace: str | None = None, channel: str | None = None) -> None:
    """Set the ids for the rest of this task (and the tasks it starts); None leaves one as is."""
    for var, value in ((REQUEST_ID, request_id), (WORKSPACE, workspace), (CHANNEL, channel)):
        if value:
            var.set(value)


def context() -> dict[str, str]:
    return {name: v for name, var in _CONTEXT.items() if (v := var.get())}


class Redactor:
    """Masks token shapes and the given secret values in a finished log line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        # Short values (an empty or test secret) would mask half the line: only real ones.
        self.secrets = sorted({s for s in secrets if len(s) >= 8}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: f"{m.group(1)}:{MASK}" if m.groups() else MASK, text)
        return text


class RedactRecords(logging.Filter):
    """The same masking for handlers that are not ours (a test's log capture, Python's last
    resort), which format records without our formatters: the record itself is masked."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def redact_every_handler(redact: Redactor) -> None:
    """Mask records on every handler the root logger has now, and on the last resort
    (idempotent). slack-sdk logs OAuth answers and Authorization headers at DEBUG."""
    targets = [*logging.getLogger().handlers]
    if logging.lastResort is not None:
        targets.append(logging.lastResort)
    for handler in targets:
        if not any(isinstance(f, RedactRecords) for f in handler.filters):
            handler.addFilter(RedactRecords(redact))


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **context(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(line, ensure_ascii=False, default=str))


class TextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = " ".join(f"{k}={v}" for k, v in context().items())
        return self.redact(f"{text} [{ids}]" if ids else text)


def secrets_of(settings: Settings) -> list[str]:
    s, t = settings.slack, settings.teams
    values = [x.get_secret_value() for x in (s.bot_token, s.signing_secret, s.app_token, s.client_secret)
              if x is not None]
    if t.app_password is not None:
        values.append(t.app_password.get_secret_value())
    return values


def use_json(setting: str | bool, stream: IO[str]) -> bool:
    if setting == "auto":
        return not (hasattr(stream, "isatty") and stream.isatty())
    return bool(setting)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def configure(
    logging_settings: LoggingSettings, secrets: Iterable[str] = (), stream: IO[str] | None = None
) -> logging.Handler:
    """Replace the root logger's handlers with ours (idempotent: a second call replaces the first)."""
    out = stream or sys.stderr
    redact = Redactor(secrets)
    handler: logging.StreamHandler[IO[str]] = logging.StreamHandler(out) if stream else _Stderr()
    handler.set_name(_HANDLER_NAME)
    formatter = JsonFormatter(redact) if use_json(logging_settings.json_logs, out) else TextFormatter(redact)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == _HANDLER_NAME:
            root.removeHandler(old)
    root.addHandler(handler)
    level = logging.getLevelNamesMapping()[logging_settings.level]
    root.setLevel(level)
    for name, quiet in _QUIET.items():
        logging.getLogger(name).setLevel(level if level == logging.DEBUG else max(level, quiet))
    return handler


def configure_for(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    return configure(settings.logging, secrets_of(settings), stream)
