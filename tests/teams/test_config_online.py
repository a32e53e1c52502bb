"""Issue 13: `config check --online` asks the Microsoft identity platform for the bot's token.

msal runs for real against the local TLS login fake (`tests/teams/graph_fakes.py`), pointed
at by `teams.login_url`: a token issued, a password refused (401 with Entra's AADSTS JSON),
an app or tenant Entra does not know, a proxy's HTML 502 page, and nobody listening. The
check is run as the CLI runs it (`app.config_check.check`), on a migrated database.
"""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.config_check import check
from bot.config import load_settings
from storage.database import Database
from tests.teams.graph_fakes import APP_ID, APP_PASSWORD, Microsoft, microsoft

WRONG_SECRET = {
    "error": "invalid_client",
    "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in "
    "the request is the client secret value, not the client secret ID. Trace ID: 0f1e Correlation ID: "
    "9a8b Timestamp: 2026-12-02 09:00:00Z",
    "error_codes": [7000215],
    "error_uri": "https://login.microsoftonline.com/error?code=7000215",
}
UNKNOWN_APP = {
    "error": "unauthorized_client",
    "error_description": f"AADSTS700016: Application with identifier '{APP_ID}' was not found in the "
    "directory 'Bot Framework'.",
    "error_codes": [700016],
}
HOME_TENANT = "5e4e0d2a-9b1c-4f3e-8a7d-6c5b4a392817"


@pytest.fixture
async def ms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Microsoft]:
    monkeypatch.chdir(tmp_path)  # no ./config.toml
    async with microsoft(tmp_path) as m:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(m.ca_bundle))  # trust the fake login's TLS
        yield m


async def config_check(db: Database, login_url: str, *, online: bool = True, **env: str) -> tuple[int, str]:
    settings = load_settings(
        env={
            "DATABASE_URL": db.url,
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
            "OUTPUTS_TEAMS__LOGIN_URL": login_url,
            **env,
        }
    )
    out = io.StringIO()
    code = await check(settings, out, online=online)
    text = out.getvalue()
    assert APP_PASSWORD not in text
    return code, text


async def test_a_token_issued_is_ready(ms: Microsoft, db: Database) -> None:
    code, out = await config_check(db, ms.login_url)
    assert code == 0, out
    assert f"teams: ready: the Microsoft identity platform issued a token for app {APP_ID}" in out
    assert "(botframework.com)" in out
    assert out.rstrip().endswith("OK: ready to serve teams.")
    [asked] = ms.login.token_requests
    assert asked.tenant == "botframework.com"  # the Bot Framework's own authority, as the SDK asks
    assert asked.form["scope"] == "https://api.botframework.com/.default"
    assert asked.form["grant_type"] == "client_credentials"


async def test_a_single_tenant_app_asks_its_own_tenant(ms: Microsoft, db: Database) -> None:
    code, out = await config_check(db, ms.login_url, MICROSOFT_APP_TENANT_ID=HOME_TENANT)
    assert code == 0, out
    assert [r.tenant for r in ms.login.token_requests] == [HOME_TENANT]


async def test_a_refused_password_is_named(ms: Microsoft, db: Database) -> None:
    ms.login.refuse = WRONG_SECRET
    code, out = await config_check(db, ms.login_url)
    assert code == 1
    assert (
        "teams: NOT READY: the app password was refused (AADSTS7000215): set MICROSOFT_APP_PASSWORD "
        "to a current client secret"
    ) in out
    assert "teams: ready:" not in out  # the offline line says the settings are complete; Entra says no


async def test_an_unknown_app_id_is_named(ms: Microsoft, db: Database) -> None:
    ms.login.refuse = UNKNOWN_APP
    code, out = await config_check(db, ms.login_url)
    assert code == 1
    assert f"teams: NOT READY: app id {APP_ID} is not known in tenant botframework.com (AADSTS700016)" in out


async def test_an_unknown_tenant_is_named(ms: Microsoft, db: Database) -> None:
    ms.login.unknown_tenants.add(HOME_TENANT)
    code, out = await config_check(db, ms.login_url, MICROSOFT_APP_TENANT_ID=HOME_TENANT)
    assert code == 1
    assert f"teams: NOT READY: tenant {HOME_TENANT} is not known to 127.0.0.1" in out
    assert ms.login.token_requests == []


async def test_a_proxys_html_page_is_not_taken_for_an_answer(
    ms: Microsoft, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ms.login.bad_gateway = True
    code, out = await config_check(db, ms.login_url)
    assert code == 1
    page = "teams: NOT READY: 127.0.0.1 did not answer as the Microsoft identity platform does (HTTP 502"
    assert page in out
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []  # msal's traceback is not logged


async def test_a_login_endpoint_nobody_listens_on_is_unreachable(ms: Microsoft, db: Database) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code, out = await config_check(db, f"https://127.0.0.1:{port}")
    assert code == 1
    assert "teams: NOT READY: could not reach 127.0.0.1 (ConnectionError)" in out


async def test_without_online_nothing_is_asked(ms: Microsoft, db: Database) -> None:
    code, out = await config_check(db, ms.login_url, online=False)
    assert code == 0, out
    assert "teams: ready (HTTP)" in out and "identity platform" not in out
    assert ms.login.token_requests == [] and ms.login.discoveries == []


async def test_without_an_app_id_the_online_check_is_skipped(ms: Microsoft, db: Database) -> None:
    anonymous = {
        "MICROSOFT_APP_ID": "",
        "MICROSOFT_APP_PASSWORD": "",
        "OUTPUTS_TEAMS__ALLOW_UNAUTHENTICATED": "true",
    }
    code, out = await config_check(db, ms.login_url, **anonymous)
    assert code == 0, out
    assert "teams: online check skipped (no MICROSOFT_APP_ID: authentication is off)" in out
    assert ms.login.token_requests == []
