"""What people may type reaches storage as it is: ids past what a database stores, NULs."""

from __future__ import annotations

from storage.repository import SqlRepository


async def test_an_id_past_64_bits_is_simply_not_there(repo: SqlRepository) -> None:
    assert await repo.get_deliverable(10**20) is None
    assert await repo.get_deliverable(0) is None
    assert await repo.get_deliverable(-1) is None


async def test_a_nul_in_search_words_finds_nothing_rather_than_failing(repo: SqlRepository) -> None:
    assert await repo.search("slack", "T1", "a\x00b") == []
    assert await repo.search("slack", "T1", "\x00") == []
