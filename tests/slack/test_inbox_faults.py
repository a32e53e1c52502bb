"""SPEC rules 10 and 11 through real signed HTTP into the real server, on both databases:
Slack's faults retried by the inbox, order per message and per charter, replays kept once,
and a database that cannot be written (a locked SQLite file, a PostgreSQL server gone away)
answered so that Slack sends again, then everything recorded exactly once when it is back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from adapters.slack.convert import channel_key
from bot.deliverable import Deliverable, Status, Via
from storage.database import Database
from storage.models import InboxRow
from tests.conftest import BACKENDS
from tests.slack.conftest import Slack, declare, fixture, signed, start_slack, stop_slack
from tests.slack.fake_slack import FakeSlack

TS = "1599529504.000400"
EMOJI = "white_check_mark"
NOTHING_RECORDED = "Nothing was recorded"


def reaction(ts: str = TS, user: str = "W111", kind: str = "reaction_added") -> dict[str, Any]:
    payload = fixture(kind)  # a fresh event_id each time, as Slack gives every event
    payload["event"].update(reaction=EMOJI, user=user, item={"type": "message", "channel": "C111", "ts": ts})
    return payload


def message_ts(n: int) -> str:
    return f"1599529504.{n:06d}"


def quick_retries(slack: Slack) -> None:
    """Backoff in tens of milliseconds instead of seconds (not a setting: set on the app)."""
    slack.app.inbox.policy = replace(slack.app.inbox.policy, backoff_base=0.05, backoff_cap=0.2)


async def charter(slack: Slack) -> None:
    await declare(slack, f'type add solution "Problem solved" emoji={EMOJI}')


async def deliverables(slack: Slack) -> list[Deliverable]:
    return list(await slack.repo.export())


async def inbox_statuses(db: Database) -> dict[str, int]:
    statement = sa.select(InboxRow.status, sa.func.count()).group_by(InboxRow.status)
    return {status: count for status, count in await db.read_rows(statement, {})}


async def redelivered(slack: Slack, payload: dict[str, Any], attempt: int = 1) -> int:
    """Slack's retry of an event it got no 200 for: the same body and event_id, signed anew."""
    headers = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_error"}
    return (await slack.event(payload, headers)).status


# ---- Slack's faults


async def test_html_502_pages_from_slack_are_retried_and_the_reaction_captured(slack: Slack) -> None:
    await charter(slack)
    quick_retries(slack)
    slack.fake.add_message("C111", TS, "Printer fixed")
    slack.fake.html_errors["conversations.history"] = 3
    resp = await slack.event(reaction())
    assert resp.status == 200
    await slack.settle()
    [d] = await deliverables(slack)
    assert d.status is Status.COMPLETE and d.via is Via.REACTION and d.text == "Printer fixed"
    assert slack.fake.html_errors["conversations.history"] == 0
    assert len(slack.fake.called("conversations.history")) == 4  # 3 pages, then the answer
    [note] = slack.fake.called("chat.postEphemeral")  # recorded, said once; no error shown
    assert "Recorded" in note["text"]
    assert await inbox_statuses(slack.app.db) == {"done": 2}  # the charter command, the reaction


async def test_429s_beyond_the_clients_own_retries_are_retried_by_the_inbox(slack: Slack) -> None:
    await charter(slack)
    quick_retries(slack)
    slack.fake.add_message("C111", TS, "Printer fixed")
    slack.fake.retry_after = 0
    slack.fake.throttle["conversations.history"] = 5  # slack-sdk asks 4 times (1 + 3 retries)
    resp = await slack.event(reaction())
    assert resp.status == 200
    await slack.settle()
    [d] = await deliverables(slack)
    assert d.status is Status.COMPLETE
    assert len(slack.fake.called("conversations.history")) == 6
    assert await inbox_statuses(slack.app.db) == {"done": 2}  # the charter command, the reaction


# ---- order (rule 11)


async def test_added_then_removed_back_to_back_is_withdrawn_on_100_messages(slack: Slack) -> None:
    await charter(slack)
    for n in range(100):
        slack.fake.add_message("C111", message_ts(n), f"Message {n}")

    for n in range(100):  # each removal arrives while the workers may still be on its addition
        assert (await slack.event(reaction(message_ts(n)))).status == 200
        assert (await slack.event(reaction(message_ts(n), kind="reaction_removed"))).status == 200
    await slack.settle()
    found = await deliverables(slack)
    assert len(found) == 100 and len({d.message_id for d in found}) == 100
    assert [d for d in found if d.status is not Status.WITHDRAWN] == []


async def test_ten_add_and_nine_remove_leaves_it_complete(slack: Slack) -> None:
    await charter(slack)
    slack.fake.add_message("C111", TS, "Fixed")
    for n in range(10):
        assert (await slack.event(reaction(user=f"W{n}"))).status == 200
    for n in range(9):
        assert (await slack.event(reaction(user=f"W{n}", kind="reaction_removed"))).status == 200
    await slack.settle()
    [d] = await deliverables(slack)
    assert d.status is Status.COMPLETE


async def test_add_remove_add_leaves_it_complete_on_30_messages(slack: Slack) -> None:
    await charter(slack)
    for n in range(30):
        slack.fake.add_message("C111", message_ts(n), f"Message {n}")
        for kind in ("reaction_added", "reaction_removed", "reaction_added"):
            assert (await slack.event(reaction(message_ts(n), kind=kind))).status == 200
    await slack.settle()
    found = await deliverables(slack)
    assert len(found) == 30 and {d.status for d in found} == {Status.COMPLETE}


async def test_owner_commands_back_to_back_apply_in_order(slack: Slack) -> None:
    for n in range(1, 11):
        body = slack.command_body(f'type add t{n} "T{n}"')
        assert (await slack.post(body, "application/x-www-form-urlencoded")).status == 200
    for n in range(1, 11):
        body = slack.command_body(f"purpose Purpose number {n}")
        assert (await slack.post(body, "application/x-www-form-urlencoded")).status == 200
    await slack.settle()
    found = await slack.repo.get_charter(channel_key("T111", "C111"))
    assert found is not None
    assert [t.key for t in found.types] == [f"t{n}" for n in range(1, 11)]
    assert found.purpose == "Purpose number 10"
    replies = slack.replies()
    assert len(replies) == 20
    assert [r for r in replies if "changed while you were editing" in r] == []


async def test_a_replayed_command_takes_effect_once(slack: Slack) -> None:
    await charter(slack)
    body = slack.command_body("deliver solution The printer on floor 2 works again")
    headers = signed(body)  # one signed request, captured and sent 5 times within its window
    answers = await asyncio.gather(
        *(
            slack.post(body, "application/x-www-form-urlencoded", headers=headers, sign=False)
            for _ in range(5)
        )
    )
    assert [a.status for a in answers] == [200] * 5
    await slack.settle()
    [d] = await deliverables(slack)
    assert d.via is Via.COMMAND and "printer on floor 2" in d.text
    assert len([r for r in slack.replies() if "Recorded" in r]) == 1


# ---- the inbox cannot be written (rule 10)


Switch = Callable[[], Awaitable[None]]


async def through_an_outage(slack: Slack, down: Switch, up: Switch) -> None:
    """20 reactions kept before the database goes away (their work not begun), 5 refused while
    it is away, a command told that nothing was recorded; when it is back, Slack's retries of
    the 5 are kept once each and all 25 get recorded."""
    await charter(slack)
    quick_retries(slack)
    for n in range(25):
        slack.fake.add_message("C111", message_ts(n), f"Message {n}")
    await slack.workers.stop()  # kept, not yet worked when the database goes
    kept = [reaction(message_ts(n)) for n in range(20)]
    for payload in kept:
        assert (await slack.event(payload)).status == 200

    await down()
    slack.workers.start()  # the workers meet the outage too
    refused = [reaction(message_ts(n)) for n in range(20, 25)]
    for payload in refused:
        resp = await slack.event(payload)
        assert resp.status == 503, await resp.text()
    resp = await slack.post(
        slack.command_body("deliver solution Written during the outage"), "application/x-www-form-urlencoded"
    )
    assert resp.status == 200
    assert NOTHING_RECORDED in json.loads(await resp.text())["text"]
    await up()

    for payload in refused:
        assert await redelivered(slack, payload) == 200
    assert await redelivered(slack, refused[0], attempt=2) == 200  # a late duplicate: kept once
    assert (await slack.event(kept[0], {"X-Slack-Retry-Num": "1"})).status == 200
    await slack.settle()
    found = await deliverables(slack)
    assert sorted(d.message_id or "" for d in found) == [message_ts(n) for n in range(25)]
    assert {d.status for d in found} == {Status.COMPLETE}
    assert [d for d in found if "outage" in d.text] == []  # the refused command left nothing
    assert await inbox_statuses(slack.app.db) == {"done": 25 + 1}  # the charter's command too


@pytest.mark.parametrize("backend", [BACKENDS[0]], indirect=True)  # SQLite only
async def test_a_locked_sqlite_file_is_answered_503_then_recorded_once_when_released(
    fake: FakeSlack, db: Database
) -> None:
    path = make_url(db.url).database
    assert path
    slack = await start_slack(fake, db.url, OUTPUTS_INBOX__ACCEPT_TIMEOUT_SECONDS="0.5")
    locker = sqlite3.connect(path, isolation_level=None)

    async def down() -> None:
        locker.execute("BEGIN EXCLUSIVE")  # another process's write lock, held

    async def up() -> None:
        locker.execute("ROLLBACK")

    try:
        await through_an_outage(slack, down, up)
    finally:
        locker.close()
        await stop_slack(slack)


class Proxy:
    """A TCP proxy to PostgreSQL that can go away (every connection cut, new ones refused)
    and come back on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.pipes):
            writer.transport.abort()
        self.pipes.clear()
        await self.server.wait_closed()
        self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.pipes.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.pipes.difference_update((writer, up_writer))


@contextlib.asynccontextmanager
async def proxy_to(url: str) -> AsyncIterator[tuple[Proxy, str]]:
    parsed = make_url(url)
    proxy = Proxy(parsed.host or "127.0.0.1", parsed.port or 5432)
    await proxy.start()
    try:
        yield proxy, parsed.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    finally:
        if proxy.server is not None:
            await proxy.stop()


@pytest.mark.parametrize("backend", [BACKENDS[1]], indirect=True)  # PostgreSQL only
async def test_postgres_going_away_is_answered_503_then_recorded_once_when_back(
    fake: FakeSlack, db: Database
) -> None:
    async with proxy_to(db.url) as (proxy, url):
        slack = await start_slack(fake, url, OUTPUTS_INBOX__LEASE_SECONDS="5")
        try:
            await through_an_outage(slack, proxy.stop, proxy.start)
        finally:
            await stop_slack(slack)
