from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.deliverable import Deliverable, Status, Via
from storage.repository import SqlRepository
from tests.storage.factories import CH, T0, channel, new

ODD_TEXT = (
    "Résumé 🚀👩🏽‍💻 مرحبا بالعالم שלום ‮reversed‬ \"quoted\" 'single' `tick`\n"
    "'); DROP TABLE deliverables; -- \\ % _ \u200f\t"
)


async def test_capture_is_idempotent_per_message_and_type(repo: SqlRepository) -> None:
    first, created = await repo.capture(new())
    assert created and first.id is not None
    again, created = await repo.capture(new(tagged_by="U2", text="other snapshot"))
    assert not created and again == first
    other_type, created = await repo.capture(new(type="idea"))
    assert created and other_type.id != first.id
    elsewhere, created = await repo.capture(new(channel("C2")))
    assert created


async def test_deliverables_without_a_message_never_collide(repo: SqlRepository) -> None:
    a, created_a = await repo.capture(new(message_id=None))
    b, created_b = await repo.capture(new(message_id=None))
    assert created_a and created_b and a.id != b.id


async def test_fifty_concurrent_identical_captures_make_one_row(repo: SqlRepository) -> None:
    results = await asyncio.gather(*(repo.capture(new(tagged_by=f"U{i}")) for i in range(50)))
    assert len({d.id for d, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(await repo.export()) == 1


async def test_forty_thousand_odd_characters_round_trip(repo: SqlRepository) -> None:
    text = (ODD_TEXT * 400)[:40_000]
    fields = {"problem": ODD_TEXT, "fix": "«guillemets» & <b>html</b>"}
    captured, _ = await repo.capture(new(text=text, fields=fields))
    assert captured.id is not None
    stored = await repo.get_deliverable(captured.id)
    assert stored is not None
    assert (len(stored.text), stored.text, stored.fields) == (40_000, text, fields)


async def test_nul_characters_are_dropped_on_both_backends(repo: SqlRepository) -> None:
    d, _ = await repo.capture(new(text="a\x00b", fields={"problem": "c\x00d"}))
    assert (d.text, d.fields) == ("ab", {"problem": "cd"})
    assert d.id is not None
    assert (await repo.update_deliverable(d.id, text="e\x00f")).text == "ef"


async def test_get_and_by_message(repo: SqlRepository) -> None:
    assert await repo.get_deliverable(12345) is None
    a, _ = await repo.capture(new(type="solution"))
    b, _ = await repo.capture(new(type="idea"))
    await repo.capture(new(message_id="m2"))
    assert await repo.by_message(CH, "m1") == [a, b]
    assert await repo.by_message(channel("C2"), "m1") == []


async def test_update_any_field(repo: SqlRepository) -> None:
    draft, _ = await repo.capture(new(status=Status.DRAFT, fields={"problem": "jam"}))
    assert draft.id is not None and draft.completed_at is None
    done_at = T0 + timedelta(hours=2)
    done = await repo.update_deliverable(
        draft.id,
        status=Status.COMPLETE,
        fields={"problem": "jam", "fix": "reseat"},
        completed_at=done_at,
        updated_at=done_at,
        title="Jam",
        type="fix",
        via="command",
    )
    assert (done.status, done.fields["fix"], done.completed_at) == (Status.COMPLETE, "reseat", done_at)
    assert (done.title, done.type, done.via) == ("Jam", "fix", Via.COMMAND)
    assert await repo.get_deliverable(draft.id) == done
    deleted = await repo.update_deliverable(draft.id, status="deleted", text="")
    assert (deleted.status, deleted.text, deleted.title) == (Status.DELETED, "", "Jam")


async def test_update_refuses_unknown_fields_bad_values_and_missing_rows(
    repo: SqlRepository,
) -> None:
    d, _ = await repo.capture(new())
    assert d.id is not None
    with pytest.raises(TypeError, match="colour"):
        await repo.update_deliverable(d.id, colour="red")
    with pytest.raises(TypeError, match="id"):
        await repo.update_deliverable(d.id, id=7)
    with pytest.raises(ValueError):
        await repo.update_deliverable(d.id, status="finished")
    with pytest.raises(LookupError):
        await repo.update_deliverable(999, title="x")
    assert await repo.update_deliverable(d.id) == d


async def test_list_filters_and_orders_newest_first(repo: SqlRepository) -> None:
    made: list[Deliverable] = []
    for i in range(5):
        d, _ = await repo.capture(
            new(
                message_id=f"m{i}",
                type="idea" if i % 2 else "solution",
                status=Status.DRAFT if i == 4 else Status.COMPLETE,
                created_at=T0 + timedelta(days=i),
            )
        )
        made.append(d)
    await repo.capture(new(channel("C2"), message_id="x"))
    assert await repo.list_deliverables(CH) == made[::-1]
    assert await repo.list_deliverables(CH, type="idea") == [made[3], made[1]]
    window = await repo.list_deliverables(CH, since=T0 + timedelta(days=1), until=T0 + timedelta(days=3))
    assert window == [made[2], made[1]]
    assert await repo.list_deliverables(CH, statuses=[Status.DRAFT]) == [made[4]]
    assert await repo.list_deliverables(CH, limit=2) == [made[4], made[3]]


async def test_drafts_of_a_user_in_one_workspace(repo: SqlRepository) -> None:
    mine, _ = await repo.capture(new(status=Status.DRAFT, message_id="a"))
    await repo.capture(new(status=Status.DRAFT, message_id="b", tagged_by="U2"))
    await repo.capture(new(status=Status.COMPLETE, message_id="c"))
    other_channel, _ = await repo.capture(
        new(channel("C2"), status=Status.DRAFT, created_at=T0 + timedelta(hours=1))
    )
    await repo.capture(new(channel("C1", "T2"), status=Status.DRAFT))
    assert await repo.drafts_of("slack", "T1", "U1") == [mine, other_channel]


async def test_recent_of_a_user_newest_first_in_one_workspace(repo: SqlRepository) -> None:
    tagged, _ = await repo.capture(new(message_id="a"))
    authored, _ = await repo.capture(
        new(message_id="b", tagged_by="U2", created_at=T0 + timedelta(hours=1)).model_copy(
            update={"author_id": "U1"}
        )
    )
    await repo.capture(new(message_id="c", tagged_by="U2"))
    await repo.capture(new(message_id="d", status=Status.DRAFT))
    await repo.capture(new(channel("C1", "T2"), message_id="e"))
    assert await repo.recent_of("slack", "T1", "U1") == [authored, tagged]
    assert await repo.recent_of("slack", "T1", "U1", limit=1) == [authored]


async def test_export_filters_oldest_first(repo: SqlRepository) -> None:
    late, _ = await repo.capture(new(message_id="late", created_at=T0 + timedelta(days=2)))
    early, _ = await repo.capture(new(message_id="early"))
    other, _ = await repo.capture(new(channel("C2")))
    teams, _ = await repo.capture(new(channel("19:a", "tenant", "teams")))
    assert await repo.export() == [early, other, teams, late]
    assert await repo.export("slack", "T1") == [early, other, late]
    assert await repo.export("slack", "T1", "C1") == [early, late]
    assert await repo.export(since=T0 + timedelta(days=1)) == [late]


async def test_capture_records_the_taggers_tagging_with_it(repo: SqlRepository) -> None:
    d, created = await repo.capture(new(tagged_by="U1"), emoji="white_check_mark")
    assert created and d.id is not None
    twin, created = await repo.capture(new(tagged_by="U2"), emoji="white_check_mark")
    assert not created and twin.id == d.id
    again, _ = await repo.capture(new(tagged_by="U2"), emoji="white_check_mark")  # no duplicate
    assert not await repo.add_tagging(d.id, "U1", "reaction", "white_check_mark")  # already there
    assert await repo.remove_tagging(d.id, "U1", "white_check_mark") == 1
    assert await repo.remove_tagging(d.id, "U2", "white_check_mark") == 0


async def test_fifty_concurrent_different_captures_all_land(repo: SqlRepository) -> None:
    """SQLite's writers take turns in the process (Database._turn), PostgreSQL's in the server."""
    results = await asyncio.gather(
        *(repo.capture(new(message_id=f"m{i}", tagged_by=f"U{i}"), emoji="x") for i in range(50))
    )
    assert all(created for _, created in results)
    assert len(await repo.export()) == 50


async def test_taggings_count_what_remains(repo: SqlRepository) -> None:
    d, _ = await repo.capture(new())
    assert d.id is not None
    assert await repo.add_tagging(d.id, "U1", "reaction", "white_check_mark")
    assert not await repo.add_tagging(d.id, "U1", "reaction", "white_check_mark")
    assert await repo.add_tagging(d.id, "U2", "reaction", "white_check_mark")
    assert await repo.add_tagging(d.id, "U1", "command", "")
    assert await repo.remove_tagging(d.id, "U1", "white_check_mark") == 2
    assert await repo.remove_tagging(d.id, "U1", "white_check_mark") == 2
    assert await repo.remove_tagging(d.id, "U2", "white_check_mark") == 1
    assert await repo.remove_tagging(d.id, "U1", "") == 0
    with pytest.raises(LookupError):
        await repo.add_tagging(999, "U1", "reaction", "x")
