"""Issue 13, point 9 (and 8 in the console): messages are `m7`, deliverables `#6`; a missing
message is answered plainly; `:lang` is the person's language everywhere, in both languages."""

from __future__ import annotations

import pytest

from tests.console.test_shell import SETUP, run


@pytest.mark.parametrize("locale", ["en", "fr"])
async def test_messages_and_deliverables_never_share_an_id(sqlite_db, sqlite_repo, locale):
    out = await run(
        sqlite_db,
        sqlite_repo,
        [
            *SETUP,
            ":user alice",
            f":lang {locale}",
            "/outputs deliver solution Un correctif problem=a fix=b",  # deliverable #1, no message
            "hello",
            "The printer jams: cleaned the roller",  # message m2
            "+:white_check_mark: m2",  # deliverable #2
            "+:white_check_mark: #99",
            "+:memo: 99",
            "# a comment is shown, never posted",
        ],
    )
    text = "\n".join(out)
    assert "\nm1\n" in text + "\n" and "\nm2\n" in text + "\n"
    recorded = "Recorded #2" if locale == "en" else "Enregistré : #2"
    assert recorded in text, text
    assert ("(no message #99)" if locale == "en" else "(pas de message #99)") in text
    assert ("(no message 99)" if locale == "en" else "(pas de message 99)") in text
    assert "try again" not in text.lower() and "réessayez" not in text.lower()
    assert out[-1] == "> # a comment is shown, never posted"  # echoed by the script, not posted
    chosen = "I will write to you in English" if locale == "en" else "Je vous écrirai en français"
    assert chosen in text


async def test_a_french_member_is_welcomed_in_french_in_an_english_channel(sqlite_db, sqlite_repo):
    out = await run(sqlite_db, sqlite_repo, [":channel support", *SETUP, ":user marie fr"])
    text = "\n".join(out)
    assert "Bienvenue dans #support" in text and "Welcome to #support" not in text, text
