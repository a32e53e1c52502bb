"""Teams junk: recorded activities, mutated by Hypothesis, POSTed to the real server over
HTTP. Authentication off (as for local testing), so that every activity reaches the bot and
the inbox's workers: whatever it holds, never a 5xx and nothing logged at ERROR. With an app
id configured, junk is refused before the token check with a 4xx, never a 5xx.

`FUZZ_TEAMS_EXAMPLES` sets how many activities (CI runs the default, derandomized)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings, load_settings
from storage.database import Database
from tests.conftest import _copy_template
from tests.fuzzing import Errors, LoopThread, mutated, post
from tests.teams.conftest import FIXTURES, Teams, anonymous_settings, start_teams

EXAMPLES = int(os.environ.get("FUZZ_TEAMS_EXAMPLES", "500"))
ACTIVITIES = sorted(p.stem for p in FIXTURES.glob("*.json"))


class TeamsThread(LoopThread):
    """The real Teams server, its inbox workers and the fake connector, in a thread."""

    def __init__(self, url: str, settings: Settings) -> None:
        super().__init__()
        self._running: AsyncIterator[Teams] = start_teams(Database(url), settings)
        self.teams: Teams = self.run(self._running.__anext__())
        self.url = str(self.teams.client.make_url("/api/messages"))

    def close(self) -> None:
        self.run(self._running.aclose())
        self.stop()


def served(_migrated: Path | str, tmp_path: Path, settings: Settings) -> TeamsThread:
    url = str(_migrated) if isinstance(_migrated, str) else _copy_template(_migrated, tmp_path).url
    return TeamsThread(url, settings)


@pytest.fixture
def anonymous(_migrated: Path | str, tmp_path: Path) -> Iterator[TeamsThread]:
    server = served(_migrated, tmp_path, anonymous_settings())
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def guarded(_migrated: Path | str, tmp_path: Path) -> Iterator[TeamsThread]:
    env = {"MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000001", "MICROSOFT_APP_PASSWORD": "x"}
    server = served(_migrated, tmp_path, load_settings(env=env))
    try:
        yield server
    finally:
        server.close()


@st.composite
def activities(draw: st.DrawFn, teams: Teams) -> str:
    activity: Any = teams.activity(draw(st.sampled_from(ACTIVITIES)))
    return json.dumps(mutated(draw, activity))


def test_junk_activities_never_get_a_5xx_nor_log_an_error(anonymous: TeamsThread) -> None:
    # junk may name a connector that is not there: its retries give up at once, not in an hour
    inbox = anonymous.teams.app.inbox
    inbox.policy = dataclasses.replace(
        inbox.policy, horizon=timedelta(milliseconds=1), backoff_base=0.001, backoff_cap=0.001
    )
    statuses: dict[int, int] = {}
    with Errors() as errors:

        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(activities(anonymous.teams))
        def one(body: str) -> None:
            status = post(anonymous.url, body, "application/json", {})
            statuses[status] = statuses.get(status, 0) + 1
            assert status < 500, (status, body[:500])

        one()
        # the work kept from the activities that passed; what is still being retried by then
        # (a connector answering junk with errors) is stopped with the workers
        with contextlib.suppress(TimeoutError):
            anonymous.run(anonymous.teams.workers.drain(timeout=20))
    assert errors.seen == []
    assert sum(statuses.values()) >= EXAMPLES and statuses.get(200, 0) > 0 and statuses.get(400, 0) > 0


SHELL = {"conversation": {"id": "a"}, "serviceUrl": "https://x"}


@pytest.mark.parametrize(
    "body",
    [
        "[" * 5000 + "]" * 5000,
        json.dumps({**SHELL, "type": "invoke", "name": {"x": 1}}),
        json.dumps({**SHELL, "type": "message", "text": "\x00", "from": {"id": "x" * 500}}),
        json.dumps({**SHELL, "type": "message"})[:-1] + ', "text": "\\ud800"}',
        "not json",
    ],
)
def test_junk_before_the_token_check_gets_a_4xx(guarded: TeamsThread, body: str) -> None:
    with Errors() as errors:
        status = post(guarded.url, body, "application/json", {})
    assert 400 <= status < 500 and errors.seen == []
