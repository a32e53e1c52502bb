"""Signed junk: recorded Slack payloads, mutated by Hypothesis, correctly signed, POSTed to the
real server over HTTP. Whatever the body, the answer is never a 5xx and nothing is logged at
ERROR (an ERROR means a bug of ours), neither while answering nor in the inbox's workers.

The server runs in a thread of its own with its own event loop (the real `SlackServer`, the
inbox workers and a fake Slack Web API), so that Hypothesis drives it from a plain test.
`FUZZ_EXAMPLES` sets how many bodies (CI runs the default, derandomized: see conftest).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import _copy_template
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


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.name}: {record.getMessage()}")


class ServerThread:
    """The real Slack server on a loop of its own, in a thread."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeSlack()
        self.fake.users[ADMIN] = {"id": ADMIN, "name": "admin", "is_admin": True, "locale": "en-US"}
        self.slack: Slack = self.run(self._start(url))

    async def _start(self, url: str) -> Slack:
        await self.fake.start()
        slack = await start_slack(self.fake, url)
        await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark fields=fix?')
        return slack

    def run(self, coro: Any, timeout: float = 120) -> Any:
        done: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return done.result(timeout)

    @property
    def events_url(self) -> str:
        return str(self.slack.http.make_url("/slack/events"))

    def close(self) -> None:
        self.run(stop_slack(self.slack))
        self.run(self.fake.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def served(_migrated: Path | str, tmp_path: Path) -> Iterator[ServerThread]:
    url = str(_migrated) if isinstance(_migrated, str) else _copy_template(_migrated, tmp_path).url
    server = ServerThread(url)
    try:
        yield server
    finally:
        server.close()


ODD = ["\x00", "\ud800", "a\x00b", "", " ", "C111", "1599529504.000400", "abc", "99999999999999999999"]
JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(ODD),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _mutate(payload: Any, path: tuple[Any, ...], op: str, junk: Any) -> Any:
    if not path:
        return junk if op == "replace" else payload
    parent = payload
    for key in path[:-1]:
        parent = parent[key]
    if op == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = junk
    return payload


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str]:
    """(body, content type): a recorded payload with a few parts replaced by junk or removed."""
    family = draw(st.sampled_from(["event", "interaction", "command"]))
    names = {"event": EVENTS, "interaction": INTERACTIONS, "command": ["slash_command"]}[family]
    name = draw(st.sampled_from(names))
    payload: Any = fixture(name)
    if family == "event" and name not in ("url_verification",):
        payload["team_id"] = "T111"
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = list(_paths(payload))
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "replace", "delete"])) if path else "replace"
        if family == "command":  # a form carries strings only
            junk = draw(st.text(max_size=30) | st.sampled_from(["\x00", "99999999999999999999", "abc"]))
            path = path[:1] or ("text",)
        else:
            junk = draw(JUNK)
        payload = _mutate(payload, path, op, junk)
    if family == "event":
        return json.dumps(payload), "application/json"
    if family == "interaction":
        return urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    form = payload if isinstance(payload, dict) else {"text": str(payload)}
    return urlencode({str(k): str(v) for k, v in form.items()}), "application/x-www-form-urlencoded"


def post(url: str, body: str, content_type: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=body.encode("utf-8", "surrogatepass"), headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return int(refused.code)


def test_signed_junk_never_gets_a_5xx_nor_logs_an_error(served: ServerThread) -> None:
    errors = Errors()
    logging.getLogger().addHandler(errors)
    statuses: dict[int, int] = {}
    try:

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
    finally:
        logging.getLogger().removeHandler(errors)
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
