"""A fake Slack Web API on a real port: answers the methods Outputs calls and records them.

Tests point `slack.api_base_url` at it. It can answer a method with a Slack error
(`fail["chat.postMessage"] = "not_in_channel"`) or with 429s and Retry-After
(`throttle["chat.postEphemeral"] = 1`; Retry-After: `retry_after` seconds, or the next of
`retry_afters` while any are left), or with the HTML error page a proxy or Slack's edge
answers (`html_errors["conversations.history"] = 3`: a 502, Content-Type text/html, that
many times; `broken_json` the same page labelled application/json). `response_url`s in
payloads point at `/respond/…`. `emoji.list` answers the workspace's custom emoji a test puts
in `emoji` (name → image URL, or `alias:<name>` for an alias), as Slack lists them.

Socket Mode: `apps.connections.open` answers a `ws://` URL on this same server, where
`/link` plays Slack's side of the WebSocket: it says `hello`, sends the envelopes a test
hands to `envelope()`, and records each acknowledgement (`{"envelope_id": …}`) it gets back.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

BOT_USER = "UBOT"
TEAM = "T111"
BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n"
    "<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str | None


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    fail: dict[str, str] = field(default_factory=dict)
    throttle: dict[str, int] = field(default_factory=dict)
    html_errors: dict[str, int] = field(default_factory=dict)  # method → 502 HTML pages left
    # method → answers left that claim JSON and hold an HTML page (a misconfigured proxy)
    broken_json: dict[str, int] = field(default_factory=dict)
    oauth: dict[str, Any] = field(default_factory=dict)
    emoji: dict[str, str] = field(default_factory=dict)  # the workspace's custom emoji
    uploads: list[bytes] = field(default_factory=list)
    retry_after: int = 1
    retry_afters: list[int] = field(default_factory=list)
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)  # envelope_id → the ack
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    server: TestServer | None = None
    _ts: Any = field(default_factory=lambda: itertools.count(1))

    # ---- lifecycle

    async def start(self) -> None:
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{key}", self._respond)
        app.router.add_post("/upload/{file}", self._upload)
        app.router.add_get("/link", self._link)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()

    async def close(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self.server is not None:
            await self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return str(self.server.make_url("")).rstrip("/")

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, key: str = "r") -> str:
        return f"{self.url}/respond/{key}"

    # ---- what tests read

    def called(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    def add_message(self, channel: str, ts: str, text: str, user: str = "U222", **extra: Any) -> None:
        self.messages[(channel, ts)] = {"type": "message", "ts": ts, "text": text, "user": user, **extra}

    # ---- Socket Mode

    async def connected(self) -> web.WebSocketResponse:
        """The app's open WebSocket, once it has connected."""
        async with asyncio.timeout(10):
            while not self.sockets or self.sockets[-1].closed:
                await asyncio.sleep(0.01)
        return self.sockets[-1]

    async def connected_again(self, old: web.WebSocketResponse) -> web.WebSocketResponse:
        """The socket the app opened after `old` (Slack asked it to reconnect)."""
        async with asyncio.timeout(10):
            while self.sockets[-1] is old or self.sockets[-1].closed:
                await asyncio.sleep(0.01)
        return self.sockets[-1]

    async def send(self, envelope: dict[str, Any]) -> str:
        """Send one envelope over the socket as Slack does; return its envelope_id."""
        await (await self.connected()).send_str(json.dumps(envelope))
        return str(envelope["envelope_id"])

    async def acked(self, envelope_id: str) -> dict[str, Any]:
        async with asyncio.timeout(10):
            while envelope_id not in self.acks:
                await asyncio.sleep(0.01)
        return self.acks[envelope_id]

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake-slack", "approximate_connection_time": 18060},
                "connection_info": {"app_id": "A111"},
            }
        )
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                ack = json.loads(msg.data)
                self.acks[str(ack.get("envelope_id"))] = ack
        return ws

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        assert self.server is not None
        return {"url": str(self.server.make_url("/link")).replace("http://", "ws://", 1) + "?ticket=t1"}

    # ---- the API

    async def _upload(self, request: web.Request) -> web.Response:
        self.uploads.append(await request.read())
        return web.Response(text="OK")

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["key"], await request.json()))
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or args.get("token")
        self.calls.append(Call(method, args, token))
        if self.throttle.get(method, 0) > 0:
            self.throttle[method] -= 1
            wait = self.retry_afters.pop(0) if self.retry_afters else self.retry_after
            return web.json_response(
                {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(wait)}
            )
        if self.broken_json.get(method, 0) > 0:
            self.broken_json[method] -= 1
            return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="application/json")
        if self.html_errors.get(method, 0) > 0:
            self.html_errors[method] -= 1
            return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")
        if method in self.fail:
            return web.json_response({"ok": False, "error": self.fail[method]})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        body = handler(args) if handler else {}
        return web.json_response({"ok": True, **body})

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user_id": BOT_USER, "bot_id": "BBOT", "team_id": TEAM, "user": "outputs", "team": "Test"}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = args.get("user", "")
        default = {
            "id": user,
            "name": user.lower(),
            "is_admin": False,
            "is_bot": user == BOT_USER,
            "locale": "en-US",
        }
        return {"user": self.users.get(user, default)}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        ch = args.get("channel", "")
        return {
            "channel": self.channels.get(
                ch, {"id": ch, "name": f"chan-{ch.lower()}", "is_private": False, "creator": "UCREATOR"}
            )
        }

    def _conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "members": self.members.get(args.get("channel", ""), []),
            "response_metadata": {"next_cursor": ""},
        }

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        ch, latest = args.get("channel"), args.get("latest", "")
        top = [
            m
            for (c, ts), m in self.messages.items()
            if c == ch and ts <= latest and m.get("thread_ts", ts) == ts
        ]
        top.sort(key=lambda m: m["ts"], reverse=True)
        return {"messages": top[: int(args.get("limit", 100))], "has_more": False}

    def _conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        ch, ts = args.get("channel"), args.get("ts", "")
        found = self.messages.get((ch, ts))  # type: ignore[arg-type]
        if found is None:
            return {"messages": []}
        root = found.get("thread_ts", ts)
        thread = sorted(
            (m for (c, _), m in self.messages.items() if c == ch and m.get("thread_ts", m["ts"]) == root),
            key=lambda m: m["ts"],
        )
        oldest = args.get("oldest")
        if oldest:  # Slack returns the parent first, then the replies from `oldest`
            thread = [thread[0]] + [m for m in thread[1:] if m["ts"] >= oldest]
        return {"messages": thread, "has_more": False}

    def _chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        ch, ts = args.get("channel", ""), args.get("message_ts", "")
        link = f"https://test.slack.com/archives/{ch}/p{ts.replace('.', '')}"
        parent = (self.messages.get((ch, ts)) or {}).get("thread_ts")
        if parent and parent != ts:
            link += f"?thread_ts={parent}&cid={ch}"
        return {"permalink": link, "channel": ch}

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": args.get("channel"), "ts": self._next_ts(), "message": {"text": args.get("text")}}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"message_ts": self._next_ts()}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        return {"view": {**(view or {}), "id": "V1", "hash": "h1"}}

    _views_update = _views_open
    _views_publish = _views_open

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": "D" + str(args.get("users", "X"))}}

    def _files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"upload_url": f"{self.url}/upload/F1", "file_id": "F1"}

    def _files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"files": [{"id": "F1", "title": args.get("files")}]}

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        return dict(self.oauth)

    def _emoji_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"emoji": dict(self.emoji), "cache_ts": "1575283387.000000"}
