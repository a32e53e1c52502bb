"""Signed junk: recorded Slack payloads, mutated by Hypothesis, correctly signed, POSTed to the
real server over HTTP. Whatever the body, the answer is never a 5xx and nothing is logged at
ERROR (an ERROR means a bug of ours), neither while answering nor in the inbox's workers.

The server runs in a thread of its own with its own event loop (the real `SlackServer`, the
inbox workers and a fake Slack Web API), so that Hypothesis drives it from a plain test.
`FUZZ_EXAMPLES` sets how many bodies (CI runs the default, derandomized: see conftest).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import _copy_template
from tests.fuzzing import ODD, Errors, LoopThread, mutated, post
from tests.slack.conftest import ADMIN, Slack, declare, fixture, signed, start_slack, stop_slack
from tests.slack.fake_slack import FakeSlack

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "2000"))

EVENTS = [
    "reaction_added",
    "reaction_removed",
    "message_changed",
    "message_deleted",
    "member_joined_channel",
    "app_home_opened",
    "app_uninstalled",
    "tokens_revoked",
    "url_verification",
]
INTERACTIONS = ["block_actions", "message_action", "view_submission"]


class ServerThread(LoopThread):
    """The real Slack server, its inbox workers and a fake Slack Web API, in a thread."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.fake = FakeSlack()
        self.fake.users[ADMIN] = {"id": ADMIN, "name": "admin", "is_admin": True, "locale": "en-US"}
        self.slack: Slack = self.run(self._start(url))

    async def _start(self, url: str) -> Slack:
        await self.fake.start()
        slack = await start_slack(self.fake, url)
        await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark fields=fix?')
        return slack

    @property
    def events_url(self) -> str:
        return str(self.slack.http.make_url("/slack/events"))

    def close(self) -> None:
        self.run(stop_slack(self.slack))
        self.run(self.fake.close())
        self.stop()


@pytest.fixture
def served(_migrated: Path | str, tmp_path: Path) -> Iterator[ServerThread]:
    url = str(_migrated) if isinstance(_migrated, str) else _copy_template(_migrated, tmp_path).url
    server = ServerThread(url)
    try:
        yield server
    finally:
        server.close()


FORM_TEXT = st.characters(exclude_categories=["Cs"])  # a form is UTF-8: no lone surrogate survives it
FORM_ODD = [s for s in ODD if s != "\ud800"]


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str]:
    """(body, content type): a recorded payload with a few parts replaced by junk or removed."""
    family = draw(st.sampled_from(["event", "interaction", "command"]))
    names = {"event": EVENTS, "interaction": INTERACTIONS, "command": ["slash_command"]}[family]
    name = draw(st.sampled_from(names))
    payload: Any = fixture(name)
    if family == "event" and name not in ("url_verification",):
        payload["team_id"] = "T111"
    if family == "command":  # a form carries strings only
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            key = draw(st.sampled_from(sorted(payload)))
            payload[key] = draw(st.text(FORM_TEXT, max_size=30) | st.sampled_from(FORM_ODD))
    else:
        payload = mutated(draw, payload)
    if family == "event":
        return json.dumps(payload), "application/json"
    if family == "interaction":
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    form = payload if isinstance(payload, dict) else {"text": str(payload)}
    return urlencode({str(k): str(v) for k, v in form.items()}), "application/x-www-form-urlencoded"


def test_signed_junk_never_gets_a_5xx_nor_logs_an_error(served: ServerThread) -> None:
    statuses: dict[int, int] = {}
    with Errors() as errors:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(requests())
        def one(request: tuple[str, str]) -> None:
            body, content_type = request
            status = post(served.events_url, body, content_type, signed(body))
            statuses[status] = statuses.get(status, 0) + 1
            assert status < 500, (status, body[:500])

        one()
        served.run(served.slack.settle())  # the work kept from the requests that passed
    assert errors.seen == []
    assert sum(statuses.values()) >= EXAMPLES and statuses.get(200, 0) > 0 and statuses.get(400, 0) > 0


@pytest.mark.parametrize("timestamp", ["abc", "1.5", "", "-1", "1" * 40, "0x10", " 123"])
def test_junk_signature_headers_get_401(served: ServerThread, timestamp: str) -> None:
    body = json.dumps(fixture("reaction_added"))
    headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=" + "0" * 64}
    assert post(served.events_url, body, "application/json", headers) == 401
    assert post(served.events_url, body, "application/json", {"X-Slack-Signature": "junk"}) == 401


def test_deep_nesting_and_huge_bodies_are_refused_before_parsing(served: ServerThread) -> None:
    deep = "[" * 5000 + "]" * 5000
    assert post(served.events_url, deep, "application/json", signed(deep)) == 400
    nested: Any = "x"
    for _ in range(200):
        nested = {"a": nested}
    body = json.dumps({**fixture("reaction_added"), "extra": nested})
    assert post(served.events_url, body, "application/json", signed(body)) == 400
    huge = json.dumps({**fixture("reaction_added"), "extra": "x" * (2 * 1024 * 1024)})
    assert post(served.events_url, huge, "application/json", signed(huge)) == 413


def test_unknown_event_types_are_acknowledged_whatever_they_hold(served: ServerThread) -> None:
    event = fixture("reaction_added")
    event["event"] = {"type": "user_change", "user": {"id": "W111", "profile": {"x": [1, 2]}}}
    body = json.dumps(event)
    assert post(served.events_url, body, "application/json", signed(body)) == 200


def test_ids_longer_than_slack_makes_them_are_refused(served: ServerThread) -> None:
    event = fixture("reaction_added")
    event["event"]["user"] = "W" * 500
    body = json.dumps(event)
    assert post(served.events_url, body, "application/json", signed(body)) == 400
