"""SPEC rule 10 with real processes: `outputs-bot serve` killed with SIGKILL in the middle of a
burst of 500 reactions, restarted, and Slack's retries of whatever got no 200 sent again.
Every reaction ends up recorded exactly once: none lost (what was answered 200 was in the
database), none twice (retries of what was kept are the same entry; work cut off by the kill
is taken over when its lease lapses and is idempotent)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import sqlalchemy as sa

from adapters.slack.convert import channel_key
from storage.database import Database
from storage.models import DeliverableRow, InboxRow
from storage.repository import SqlRepository
from tests.slack.conftest import ADMIN, fixture, settings_env, signed
from tests.slack.fake_slack import FakeSlack

BIN = Path(sys.executable).parent / "outputs-bot"
EVENTS = 500
KILL_AFTER = 150  # answered 200s before the kill
CONCURRENCY = 32
HANG_GUARD = 120.0  # seconds; only so that a broken build fails instead of hanging CI
EMOJI = "white_check_mark"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def message_ts(n: int) -> str:
    return f"1700000000.{n:06d}"


def reaction(n: int) -> str:
    payload = fixture("reaction_added")  # its own event_id, kept across Slack's retries
    payload["event"].update(
        reaction=EMOJI, user="W111", item={"type": "message", "channel": "C111", "ts": message_ts(n)}
    )
    return json.dumps(payload)


class Bot:
    """`outputs-bot serve` as a child process."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.proc: asyncio.subprocess.Process | None = None
        self.started = 0

    async def run(self, *args: str) -> int:
        with (self.logs / f"{args[0]}.log").open("ab") as out:
            proc = await asyncio.create_subprocess_exec(str(BIN), *args, env=self.env, stdout=out, stderr=out)
            return await proc.wait()

    async def start(self, http: aiohttp.ClientSession, url: str) -> None:
        self.started += 1
        with (self.logs / f"serve-{self.started}.log").open("wb") as out:
            self.proc = await asyncio.create_subprocess_exec(
                str(BIN), "serve", env=self.env, stdout=out, stderr=out
            )
        while True:  # ready when /healthz answers 200
            assert self.proc.returncode is None, (self.logs / f"serve-{self.started}.log").read_text()
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with http.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()  # SIGKILL: no shutdown, no drain, nothing flushed

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


@contextlib.asynccontextmanager
async def bot(env: dict[str, str], logs: Path) -> AsyncIterator[Bot]:
    b = Bot(env, logs)
    try:
        yield b
    finally:
        b.kill()
        if b.proc is not None:
            await b.proc.wait()


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(HANG_GUARD):
        while not await check():
            await asyncio.sleep(0.1)


async def crash_and_recover(fake: FakeSlack, url: str, tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "PATH": os.environ.get("PATH", ""),
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        "HOME": str(tmp_path),
        **settings_env(fake, url),
        "OUTPUTS_SERVER__HOST": "127.0.0.1",
        "OUTPUTS_SERVER__PORT": str(port),
        "OUTPUTS_SCHEDULER__ENABLED": "false",
        "OUTPUTS_INBOX__LEASE_SECONDS": "5",
    }
    for n in range(EVENTS):
        fake.add_message("C111", message_ts(n), f"Message {n}")
    db = Database(url)
    repo = SqlRepository(db)
    try:
        async with bot(env, tmp_path) as server, aiohttp.ClientSession() as http:
            assert await server.run("migrate") == 0
            await server.start(http, base)

            async def post(body: str, headers: dict[str, str] | None = None) -> int:
                all_headers = {"Content-Type": "application/json", **signed(body), **(headers or {})}
                async with http.post(f"{base}/slack/events", data=body.encode(), headers=all_headers) as resp:
                    await resp.read()
                    return resp.status

            form = fixture("slash_command")
            form.update(
                command="/outputs",
                text=f'type add solution "Problem solved" emoji={EMOJI}',
                user_id=ADMIN,
                channel_id="C111",
                team_id="T111",
                response_url=fake.response_url("cmd"),
            )
            command = urlencode(form)
            command_headers = {"Content-Type": "application/x-www-form-urlencoded", **signed(command)}
            async with http.post(
                f"{base}/slack/events", data=command.encode(), headers=command_headers
            ) as resp:
                assert resp.status == 200

            async def has_charter() -> bool:
                charter = await repo.get_charter(channel_key("T111", "C111"))
                return charter is not None and charter.type_for_emoji(EMOJI) is not None

            await until(has_charter)

            # ---- the burst, and the kill part-way through it
            bodies = [reaction(n) for n in range(EVENTS)]
            answered: dict[int, int] = {}
            gate = asyncio.Semaphore(CONCURRENCY)

            async def deliver(n: int) -> None:
                async with gate:
                    if server.proc is not None and server.proc.returncode is not None:
                        return  # Slack could not connect: it retries later
                    try:
                        answered[n] = await post(bodies[n])
                    except (TimeoutError, aiohttp.ClientError, OSError):
                        return  # cut off: no answer, so Slack retries it
                if sum(1 for status in answered.values() if status == 200) >= KILL_AFTER:
                    server.kill()

            await asyncio.gather(*(deliver(n) for n in range(EVENTS)))
            assert server.proc is not None
            await server.proc.wait()
            acked = {n for n, status in answered.items() if status == 200}
            assert KILL_AFTER <= len(acked) < EVENTS

            # ---- back up; Slack retries what got no 200 (same body and event_id, signed anew)
            await server.start(http, base)
            missing = [n for n in range(EVENTS) if n not in acked]

            async def retry(n: int) -> None:
                async with gate:
                    for attempt in (1, 2, 3):  # Slack retries an event 3 times
                        headers = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_error"}
                        if await post(bodies[n], headers) == 200:
                            return
                    raise AssertionError(f"event {n} was never answered 200")

            await asyncio.gather(*(retry(n) for n in missing))

            async def drained() -> bool:
                waiting = await db.read_rows(
                    sa.select(sa.func.count()).where(InboxRow.status.in_(("pending", "running"))), {}
                )
                return int(waiting[0][0]) == 0

            await until(drained)
            rows = await db.read_rows(sa.select(DeliverableRow.message_id, DeliverableRow.status), {})
            failed = await db.read_rows(sa.select(sa.func.count()).where(InboxRow.status == "failed"), {})
    finally:
        await db.dispose()
    ids = [message_id for message_id, _ in rows]
    assert len(set(ids)) == EVENTS, f"lost: {EVENTS - len(set(ids))}"
    assert len(ids) == EVENTS, f"duplicated: {len(ids) - len(set(ids))}"
    assert set(ids) == {message_ts(n) for n in range(EVENTS)}
    assert {status for _, status in rows} == {"complete"}
    assert failed[0][0] == 0


async def test_a_killed_server_loses_nothing_and_records_nothing_twice(
    fake: FakeSlack, db_url: str, tmp_path: Path
) -> None:
    await crash_and_recover(fake, db_url, tmp_path)
