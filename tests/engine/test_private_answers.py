"""The command table says whose answers are the asker's alone: adapters without ephemeral
replies (Teams) send those to a personal chat, never to the shared thread."""

from __future__ import annotations

import pytest

from bot.charter import ChannelKey
from bot.engine import Engine
from bot.events import Actor, CommandInvoked
from bot.ports import ChannelInfo

CHANNEL = ChannelInfo(key=ChannelKey(platform="teams", workspace_id="T", channel_id="C"))


def private(text: str) -> bool:
    return Engine.answers_privately(CommandInvoked(CHANNEL, Actor("U"), text))


@pytest.mark.parametrize(
    "text",
    ["search kettle", "search", "drafts", "export csv", "EXPORT", "digest", "digest preview", "digest oops"],
)
def test_one_persons_answers_are_private(text: str) -> None:
    assert private(text)


@pytest.mark.parametrize(
    "text",
    ["", "help", "digest post", "digest POST", "list", "purpose x", "searc kettle", "rollup here"],
)
def test_the_rest_are_answered_where_asked(text: str) -> None:
    assert not private(text)
