"""A fake Microsoft Entra login endpoint and a fake Microsoft Graph, for the team-owner path.

msal is driven for real: its own `requests` session asks the fake login endpoint for the
tenant's OpenID configuration, then for an app-only token. msal accepts only https
authorities, so the login fake serves TLS with a certificate made here for 127.0.0.1, and
the test points `REQUESTS_CA_BUNDLE` at it (requests reads that variable on every request).
msal runs in a worker thread (`asyncio.to_thread`) and blocks there while these servers
answer on the test's event loop.

Graph is served over plain http: `TeamOwners` takes its base URL as it is.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

APP_ID = "0b5c7a1e-3f7d-4c55-9a55-6f0e1d2c3b4a"
APP_PASSWORD = "app-password-not-a-real-one"


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and localhost) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "login-cert.pem", directory / "login-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class TokenRequest:
    tenant: str
    form: dict[str, str]


@dataclass
class FakeLogin:
    """`{base}/{tenant}/v2.0/.well-known/openid-configuration` and the token endpoint."""

    base: str = ""  # set once the server listens
    discoveries: list[str] = field(default_factory=list)  # tenants whose configuration was read
    token_requests: list[TokenRequest] = field(default_factory=list)
    refuse: dict[str, Any] | None = None  # an OAuth error body for the next token requests
    bad_gateway: bool = False  # a proxy in front answers 502 with its HTML page, to everything
    unknown_tenants: set[str] = field(default_factory=set)  # answered as Entra answers a typo
    _issued: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self.openid)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self.token)
        return app

    def tokens(self) -> list[str]:
        return [f"graph-token-{i}" for i in range(1, self._issued + 1)]

    async def openid(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        self.discoveries.append(tenant)
        if self.bad_gateway:
            return _bad_gateway()
        if tenant in self.unknown_tenants:
            description = f"AADSTS90002: Tenant '{tenant}' not found. Check the tenant ID."
            return web.json_response(
                {"error": "invalid_tenant", "error_description": description, "error_codes": [90002]},
                status=400,
            )
        root = f"{self.base}/{tenant}"
        return web.json_response(
            {
                "issuer": f"{root}/v2.0",
                "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                "token_endpoint": f"{root}/oauth2/v2.0/token",
                "jwks_uri": f"{root}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "token"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def token(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append(TokenRequest(request.match_info["tenant"], form))
        if self.bad_gateway:
            return _bad_gateway()
        if self.refuse is not None:
            return web.json_response(self.refuse, status=401)
        self._issued += 1
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": f"graph-token-{self._issued}",
            }
        )


def _bad_gateway() -> web.Response:
    page = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    return web.Response(status=502, text=page, content_type="text/html")


@dataclass
class GraphCall:
    path: str
    query: str
    authorization: str


@dataclass
class FakeGraph:
    """`GET /v1.0/teams/{group-id}/members`, paged with @odata.nextLink like Graph does."""

    base: str = ""
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # group → members
    page_size: int = 100
    status: int = 200  # 403: the team's owner never granted TeamMember.Read.Group
    delay: float = 0.0  # seconds before answering
    calls: list[GraphCall] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1.0/teams/{gid}/members", self.list_members)
        return app

    def add_team(self, group: str, owners: list[str], others: list[str]) -> None:
        self.members[group] = [
            *(self._member(u, ["owner"]) for u in owners),
            *(self._member(u, []) for u in others),
            self._member("guest-aad-id", ["guest"]),
        ]

    @staticmethod
    def _member(user: str, roles: list[str]) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.aadUserConversationMember",
            "id": f"membership-{user}",
            "roles": roles,
            "displayName": user.title(),
            "userId": user,
            "email": f"{user}@example.com",
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        }

    async def list_members(self, request: web.Request) -> web.Response:
        self.calls.append(
            GraphCall(request.path, request.query_string, request.headers.get("Authorization", ""))
        )
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response(
                {
                    "error": {
                        "code": "Forbidden",
                        "message": "Caller is not authorized to access the resource.",
                    }
                },
                status=self.status,
            )
        group = request.match_info["gid"]
        everyone = self.members.get(group)
        if everyone is None:
            return web.json_response({"error": {"code": "NotFound", "message": "No team found"}}, status=404)
        start = int(request.query.get("$skiptoken", "0"))
        page: dict[str, Any] = {
            "@odata.context": f"{self.base}/$metadata#teams('{group}')/members",
            "@odata.count": len(everyone),
            "value": everyone[start : start + self.page_size],
        }
        if start + self.page_size < len(everyone):
            page["@odata.nextLink"] = f"{self.base}/teams/{group}/members?$skiptoken={start + self.page_size}"
        return web.json_response(page)


@dataclass
class Microsoft:
    login: FakeLogin
    graph: FakeGraph
    login_url: str  # https://127.0.0.1:<port>
    graph_url: str  # http://127.0.0.1:<port>/v1.0
    ca_bundle: Path


@asynccontextmanager
async def microsoft(directory: Path) -> AsyncIterator[Microsoft]:
    """The fake login endpoint (https) and Graph (http), listening on real ports."""
    cert, key = self_signed(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    login, graph = FakeLogin(), FakeGraph()
    login_server = TestServer(login.app(), host="127.0.0.1")
    graph_server = TestServer(graph.app(), host="127.0.0.1")
    await login_server.start_server(ssl=context)
    await graph_server.start_server()
    login.base = str(login_server.make_url("")).rstrip("/")
    graph.base = str(graph_server.make_url("/v1.0"))
    try:
        yield Microsoft(login, graph, login.base, graph.base, cert)
    finally:
        await graph_server.close()
        await login_server.close()
