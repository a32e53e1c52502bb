"""Which commands are ordered by their channel's charter (SPEC rule 11)."""

from __future__ import annotations

import pytest

from bot.commands.ordering import changes_charter


@pytest.mark.parametrize(
    "text",
    [
        'type add idea "Idea" emoji=bulb',
        "purpose We fix things",
        "schedule fri 16:00",
        "owners add <@U1>",
        "setup",
    ],
)
def test_owner_commands_change_the_charter(text: str) -> None:
    assert changes_charter(text)


@pytest.mark.parametrize(
    "text", ["", "help", "list week", "deliver idea Cache it", "search printer", "drafts"]
)
def test_other_commands_run_unordered(text: str) -> None:
    assert not changes_charter(text)
