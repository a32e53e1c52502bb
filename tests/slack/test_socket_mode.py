"""`serve --socket-mode`: slack-bolt's async Socket Mode handler against a local fake.

The fake Web API answers `apps.connections.open` (called with the app-level token, at
`slack.api_base_url`) with a `ws://` URL on itself, and plays Slack's side of the socket:
it sends envelopes shaped as recorded from slack-sdk's own mock server and checks that each
is acknowledged by its envelope_id. What the envelopes carry reaches the engine and the
answers go back through the fake Web API, as over HTTP. The server's web app is up beside
the socket for /metrics, where envelopes are counted as HTTP requests are.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters.http import build_web_app
from adapters.platform import inbox_workers
from adapters.slack import blocks
from adapters.slack.server import SlackServer
from app.bootstrap import App, build
from app.serve import configured
from bot import logs
from bot.config import load_settings
from bot.deliverable import Via
from bot.inbox import Workers
from storage.database import Database
from tests.ship.helpers import value
from tests.slack.conftest import ADMIN, TOKEN, fixture, settings_env
from tests.slack.fake_slack import FakeSlack

APP_TOKEN = "xapp-1-A111-111-socketmodetoken"
TS = "1599529504.000400"


@dataclass
class Socket:
    fake: FakeSlack
    app: App
    server: SlackServer
    http: TestClient
    workers: Workers

    async def send(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """An envelope of `kind` carrying `payload`; its ack, once the work it started is done."""
        envelope = fixture(f"socket_mode_{kind}")
        envelope.update(envelope_id=str(uuid.uuid4()), payload=payload)
        envelope_id = await self.fake.send(envelope)
        ack = await self.fake.acked(envelope_id)
        await self.workers.drain()
        return ack

    async def command(self, text: str, user: str = ADMIN) -> dict[str, Any]:
        form = fixture("slash_command")
        form.update(
            command=self.server.settings.slack.command,
            text=text,
            user_id=user,
            channel_id="C111",
            team_id="T111",
            response_url=self.fake.response_url("socket"),
        )
        return await self.send("slash_commands", form)


@pytest.fixture
async def socket(fake: FakeSlack, db: Database) -> AsyncIterator[Socket]:
    env = settings_env(fake, db.url, SLACK_APP_TOKEN=APP_TOKEN)
    del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none: nothing comes over HTTP
    settings = load_settings(env=env)
    assert configured(settings, socket_mode=True)[0] == ["slack"]
    app = await build(settings, url=db.url)
    server = SlackServer(app, settings, socket_mode=True)
    http = TestClient(TestServer(build_web_app(app, [server]), host="127.0.0.1"))
    await http.start_server()
    await server.start()
    workers = inbox_workers(app, [server])
    workers.start()
    try:
        await fake.connected()
        yield Socket(fake, app, server, http, workers)
    finally:
        await workers.stop()
        await server.stop()
        await http.close()
        await app.close()


async def test_the_socket_is_opened_through_the_configured_base_url_with_the_app_token(
    socket: Socket,
) -> None:
    [opened] = [c for c in socket.fake.calls if c.method == "apps.connections.open"]
    assert opened.token == APP_TOKEN
    assert socket.server.socket is not None
    assert socket.server.socket.client.web_client.base_url == socket.fake.api_url


async def test_a_slash_command_is_acked_by_envelope_id_and_answered_via_response_url(
    socket: Socket,
) -> None:
    ack = await socket.command("help")
    assert set(ack) == {"envelope_id"}  # an empty ack: the answer follows
    [(key, body)] = socket.fake.responses
    assert key == "socket" and body["response_type"] == "ephemeral"
    assert "/outputs charter" in body["text"]
    assert {c.token for c in socket.fake.calls if c.method != "apps.connections.open"} == {TOKEN}


async def test_a_reaction_over_the_socket_records_a_deliverable_and_confirms(socket: Socket) -> None:
    await socket.command('type add solution "Problem solved" emoji=white_check_mark')
    assert "Declared" in socket.fake.responses[-1][1]["text"]
    socket.fake.add_message("C111", TS, "Printer fixed", user="U222")
    payload = fixture("reaction_added")
    payload["event"].update(
        reaction="white_check_mark", user="W111", item={"type": "message", "channel": "C111", "ts": TS}
    )
    ack = await socket.send("events_api", payload)
    assert set(ack) == {"envelope_id"}
    [d] = await socket.app.repo.export()
    assert d.via is Via.REACTION and d.text == "Printer fixed" and d.tagged_by == "W111"
    assert d.permalink == "https://test.slack.com/archives/C111/p1599529504000400"
    [note] = socket.fake.called("chat.postEphemeral")
    assert note["user"] == "W111" and "Recorded" in note["text"]


async def test_a_redelivered_envelope_is_acked_again_and_records_nothing_more(socket: Socket) -> None:
    await socket.command('type add solution "Problem solved" emoji=white_check_mark')
    socket.fake.add_message("C111", TS, "Printer fixed")
    payload = fixture("reaction_added")
    payload["event"].update(
        reaction="white_check_mark", item={"type": "message", "channel": "C111", "ts": TS}
    )
    await socket.send("events_api", payload)
    again = await socket.send("events_api", payload)  # same event_id, a new envelope
    assert set(again) == {"envelope_id"}
    assert len(await socket.app.repo.export()) == 1


async def test_an_interactive_shortcut_is_acked_and_opens_its_modal(socket: Socket) -> None:
    await socket.command('type add solution "Problem solved" emoji=white_check_mark')
    shortcut = fixture("message_action")
    shortcut.update(callback_id=blocks.RECORD_SHORTCUT, response_url=socket.fake.response_url("shortcut"))
    socket.fake.add_message("C111", shortcut["message"]["ts"], shortcut["message"]["text"], user="W111")
    ack = await socket.send("interactive", shortcut)
    assert set(ack) == {"envelope_id"}
    [opened] = socket.fake.called("views.open")
    assert opened["trigger_id"] == shortcut["trigger_id"]


async def test_an_unknown_event_over_the_socket_is_still_acked(socket: Socket) -> None:
    payload = fixture("socket_mode_events_api")["payload"]
    payload["event"] = {"type": "some_future_event", "event_ts": "1.2"}
    ack = await socket.send("events_api", payload)
    assert set(ack) == {"envelope_id"}
    assert await socket.app.repo.export() == []


async def metrics(socket: Socket) -> str:
    resp = await socket.http.get("/metrics")
    assert resp.status == 200
    return await resp.text()


async def test_envelopes_are_counted_by_kind_and_status_with_their_ack_time(socket: Socket) -> None:
    await socket.command("help")
    payload = fixture("socket_mode_events_api")["payload"]
    payload["event"] = {"type": "some_future_event", "event_ts": "1.2"}
    await socket.send("events_api", payload)
    reaction = fixture("reaction_added")
    await socket.send("events_api", reaction)

    text = await metrics(socket)
    requests = "outputs_requests_total"
    assert value(text, requests, platform="slack", kind="command", status="200") == 1
    assert value(text, requests, platform="slack", kind="other_event", status="200") == 1
    assert value(text, requests, platform="slack", kind="reaction_added", status="200") == 1
    assert value(text, "outputs_ack_seconds_count", platform="slack") == 3


class Contexts(logging.Handler):
    """Each record with the log context it was written in (what the formatters add)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: list[tuple[int, str, dict[str, str]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append((record.levelno, record.getMessage(), logs.context()))


async def test_an_envelope_and_the_work_it_starts_log_with_its_ids(
    socket: Socket, caplog: pytest.LogCaptureFixture
) -> None:
    await socket.command('type add idea "Idea"')
    socket.fake.fail["chat.postMessage"] = "not_in_channel"  # a warning from the work after the ack
    contexts = Contexts()
    logging.getLogger().addHandler(contexts)
    try:
        with caplog.at_level(logging.INFO):
            await socket.command("digest post")
    finally:
        logging.getLogger().removeHandler(contexts)

    [done] = [c for _, m, c in contexts.seen if m.startswith("slack command: 200")]
    assert done["workspace"] == "T111" and done["channel"] == "C111" and done["request_id"]
    warned = [c for level, m, c in contexts.seen if level == logging.WARNING and "not_in_channel" in m]
    assert warned and all(c == done for c in warned)


async def test_a_disconnect_request_reconnects_through_a_fresh_url(socket: Socket) -> None:
    first = await socket.fake.connected()
    await first.send_json({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": "x"}})
    second = await socket.fake.connected_again(first)
    assert second is not first
    assert len([c for c in socket.fake.calls if c.method == "apps.connections.open"]) == 2
    ack = await socket.command("help")
    assert set(ack) == {"envelope_id"} and socket.fake.responses


async def test_a_refused_app_token_stops_serve_with_the_reason(
    fake: FakeSlack, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.serve import serve

    fake.fail["apps.connections.open"] = "invalid_auth"
    env = settings_env(
        fake, db.url, SLACK_APP_TOKEN=APP_TOKEN, OUTPUTS_SERVER__PORT="0", OUTPUTS_SERVER__HOST="127.0.0.1"
    )
    env["OUTPUTS_SCHEDULER__ENABLED"] = "false"
    assert await serve(load_settings(env=env), socket_mode=True) == 1
    err = capsys.readouterr().err
    assert "apps.connections.open" in err and "invalid_auth" in err and "SLACK_APP_TOKEN" in err
    assert APP_TOKEN not in err
