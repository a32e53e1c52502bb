from __future__ import annotations

import asyncio
from datetime import date, time, timedelta

import pytest

from bot.charter import Charter, FieldSpec, OutputType, Schedule, Target
from bot.ports import ChannelInfo, ConflictError
from storage.repository import SqlRepository
from tests.storage.factories import CH, T0, channel

SOLUTION = OutputType(
    key="solution",
    label="Problem solved",
    emoji="white_check_mark",
    fields=(FieldSpec(name="problem"), FieldSpec(name="fix"), FieldSpec(name="area", required=False)),
    target=Target(count=3, per="week"),
)


def charter(**changes: object) -> Charter:
    base = Charter(channel=CH, purpose="Solve customer problems", owners=("U1",), types=(SOLUTION,))
    return base.model_copy(update=changes)


async def test_no_charter_until_saved(repo: SqlRepository) -> None:
    assert await repo.get_charter(CH) is None
    assert await repo.charter_history(CH) == []


async def test_save_stores_the_whole_charter_and_bumps_the_version(repo: SqlRepository) -> None:
    saved = await repo.save_charter(charter(timezone="Europe/Paris"), "U1", "created", T0)
    assert (saved.version, saved.updated_by, saved.updated_at) == (1, "U1", T0)
    assert await repo.get_charter(CH) == saved

    later = T0 + timedelta(hours=1)
    paused = saved.model_copy(
        update={"paused_until": date(2026, 8, 31), "schedule": Schedule(weekday=0, at=time(9, 30))}
    )
    again = await repo.save_charter(paused, "U2", "paused for summer", later)
    assert again.version == 2
    stored = await repo.get_charter(CH)
    assert stored == again
    assert stored is not None and stored.types[0].target == Target(count=3, per="week")


async def test_a_stale_version_is_a_conflict(repo: SqlRepository) -> None:
    first = await repo.save_charter(charter(), "U1", "created", T0)
    await repo.save_charter(first.model_copy(update={"purpose": "A"}), "U1", "a", T0)
    with pytest.raises(ConflictError):
        await repo.save_charter(first.model_copy(update={"purpose": "B"}), "U2", "b", T0)
    with pytest.raises(ConflictError):  # creating over an existing charter
        await repo.save_charter(charter(), "U3", "created again", T0)
    stored = await repo.get_charter(CH)
    assert stored is not None and (stored.purpose, stored.version) == ("A", 2)


async def test_concurrent_writers_of_one_version_one_wins(repo: SqlRepository) -> None:
    first = await repo.save_charter(charter(), "U1", "created", T0)
    edits = [first.model_copy(update={"purpose": f"edit {i}"}) for i in range(10)]
    results = await asyncio.gather(
        *(repo.save_charter(e, "U1", "edit", T0) for e in edits), return_exceptions=True
    )
    assert sum(isinstance(r, Charter) for r in results) == 1
    assert all(isinstance(r, (Charter, ConflictError)) for r in results)
    assert len(await repo.charter_history(CH)) == 2


async def test_history_keeps_every_version_oldest_first(repo: SqlRepository) -> None:
    v1 = await repo.save_charter(charter(), "U1", "created", T0)
    v2 = await repo.save_charter(
        v1.model_copy(update={"purpose": "Now with a longer purpose"}),
        "U2",
        "purpose changed",
        T0 + timedelta(days=1),
    )
    history = await repo.charter_history(CH)
    assert [(h.version, h.changed_by, h.summary) for h in history] == [
        (1, "U1", "created"),
        (2, "U2", "purpose changed"),
    ]
    assert history[0].charter == v1 and history[1].charter == v2
    assert history[1].changed_at == T0 + timedelta(days=1)


async def test_list_charters_by_platform_and_workspace(repo: SqlRepository) -> None:
    keys = [channel("C1"), channel("C2"), channel("C1", "T2"), channel("19:x", "tenant", "teams")]
    for key in keys:
        await repo.save_charter(charter(channel=key), "U1", "created", T0)
    assert len(await repo.list_charters()) == 4
    assert {c.channel for c in await repo.list_charters("slack")} == set(keys[:3])
    assert {c.channel for c in await repo.list_charters("slack", "T1")} == set(keys[:2])
    assert await repo.list_charters("teams", "T1") == []


async def test_channels_upsert_and_keep_what_is_unknown(repo: SqlRepository) -> None:
    assert await repo.get_channel(CH) is None
    await repo.upsert_channel(ChannelInfo(key=CH, name="support", creator_id="U1"))
    await repo.upsert_channel(ChannelInfo(key=CH, name="", is_private=True))
    assert await repo.get_channel(CH) == ChannelInfo(key=CH, name="support", is_private=True, creator_id="U1")
    await repo.upsert_channel(ChannelInfo(key=channel("C2"), name="ideas"))
    await repo.upsert_channel(ChannelInfo(key=channel("C3", "T2"), name="elsewhere"))
    names = [c.name for c in await repo.list_channels("slack", "T1")]
    assert names == ["ideas", "support"]


async def test_workspace_rollup_channel(repo: SqlRepository) -> None:
    settings = await repo.get_workspace("slack", "T1")
    assert settings.rollup_channel_id is None
    await repo.set_rollup_channel("slack", "T1", "C9")
    assert (await repo.get_workspace("slack", "T1")).rollup_channel_id == "C9"
    assert (await repo.get_workspace("slack", "T2")).rollup_channel_id is None
    await repo.set_rollup_channel("slack", "T1", None)
    assert (await repo.get_workspace("slack", "T1")).rollup_channel_id is None
