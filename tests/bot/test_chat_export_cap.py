"""`export` in chat stops at a cap and says so; both databases."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from bot.commands import deliverable_cmds
from bot.events import SendFile
from storage.repository import SqlRepository
from tests.engine.harness import ADMIN, Dialog, key
from tests.storage.factories import T0, new


@pytest.fixture
async def d(repo: SqlRepository, monkeypatch: pytest.MonkeyPatch) -> Dialog:
    monkeypatch.setattr(deliverable_cmds, "CHAT_EXPORT_MAX_ROWS", 3)
    dialog = Dialog(repo)
    await dialog.setup_charter()
    return dialog


async def captured(d: Dialog, n: int) -> list[int | None]:
    """`n` deliverables in C1, two to a timestamp (the cap's cut falls inside a tie), and
    some in C2 that C1's export never counts; C1's ids, oldest first."""
    ids = []
    for i in range(n):
        at = T0 + timedelta(hours=i // 2)
        made, _ = await d.repo.capture(new(key("C1"), message_id=f"m{i}", created_at=at))
        await d.repo.capture(new(key("C2"), message_id=f"m{i}", created_at=T0))
        ids.append(made.id)
    return ids


def sent_file(d: Dialog) -> SendFile:
    [f] = d.last
    assert isinstance(f, SendFile)
    return f


async def test_beyond_the_cap_the_newest_go_with_a_message(d: Dialog) -> None:
    ids = await captured(d, 5)
    await d.cmd(ADMIN, "export csv")
    f = sent_file(d)
    rows = list(csv.DictReader(io.StringIO(f.content, newline="")))
    assert [int(r["id"]) for r in rows] == ids[-3:]  # the newest three, oldest first
    assert f.text == (
        "This channel has 5 deliverables and an export in chat stops at 3: this file holds the "
        "newest 3. For all of them, whoever runs Outputs can run `outputs-bot export --channel C1`."
    )
    await d.cmd(ADMIN, "export json")
    assert [r["id"] for r in json.loads(sent_file(d).content)] == ids[-3:]


async def test_the_message_is_in_the_readers_language(d: Dialog) -> None:
    await captured(d, 4)
    d.locales[ADMIN] = "fr"
    await d.cmd(ADMIN, "export")
    assert sent_file(d).text == (
        "Ce canal compte 4 livrables et un export dans la conversation s'arrête à 3 : ce fichier "
        "contient les 3 plus récents. Pour les avoir tous, la personne qui fait tourner Outputs "
        "peut lancer `outputs-bot export --channel C1`."
    )


async def test_up_to_the_cap_everything_goes_as_before(d: Dialog) -> None:
    ids = await captured(d, 3)
    await d.cmd(ADMIN, "export json")
    f = sent_file(d)
    assert f.text == "3 deliverables exported."
    assert [r["id"] for r in json.loads(f.content)] == ids
    assert f.filename == "outputs-c1.json" and f.mime == "application/json"


async def test_an_empty_channel_exports_an_empty_file(d: Dialog) -> None:
    await d.cmd(ADMIN, "export json")
    f = sent_file(d)
    assert (f.content, f.text) == ("[]", "0 deliverables exported.")
