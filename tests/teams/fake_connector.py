"""A fake Bot Framework connector (and the bit of Microsoft Graph the bot reads), on aiohttp.

It records every call the bot makes, answers like the real service (an id for each posted
activity, a conversation for each private chat), and can be told to fail the next posts
with given statuses (429, 503…) to exercise retries.
"""

from __future__ import annotations

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


@dataclass
class FakeConnector:
    calls: list[Call] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # statuses for the next activity posts
    retry_after: str = "0"
    retry_afters: list[str] = field(default_factory=list)  # Retry-After of the next refusals
    members: dict[str, set[str]] = field(default_factory=dict)  # conversation → member ids
    team_owners: dict[str, set[str]] = field(default_factory=dict)  # group id → owner ids
    team_groups: dict[str, str] = field(default_factory=dict)  # team id → group id
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations", self.create_conversation)
        app.router.add_post("/v3/conversations/{cid}/activities", self.post_activity)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self.post_activity)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self.post_activity)
        app.router.add_get("/v3/conversations/{cid}/members/{uid}", self.get_member)
        app.router.add_get("/v3/teams/{tid}", self.team_details)
        app.router.add_get("/graph/teams/{gid}/members", self.graph_members)
        return app

    # --- what tests read ---------------------------------------------------------------------

    def activities(self) -> list[Call]:
        return [c for c in self.calls if c.path.endswith("/activities") or "/activities/" in c.path]

    def texts(self) -> list[str]:
        return [str(c.body.get("text") or "") for c in self.activities()]

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
        if self.fail_next:
            status = self.fail_next.pop(0)
            return web.json_response(
                {"error": {"code": "Throttled", "message": "try later"}},
                status=status,
                headers={"Retry-After": self.retry_afters.pop(0) if self.retry_afters else self.retry_after},
            )
        return web.json_response({"id": f"act-{next(self._ids)}"})

    async def create_conversation(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.calls.append(Call("POST", request.path, "", body))
        member = body["members"][0]["id"]
        return web.json_response({"id": f"a:personal-{member}"})

    async def get_member(self, request: web.Request) -> web.Response:
        cid, uid = request.match_info["cid"], request.match_info["uid"]
        self.calls.append(Call("GET", request.path, cid, None))
        if uid in self.members.get(cid, set()):
            return web.json_response({"id": uid, "aadObjectId": uid, "name": uid})
        return web.json_response({"error": {"code": "NotFound"}}, status=404)

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
