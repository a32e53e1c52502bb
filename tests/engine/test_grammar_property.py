"""Any text after the command prefix gets an answer and never an exception (SPEC: "Unknown
or malformed input gets the usage line of the nearest command, never a stack trace"):
Hypothesis writes the commands, half of them starting with a real command word, and runs
them as the workspace admin (who may run every command) through the real engine and a real
SQLite repository, on an event loop of its own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands.dispatch import COMMANDS
from storage.repository import SqlRepository
from tests.conftest import _copy_template
from tests.engine.harness import ADMIN, Dialog
from tests.fuzzing import ODD, Errors, LoopThread

EXAMPLES = int(os.environ.get("FUZZ_COMMANDS", "400"))
WORDS = sorted({name for name in COMMANDS} | {name.split()[0] for name in COMMANDS})
PIECES = st.text(max_size=40) | st.sampled_from([*ODD, '"', "“", "a=", 'a="b', "?", "#1", "<#C1>", "<@U1>"])
COMMAND_LINES = st.text(max_size=60) | st.builds(
    lambda word, rest: f"{word} {' '.join(rest)}", st.sampled_from(WORDS), st.lists(PIECES, max_size=4)
)


@pytest.fixture
def dialog(_sqlite_template: Path, tmp_path: Path) -> Iterator[tuple[LoopThread, Dialog]]:
    loop = LoopThread()
    db = _copy_template(_sqlite_template, tmp_path)
    d = Dialog(SqlRepository(db))
    loop.run(d.cmd(ADMIN, 'type add idea "Idea" emoji=bulb fields=why?'))
    try:
        yield loop, d
    finally:
        loop.run(db.dispose())
        loop.stop()


def test_any_command_line_gets_an_answer_and_no_exception(dialog: tuple[LoopThread, Dialog]) -> None:
    loop, d = dialog
    with Errors() as errors:

        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(COMMAND_LINES)
        def one(line: str) -> None:
            replies = loop.run(d.cmd(ADMIN, line))
            assert replies, line

        one()
    assert errors.seen == []
