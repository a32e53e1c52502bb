"""/healthz: 200 when the database is reachable and migrated, 503 with the reason otherwise."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from adapters.http import build_web_app
from bot.bootstrap import build
from bot.config import load_settings
from storage.database import migrate


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
