"""Logs: JSON lines with the request, workspace and channel ids; no token, no message text."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot import logs
from bot.config import LoggingSettings
from tests.slack.conftest import SECRET, TOKEN, Slack, declare

pytestmark = pytest.mark.usefixtures("restore_logging")
WORDS = "Confidential roadmap: ship the quantum toaster"


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def capture(level: str = "INFO") -> io.StringIO:
    stream = io.StringIO()
    settings = LoggingSettings.model_validate({"level": level, "json": True})
    logs.configure(settings, secrets=[SECRET, TOKEN], stream=stream)
    return stream


async def test_request_lines_carry_their_ids_and_no_text(slack: Slack) -> None:
    await declare(slack, 'type add idea "Idea"')
    slack.fake.fail["chat.postMessage"] = "not_in_channel"  # a warning from the work after the ack
    stream = capture()
    resp = await slack.command(f"deliver idea {WORDS}")
    assert resp.status == 200
    await slack.command("digest post")

    out = lines(stream)
    assert out, "a platform request logs one line at least"
    done = [o for o in out if o["message"].startswith("slack command: 200")]  # type: ignore[union-attr]
    assert len(done) == 2
    for o in done:
        assert o["workspace"] == "T111" and o["channel"] == "C111" and o["level"] == "INFO"
        assert isinstance(o["request_id"], str) and o["request_id"]
    assert done[0]["request_id"] != done[1]["request_id"]
    # the failed post, logged by a task the request started, carries the same ids
    warned = [o for o in out if o["level"] == "WARNING" and "not_in_channel" in str(o["message"])]
    assert warned and all(o["channel"] == "C111" and o["request_id"] == done[1]["request_id"] for o in warned)
    text = stream.getvalue()
    assert "quantum toaster" not in text
    assert TOKEN not in text and SECRET not in text


async def test_a_given_request_id_is_used_and_returned(slack: Slack) -> None:
    stream = capture()
    resp = await slack.post(slack.command_body("help"), "application/x-www-form-urlencoded",
                            headers={"X-Request-Id": "lb-1234"})
    await slack.settle()
    assert resp.headers["X-Request-Id"] == "lb-1234"
    assert any(o.get("request_id") == "lb-1234" for o in lines(stream))


async def test_even_at_debug_tokens_are_masked(slack: Slack) -> None:
    stream = capture("DEBUG")
    await slack.command("help")  # slack-sdk logs its requests, Authorization header included, at DEBUG
    text = stream.getvalue()
    assert text and TOKEN not in text and SECRET not in text


def test_token_shapes_and_secrets_are_masked() -> None:
    redact = logs.Redactor(["a-configured-secret"])
    line = (
        "xoxb-123-456-abcDEF xoxp-1-2 xapp-1-A-b xoxe.xoxb-1-abc Authorization: Bearer abc.def-ghi "
        "postgresql://bot:hunter22@db:5432/outputs a-configured-secret "
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"
    )
    out = redact(line)
    for leaked in ("abcDEF", "xoxp-1-2", "xapp-1", "xoxe.", "abc.def-ghi", "hunter22", "a-configured-secret",
                   "eyJhbGci"):
        assert leaked not in out
    assert "postgresql://bot:[redacted]@db:5432/outputs" in out


def test_exceptions_are_json_and_masked() -> None:
    stream = capture()
    try:
        raise RuntimeError(f"refused {TOKEN}")
    except RuntimeError:
        logging.getLogger("outputs.test").exception("it failed")
    [line] = lines(stream)
    assert line["level"] == "ERROR" and "RuntimeError" in str(line["exception"])
    assert TOKEN not in stream.getvalue()


def test_json_is_automatic_off_a_terminal_and_text_on_one() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert logs.use_json("auto", io.StringIO()) is True
    assert logs.use_json("auto", Tty()) is False
    assert logs.use_json(False, io.StringIO()) is False
    assert logs.use_json(True, Tty()) is True
    tty = Tty()
    logs.configure(LoggingSettings(), stream=tty)
    logging.getLogger("outputs.test").warning("plain")
    assert "WARNING" in tty.getvalue() and not tty.getvalue().startswith("{")
