"""The setup form writes the same charter as the text commands, or says what is wrong where."""

from __future__ import annotations

import pytest

from bot.events import FormErrors, OpenForm, SetupSubmitted
from tests.engine.harness import ADMIN, Dialog, key


@pytest.fixture
async def d(sqlite_repo):
    return Dialog(sqlite_repo)


def values(**over: str) -> dict[str, str]:
    base = {
        "purpose": "Solve customer problems",
        "types": 'solution "Problem solved" emoji=white_check_mark fields=problem,fix,area? target=3/week\n'
        'idea "Product idea" emoji=bulb target=2/month',
        "schedule": "fri 16:00",
        "timezone": "Europe/Paris",
        "language": "fr",
    }
    return {**base, **over}


async def submit(d: Dialog, user: str, vals: dict[str, str]):
    return await d.engine.handle(SetupSubmitted(d.info(), d.actor(user), vals), d.gateway)


async def test_form_round_trips_the_text_commands(d):
    await d.setup_charter()
    await d.cmd(ADMIN, "setup")
    [form] = d.last
    assert isinstance(form, OpenForm)
    by_name = {f.name: f for f in form.fields}
    assert by_name["types"].multiline and "solution" in by_name["types"].value
    before = await d.repo.get_charter(key())
    out = await submit(d, ADMIN, {f.name: f.value for f in form.fields})
    after = await d.repo.get_charter(key())
    assert "Charter saved" in out[0].text
    assert after.types == before.types and after.schedule == before.schedule
    assert after.timezone == before.timezone and after.purpose == before.purpose


async def test_submission_creates_the_charter_in_one_version(d):
    out = await submit(d, ADMIN, values())
    assert "Charter saved" in out[0].text
    c = await d.repo.get_charter(key())
    assert c.version == 1 and c.language == "fr" and [t.key for t in c.types] == ["solution", "idea"]
    assert c.type("solution").fields[2].required is False


@pytest.mark.parametrize(
    ("field", "bad", "expected"),
    [
        ("purpose", "  ", "Say why this channel exists"),
        ("types", "solution", "Line 1 should look like"),
        ("types", 'ok "Ok"\n9bad "Bad"', "Line 2: `9bad` is not a valid type key"),
        ("types", 'a "A" emoji=bulb\nb "B" emoji=bulb', "two output types cannot share an emoji"),
        ("schedule", "someday", "like fri 16:00"),
        ("timezone", "Mars/Olympus", "unknown timezone"),
        ("language", "de", "Available: en, fr"),
    ],
)
async def test_errors_are_shown_beside_their_field_and_nothing_is_saved(d, field, bad, expected):
    out = await submit(d, ADMIN, values(**{field: bad}))
    [err] = out
    assert isinstance(err, FormErrors) and expected in err.errors[field], err.errors
    assert await d.repo.get_charter(key()) is None


async def test_only_owners_may_submit(d):
    out = await submit(d, "U1", values())
    assert "Only owners" in out[0].text
    assert await d.repo.get_charter(key()) is None
