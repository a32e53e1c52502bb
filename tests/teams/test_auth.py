"""With an app id, every request needs a token the Bot Framework signed for this app.

Tokens are signed here with a local RSA key; the OpenID metadata and its JWKS are served
locally (in a thread: the SDK fetches them with blocking `requests`), and the SDK's own
hook, `ChannelValidation.open_id_metadata_endpoint`, points it there.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from botframework.connector.auth import ChannelValidation
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from adapters.teams.server import TeamsServer
from bot.config import load_settings
from storage.database import Database
from tests.teams.conftest import Teams, anonymous_settings, start_teams

APP_ID = "5f8d6bd5-2c1b-4e0f-9d43-1b3b6f1f2a11"
ISSUER = "https://api.botframework.com"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
KID = "local-test-key"


class _OpenId(BaseHTTPRequestHandler):
    base = ""

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/openid":
            body: dict[str, Any] = {"issuer": ISSUER, "jwks_uri": f"{self.base}/keys"}
        else:
            jwk = json.loads(RSAAlgorithm.to_jwk(KEY.public_key()))
            body = {"keys": [{**jwk, "kid": KID, "use": "sig", "endorsements": ["msteams"]}]}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def openid(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenId)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _OpenId.base = base
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(ChannelValidation, "open_id_metadata_endpoint", f"{base}/openid")
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def secured(db: Database, openid: str) -> AsyncIterator[Teams]:
    settings = load_settings(env={"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "not-used-here"})
    async for t in start_teams(db, settings):
        yield t


def token(service_url: str, *, key: Any = KEY, aud: str = APP_ID, ttl: int = 3600, iss: str = ISSUER) -> str:
    now = int(time.time())
    claims = {"iss": iss, "aud": aud, "serviceurl": service_url, "nbf": now - 10, "exp": now + ttl}
    return "Bearer " + jwt.encode(claims, key, algorithm="RS256", headers={"kid": KID})


async def test_a_valid_token_is_accepted(secured: Teams) -> None:
    a = secured.activity("fetch_task_message")
    resp = await secured.post(a, headers={"Authorization": token(a["serviceUrl"])})
    assert resp.status == 200
    assert (await resp.json())["task"]["type"] == "message"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "signed-by-another-key",
        "for-another-app",
        "expired",
        "another-issuer",
        "another-service-url",
    ],
)
async def test_missing_or_invalid_tokens_get_401_and_change_nothing(
    secured: Teams, header: str | None
) -> None:
    a = secured.activity("fetch_task_message")
    url = a["serviceUrl"]
    forged = {
        "signed-by-another-key": lambda: token(url, key=OTHER_KEY),
        "for-another-app": lambda: token(url, aud="someone-else"),
        "expired": lambda: token(url, ttl=-3600),
        "another-issuer": lambda: token(url, iss="https://evil.example"),
        "another-service-url": lambda: token("https://evil.example/"),
    }
    value = forged[header]() if header in forged else header
    resp = await secured.post(a, headers={"Authorization": value} if value is not None else {})
    assert resp.status == 401
    assert await secured.server.refs.list("teams") == []
    assert secured.connector.calls == []


async def test_serve_warns_loudly_when_authentication_is_off(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    async for t in start_teams(db, anonymous_settings()):
        await t.server.start()
    assert "authentication is OFF" in capsys.readouterr().err
    async for t in start_teams(
        db, load_settings(env={"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "x"})
    ):
        assert isinstance(t.server, TeamsServer)
        await t.server.start()
    assert "OFF" not in capsys.readouterr().err
