"""Conversation references on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.charter import ChannelKey
from storage.conversations import ConversationRefs
from storage.database import Database

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def key(channel: str, workspace: str = "tenant-1") -> ChannelKey:
    return ChannelKey(platform="teams", workspace_id=workspace, channel_id=channel)


async def test_save_then_get_keeps_the_reference_json(db: Database) -> None:
    refs = ConversationRefs(db)
    ref = {"conversation": {"id": "19:abc@thread.skype", "tenantId": "tenant-1"}, "bot": {"id": "28:x"}}
    await refs.save(key("19:abc@thread.skype"), "https://smba.example/amer/", ref, T0)
    got = await refs.get(key("19:abc@thread.skype"))
    assert got is not None
    assert got.reference == ref and got.service_url == "https://smba.example/amer/"
    assert got.updated_at == T0
    assert await refs.get(key("19:abc@thread.skype", "tenant-2")) is None


async def test_saving_again_replaces_one_row(db: Database) -> None:
    refs = ConversationRefs(db)
    await refs.save(key("c1"), "https://one.example/", {"v": 1}, T0)
    await refs.save(key("c1"), "https://two.example/", {"v": 2}, T0 + timedelta(hours=1))
    rows = await refs.list("teams")
    assert len(rows) == 1
    assert rows[0].service_url == "https://two.example/" and rows[0].reference == {"v": 2}


async def test_list_and_forget_stay_within_a_workspace(db: Database) -> None:
    refs = ConversationRefs(db)
    for ws, ch in [("t1", "a"), ("t1", "b"), ("t2", "a")]:
        await refs.save(key(ch, ws), "https://s.example/", {"ch": ch}, T0)
    assert [r.channel_id for r in await refs.list("teams", "t1")] == ["a", "b"]
    assert await refs.forget("teams", "t1", ["a", "zzz"]) == 1
    assert await refs.forget("teams", "t1", []) == 0
    assert [(r.workspace_id, r.channel_id) for r in await refs.list("teams")] == [("t1", "b"), ("t2", "a")]
    assert await refs.list("slack") == []
