"""Shipping tests: /metrics, /healthz, logs and `config check`, through the real server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.slack import conftest as slack_conftest
from tests.slack.conftest import Slack, start_slack, stop_slack
from tests.slack.fake_slack import FakeSlack

fake = slack_conftest.fake  # the Slack tests' fake Web API fixture, served here too


@pytest.fixture
async def slack(fake: FakeSlack, sqlite_db) -> AsyncIterator[Slack]:  # type: ignore[no-untyped-def]
    s = await start_slack(fake, sqlite_db.url)
    try:
        yield s
    finally:
        await stop_slack(s)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """`bot.logs.configure` changes the root logger for the process: put it back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, lvl in levels.items():
            logging.getLogger(name).setLevel(lvl)
