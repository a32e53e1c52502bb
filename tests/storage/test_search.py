from __future__ import annotations

from datetime import timedelta

import pytest

from bot.deliverable import Status
from bot.ports import ChannelInfo
from storage.repository import SqlRepository
from tests.storage.factories import CH, T0, channel, new

HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "printer*",
    "-printer",
    "printer OR",
    "AND",
    "NEAR(printer jam)",
    "title:printer",
    "^printer",
    "(",
    "{printer}",
    "'); DROP TABLE deliverables; --",
    "% _ \\",
    "🚀",
    "👩🏽‍💻 printer",
    "x" * 500,
    "a " * 200,
]


async def test_ranked_matches_in_title_text_fields_and_type(repo: SqlRepository) -> None:
    weak, _ = await repo.capture(new(message_id="1", text="Intro\nthe printer was slow"))
    strong, _ = await repo.capture(new(message_id="2", text="Printer jam\nprinter jam again, printer fixed"))
    field, _ = await repo.capture(
        new(message_id="3", text="Unrelated", fields={"area": "printers and printer trays"})
    )
    await repo.capture(new(message_id="4", text="Nothing to see"))
    hits = await repo.search("slack", "T1", "printer")
    assert [h.deliverable.id for h in hits][0] == strong.id
    assert {h.deliverable.id for h in hits} == {weak.id, strong.id, field.id}
    assert hits[0].rank >= hits[-1].rank
    by_type = await repo.search("slack", "T1", "solution")
    assert len(by_type) == 4


async def test_all_words_are_required_and_accents_case_do_not_matter(repo: SqlRepository) -> None:
    fr, _ = await repo.capture(new(message_id="1", text="Le café est réparé grâce à l'équipe"))
    await repo.capture(new(message_id="2", text="Le thé est froid"))
    assert [h.deliverable.id for h in await repo.search("slack", "T1", "CAFÉ réparé")] == [fr.id]
    assert await repo.search("slack", "T1", "café froid") == []
    field, _ = await repo.capture(new(message_id="3", text="x", fields={"zone": "Sécurité réseau"}))
    assert [h.deliverable.id for h in await repo.search("slack", "T1", "sécurité")] == [field.id]
    assert await repo.search("slack", "T1", "   ") == []


async def test_search_stays_in_its_workspace(repo: SqlRepository) -> None:
    mine, _ = await repo.capture(new(text="secret roadmap"))
    await repo.capture(new(channel("C1", "T2"), text="secret roadmap"))
    await repo.capture(new(channel("C1", "T1", "teams"), text="secret roadmap"))
    assert [h.deliverable for h in await repo.search("slack", "T1", "roadmap")] == [mine]
    assert len(await repo.search("slack", "T2", "roadmap")) == 1
    assert await repo.search("slack", "T3", "roadmap") == []


async def test_withdrawn_and_deleted_are_not_found(repo: SqlRepository) -> None:
    draft, _ = await repo.capture(new(message_id="1", status=Status.DRAFT, text="gizmo one"))
    gone, _ = await repo.capture(new(message_id="2", text="gizmo two"))
    deleted, _ = await repo.capture(new(message_id="3", text="gizmo three"))
    assert gone.id and deleted.id
    await repo.update_deliverable(gone.id, status=Status.WITHDRAWN)
    await repo.update_deliverable(deleted.id, status=Status.DELETED, text="")
    assert [h.deliverable.id for h in await repo.search("slack", "T1", "gizmo")] == [draft.id]


async def test_the_index_follows_edits(repo: SqlRepository) -> None:
    d, _ = await repo.capture(new(text="Headline\nold wording"))
    assert d.id is not None
    await repo.update_deliverable(d.id, text="new phrasing", fields={"fix": "sprocket"})
    assert await repo.search("slack", "T1", "wording") == []
    assert len(await repo.search("slack", "T1", "phrasing sprocket")) == 1


async def test_hits_carry_the_channel_privacy_and_name(repo: SqlRepository) -> None:
    await repo.upsert_channel(ChannelInfo(key=CH, name="support", is_private=True))
    await repo.capture(new(text="widget"))
    await repo.capture(new(channel("C-unknown"), text="widget", created_at=T0 + timedelta(1)))
    hits = {h.deliverable.channel.channel_id: h for h in await repo.search("slack", "T1", "widget")}
    assert (hits["C1"].channel_is_private, hits["C1"].channel_name) == (True, "support")
    assert (hits["C-unknown"].channel_is_private, hits["C-unknown"].channel_name) == (False, "")


async def test_limit(repo: SqlRepository) -> None:
    for i in range(5):
        await repo.capture(new(message_id=str(i), text="bolt"))
    assert len(await repo.search("slack", "T1", "bolt", limit=3)) == 3


@pytest.mark.parametrize("words", HOSTILE)
async def test_hostile_words_neither_fail_nor_inject(repo: SqlRepository, words: str) -> None:
    await repo.capture(new(text="printer jam near the tray"))
    await repo.search("slack", "T1", words)
    assert len(await repo.export()) == 1


async def test_quotes_and_operators_are_plain_words(repo: SqlRepository) -> None:
    d, _ = await repo.capture(new(text='He said "printer" OR NOT the tray'))
    assert [h.deliverable.id for h in await repo.search("slack", "T1", '"printer" OR')] == [d.id]
    assert [h.deliverable.id for h in await repo.search("slack", "T1", "NOT tray")] == [d.id]
