"""A fake Bot Framework connector (and the bit of Microsoft Graph the bot reads), on aiohttp.

It records every call the bot makes, answers like the real service (an id for each posted
activity, a conversation for each private chat), and can be told to fail the next posts
with given statuses (429, 503…) to exercise retries, or with a gateway's HTML 502 page. It
also plays the OneDrive upload URL of an accepted file consent card (`PUT /upload/{name}`):
it keeps the bytes, and can refuse them, drop the connection, or hold them until a test lets
them through.

`spoil` spoils the next answers of any one kind of call (`ROUTES`): a proxy's HTML 502 page
(`HTML`), a 429 with a Retry-After (`THROTTLED`), or no answer before the client gives up
(`HANG`: held `hang_seconds`, then a 504).
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str
    path: str
    conversation: str
    body: Any
    id: str = ""  # the id answered for a posted activity


HTML, THROTTLED, HANG = "html", "429", "hang"
# The kinds of call the bot makes, by route: post in a conversation, reply to an activity,
# replace an activity, open a private chat, read a member or a team, upload a file.
ROUTES = ("send", "reply", "update", "create", "member", "team", "upload")
BAD_GATEWAY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"


@dataclass
class Upload:
    name: str
    headers: dict[str, str]
    data: bytes


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses for the next activity posts
    retry_after: str = "0"
    retry_afters: list[str] = field(default_factory=list)  # Retry-After of the next refusals
    bad_gateway: int = 0  # how many of the next activity posts a proxy answers 502, in HTML
    members: dict[str, set[str]] = field(default_factory=dict)  # conversation → member ids
    aad_ids: dict[str, str] = field(default_factory=dict)  # member id → Entra id, where they differ
    team_owners: dict[str, set[str]] = field(default_factory=dict)  # group id → owner ids
    team_groups: dict[str, str] = field(default_factory=dict)  # team id → group id
    uploads: list[Upload] = field(default_factory=list)  # PUTs to an upload URL that succeeded
    fail_uploads: list[int | str] = field(default_factory=list)  # next uploads: a status or "drop"
    upload_gate: asyncio.Event | None = None  # when set up, uploads wait for it
    upload_attempts: int = 0
    # (route, conversation or "" for any) → the next answers to spoil
    spoiled: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    spoilt: list[tuple[str, str]] = field(default_factory=list)  # (route, fault) of each spoiled call
    hang_seconds: float = 4.0
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._spoil])
        app.router.add_post("/v3/conversations", self.create_conversation, name="create")
        app.router.add_post("/v3/conversations/{cid}/activities", self.post_activity, name="send")
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self.post_activity, name="reply")
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self.post_activity, name="update")
        app.router.add_get("/v3/conversations/{cid}/members/{uid}", self.get_member, name="member")
        app.router.add_get("/v3/teams/{tid}", self.team_details, name="team")
        app.router.add_get("/graph/teams/{gid}/members", self.graph_members)
        app.router.add_put("/upload/{name}", self.upload, name="upload")
        return app

    def spoil(self, route: str, *faults: str, conversation: str = "") -> None:
        """Answer the next calls of `route` (in `conversation` only, when given) with `faults`,
        in order; then as usual."""
        assert route in ROUTES, route
        self.spoiled.setdefault((route, conversation), []).extend(faults)

    @web.middleware
    async def _spoil(self, request: web.Request, handler: Any) -> web.StreamResponse:
        route = request.match_info.route.name or ""
        conversation = request.match_info.get("cid", "")
        waiting = self.spoiled.get((route, conversation)) or self.spoiled.get((route, ""))
        if not waiting:
            return await handler(request)
        fault = waiting.pop(0)
        self.spoilt.append((route, fault))
        if fault == HANG:
            await asyncio.sleep(self.hang_seconds)  # the client gave up long before
            return web.json_response({"error": {"code": "GatewayTimeout"}}, status=504)
        if fault == THROTTLED:
            return web.json_response(
                {"error": {"code": "Throttled", "message": "Too many requests"}},
                status=429,
                headers={"Retry-After": self.retry_afters.pop(0) if self.retry_afters else self.retry_after},
            )
        return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")

    # --- what tests read ---------------------------------------------------------------------

    def activities(self) -> list[Call]:
        return [c for c in self.calls if c.path.endswith("/activities") or "/activities/" in c.path]

    def texts(self) -> list[str]:
        return [str(c.body.get("text") or "") for c in self.activities()]

    def attachments(self, content_type: str) -> list[dict[str, Any]]:
        return [
            a
            for c in self.activities()
            for a in c.body.get("attachments") or []
            if a.get("contentType") == content_type
        ]

    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for c in self.activities()
            for a in c.body.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    # --- handlers ----------------------------------------------------------------------------

    async def post_activity(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call(request.method, request.path, request.match_info["cid"], body))
        if self.bad_gateway:
            self.bad_gateway -= 1
            return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")
        if self.fail_next:
            status = self.fail_next.pop(0)
            return web.json_response(
                {"error": {"code": "Throttled", "message": "try later"}},
                status=status,
                headers={"Retry-After": self.retry_afters.pop(0) if self.retry_afters else self.retry_after},
            )
        answer = f"act-{next(self._ids)}"
        self.calls[-1].id = answer
        return web.json_response({"id": answer})

    async def create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("POST", request.path, "", body))
        member = body["members"][0]["id"]
        return web.json_response({"id": f"a:personal-{member}"})

    async def get_member(self, request: web.Request) -> web.Response:
        cid, uid = request.match_info["cid"], request.match_info["uid"]
        self.calls.append(Call("GET", request.path, cid, None))
        if uid in self.members.get(cid, set()):
            return web.json_response({"id": uid, "aadObjectId": self.aad_ids.get(uid, uid), "name": uid})
        return web.json_response({"error": {"code": "NotFound"}}, status=404)

    async def upload(self, request: web.Request) -> web.StreamResponse:
        if self.upload_gate is not None:
            await self.upload_gate.wait()
        data = await request.read()
        self.upload_attempts += 1
        if self.fail_uploads:
            failure = self.fail_uploads.pop(0)
            if failure == "drop":
                assert request.transport is not None
                request.transport.close()  # the client sees the connection go
                return web.Response()
            return web.json_response({"error": {"code": "generalException"}}, status=int(failure))
        self.uploads.append(Upload(request.match_info["name"], dict(request.headers), data))
        name = request.match_info["name"]
        item = {"id": f"item-{len(self.uploads)}", "name": name, "size": len(data)}
        return web.json_response(item, status=201)

    async def team_details(self, request: web.Request) -> web.Response:
        tid = request.match_info["tid"]
        self.calls.append(Call("GET", request.path, tid, None))
        return web.json_response({"id": tid, "name": "Team", "aadGroupId": self.team_groups.get(tid, "")})

    async def graph_members(self, request: web.Request) -> web.Response:
        gid = request.match_info["gid"]
        self.calls.append(Call("GET", request.path, gid, dict(request.headers)))
        owners = self.team_owners.get(gid, set())
        value = [{"userId": u, "roles": ["owner"]} for u in sorted(owners)]
        value.append({"userId": "someone-else", "roles": []})
        return web.json_response({"value": value})
