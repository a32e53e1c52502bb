"""`charter apply` goes through the engine: history, the scheduler told, a concurrent edit read again."""

from __future__ import annotations

from bot import charter_file
from tests.engine.harness import PLATFORM, WORKSPACE, Dialog, key

FILE = f"""
[[charter]]
platform = "{PLATFORM}"
workspace_id = "{WORKSPACE}"
channel_id = "C1"
purpose = "Ship the field guide"
types = [{{ key = "guide", label = "Guide", emoji = "book", target = "1/week" }}]
"""


async def test_apply_saves_through_the_engine_and_tells_the_scheduler(repo):
    d = Dialog(repo)
    told = []
    d.engine.services.on_charter_changed(told.append)
    charters = charter_file.load(FILE, "c.toml")

    assert await charter_file.apply(d.engine.services, charters, "ops", "c.toml") == 1
    assert told == [key("C1")]
    stored = await repo.get_charter(key("C1"))
    assert stored is not None and stored.purpose == "Ship the field guide" and stored.version == 1
    history = await repo.charter_history(key("C1"))
    assert any(v.summary == "charter apply c.toml" and v.changed_by == "ops" for v in history)

    # the same file again changes nothing and tells nobody
    assert await charter_file.apply(d.engine.services, charters, "ops", "c.toml") == 0
    assert told == [key("C1")]


async def test_apply_over_a_charter_edited_in_chat_keeps_the_history(repo):
    d = Dialog(repo)
    await d.cmd("UADMIN", "purpose Something else entirely")
    before = await repo.get_charter(key("C1"))
    assert before is not None
    changed = await charter_file.apply(d.engine.services, charter_file.load(FILE), "ops", "c.toml")
    assert changed == 1
    after = await repo.get_charter(key("C1"))
    assert after is not None and after.version == before.version + 1
    assert after.purpose == "Ship the field guide"
