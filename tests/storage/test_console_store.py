from __future__ import annotations

from storage.console_store import ConsoleMessages
from storage.database import Database
from tests.storage.factories import T0


async def test_messages_add_get_edit_delete(db: Database) -> None:
    messages = ConsoleMessages(db)
    assert await messages.max_id() == 0
    assert await messages.get(1) is None
    first = await messages.add("W1", "general", "alice", "hello 👋", at=T0)
    reply = await messages.add("W1", "general", "bob", "hi", thread_id=str(first), at=T0)
    assert reply > first and await messages.max_id() == reply

    row = await messages.get(first)
    assert row is not None
    assert (row.channel_id, row.user_id, row.text, row.created_at, row.deleted) == (
        "general",
        "alice",
        "hello 👋",
        T0,
        False,
    )
    assert await messages.get(reply) == row.model_copy(
        update={"id": reply, "user_id": "bob", "text": "hi", "thread_id": str(first)}
    )

    assert await messages.edit(first, "hello, edited")
    assert await messages.get(first) == row.model_copy(update={"text": "hello, edited"})
    assert await messages.delete(first)
    assert await messages.get(first) == row.model_copy(update={"text": "hello, edited", "deleted": True})
    assert not await messages.edit(first, "too late")
    assert not await messages.delete(first)
    assert not await messages.edit(999, "nobody")


async def test_ids_survive_a_restart(db: Database) -> None:
    first = await ConsoleMessages(db).add("W1", "general", "alice", "one", at=T0)
    reopened = Database(db.url)
    try:
        assert await ConsoleMessages(reopened).max_id() == first
    finally:
        await reopened.dispose()
