"""/healthz: 200 when the database is reachable and migrated, 503 with the reason otherwise."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http import build_web_app
from app.bootstrap import build
from bot.config import load_settings
from storage.database import migrate
from tests.dashboard.site import open_site


async def test_503_on_an_unmigrated_database_then_200_after_migrate(db_url: str) -> None:
    settings = load_settings(env={"DATABASE_URL": db_url, "OUTPUTS_CONFIG": ""})
    app = await build(settings, check_schema=False)
    client = TestClient(TestServer(build_web_app(app, [])))
    await client.start_server()
    try:
        resp = await client.get("/healthz")
        assert resp.status == 503
        body = await resp.json()
        assert body["status"] == "unavailable" and "outputs-bot migrate" in body["database"]
        await migrate(app.db)
        resp = await client.get("/healthz")
        assert resp.status == 200 and (await resp.json()) == {"status": "ok"}
        assert resp.headers["X-Request-Id"]
    finally:
        await client.close()
        await app.close()


async def test_503_when_the_database_is_unreachable() -> None:
    url = "postgresql://nobody@127.0.0.1:1/outputs"
    app = await build(load_settings(env={"DATABASE_URL": url, "OUTPUTS_CONFIG": ""}), check_schema=False)
    client = TestClient(TestServer(build_web_app(app, [])))
    await client.start_server()
    try:
        resp = await client.get("/healthz")
        assert resp.status == 503
        assert (await resp.json()) == {"status": "unavailable", "database": "unreachable"}
    finally:
        await client.close()
        await app.close()


async def test_503_within_the_bound_when_the_sqlite_file_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "outputs.db"
    await migrate(f"sqlite:///{path}")
    app = await build(load_settings(env={"DATABASE_URL": f"sqlite:///{path}", "OUTPUTS_CONFIG": ""}))
    client = TestClient(TestServer(build_web_app(app, [])))
    await client.start_server()
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        assert (await client.get("/healthz")).status == 200
        await app.db.dispose()  # new connections must open the file, as after a restart
        locker.execute("PRAGMA locking_mode=EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("DELETE FROM channels")  # the lock is taken by the first write
        first, second = await asyncio.gather(client.get("/healthz"), client.get("/healthz"))
        for resp in (first, second):  # both answered by the bound, not by the database
            assert resp.status == 503
            assert (await resp.json()) == {"status": "unavailable", "database": "no answer"}
        locker.execute("ROLLBACK")
        locker.close()  # the only sure way out of an exclusive locking mode on a WAL file
        for _ in range(100):  # the stuck look finishes once the lock is gone; then a new one
            resp = await client.get("/healthz")
            if resp.status == 200:
                break
            await asyncio.sleep(0.5)
        assert resp.status == 200
    finally:
        locker.close()
        await client.close()
        await app.close()


async def test_a_request_aiohttp_cannot_parse_is_a_400_and_no_error_in_the_log(
    db, caplog: pytest.LogCaptureFixture
) -> None:
    async with open_site(db) as site:
        caplog.clear()
        resp = await site.http.get("/dashboard", params={"q": "x" * 10_000})
        assert resp.status == 400
        resp = await site.http.get("/healthz", headers={"X-Long": "y" * 10_000})
        assert resp.status == 400
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any("unparsable HTTP request" in r.getMessage() for r in caplog.records)
