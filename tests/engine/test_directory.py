"""`channels [<words>]`: the directory, as people read it, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot import directory
from bot.charter import ChannelKey, Charter, OutputType, Target
from bot.commands.directory_cmds import MAX_CHANNELS
from bot.engine import Engine
from bot.events import Actor, CommandInvoked
from bot.ports import ChannelInfo
from tests.engine.harness import ADMIN, PLATFORM, WORKSPACE, Dialog, key


@pytest.fixture
async def d(repo):
    return Dialog(repo)


async def charter_in(d: Dialog, channel: str, purpose: str, *types: str) -> None:
    """A charter declared in `channel` by its owner, through the commands."""
    for line in [f"purpose {purpose}", *types]:
        out = "\n".join(await d.cmd(ADMIN, line, channel=channel))
        assert "Usage" not in out and "invalid" not in out, out


async def test_each_channel_with_what_it_produces_and_how_it_stands(d):
    await d.setup_charter()  # in C1: solution 3/week, idea 2/month
    for n in range(3):
        await d.text("U1", f"deliver solution Fixed jam {n} problem=jam fix=tray")
    await d.text("U1", "deliver idea Dark mode")
    await charter_in(d, "C2", "Sales leads for the north region", 'type add lead "Sales lead" target=2/week')
    out = await d.text("U2", "channels")
    assert out.splitlines()[0] == "Channels with a charter, and how each stands this period:"
    c1, c2 = out.index("#c1"), out.index("#c2")
    assert c1 < c2  # by name
    assert "#c1 — We solve customer problems" in out
    assert "✅ Problem solved 3/3" in out and "🟡 Product idea 1/2 this month" in out
    assert "#c2 — Sales leads for the north region\n    🔴 Sales lead 0/2" in out


async def test_a_private_channels_charter_is_for_its_members_only(d):
    await d.setup_charter()
    d.private.add("CPRIV")
    await charter_in(d, "CPRIV", "The secret merger", 'type add memo "Memo"')
    assert "#cpriv" not in await d.text("U2", "channels")
    assert "secret" not in await d.text("U2", "channels merger")
    d.gateway.members["CPRIV"] = {"U2"}
    out = await d.text("U2", "channels")
    assert "#cpriv — The secret merger" in out and "#c1" in out
    # asked inside the private channel itself: it is one the asker is in
    d.gateway.members.clear()
    assert "#cpriv" in "\n".join(await d.cmd("U3", "channels", channel="CPRIV"))


async def test_a_charter_whose_channel_was_never_seen_counts_as_private(d):
    await d.setup_charter()
    ghost = key("CGHOST")
    await d.repo.save_charter(Charter(channel=ghost, purpose="Ghost town"), "U1", "test", d.clock.now())
    assert "Ghost town" not in await d.text("U2", "channels")
    d.gateway.members["CGHOST"] = {"U2"}
    assert "#CGHOST — Ghost town" in await d.text("U2", "channels")  # its id: no name known


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        ("customer", {"#c1"}),  # the purpose
        ("PROBLEM solved", {"#c1"}),  # a type's label, every word
        ("printers", {"#c2"}),  # a type's description
        ("leads", {"#c2"}),  # a type's key
        ("problem printers", set()),  # the words are in two different charters
    ],
)
async def test_words_match_the_purpose_and_the_types(d, words, shown):
    await d.setup_charter()
    await charter_in(
        d,
        "C2",
        "Hardware",
        'type add leads "Follow-up" description="Broken printers we took back"',
    )
    out = await d.text("U2", f"channels {words}")
    assert {name for name in ("#c1", "#c2") if name in out} == shown, out
    if not shown:
        assert out == f"No channel you can see has a charter matching “{words}”."


@pytest.mark.parametrize(
    "words", ['"unclosed', "a AND b OR", "x*", "); DROP TABLE charters; --", "NEAR(a b)"]
)
async def test_odd_words_are_just_words(d, words):
    await d.setup_charter()
    out = await d.text("U2", f"channels {words}")
    assert out.startswith("No channel you can see has a charter matching"), out
    assert "#c1" in await d.text("U2", "channels")  # nothing was broken


async def test_another_workspace_is_never_shown(d):
    await d.setup_charter()
    d.workspace = "W2"
    await charter_in(d, "C9", "Elsewhere entirely", 'type add note "Note"')
    out = await d.text("U2", "channels")
    assert "#c9" in out and "#c1" not in out
    d.workspace = WORKSPACE
    out = await d.text("U2", "channels")
    assert "#c1" in out and "#c9" not in out and "Elsewhere" not in await d.text("U2", "channels elsewhere")


async def test_no_charter_anywhere_says_how_to_declare_one(d):
    out = await d.text("U1", "channels")
    assert out == (
        "No channel you can see has a charter yet. In a channel, an owner can declare one "
        "with `/outputs setup`."
    )


async def test_a_long_directory_stops_and_says_how_many_more(d):
    at = d.clock.now()
    for n in range(MAX_CHANNELS + 3):
        ch = key(f"C{n:02d}")
        await d.repo.upsert_channel(ChannelInfo(key=ch, name=f"team-{n:02d}"))
        charter = Charter(channel=ch, purpose=f"Team {n}", types=(OutputType(key="note", label="Note"),))
        await d.repo.save_charter(charter, ADMIN, "test", at)
    out = await d.text("U1", "channels")
    assert out.count("\n• ") == MAX_CHANNELS and "#team-19" in out and "#team-20" not in out
    assert out.endswith("…and 3 more channels: add words to narrow it down.")


async def test_the_answer_is_for_the_asker_alone():
    channel = ChannelInfo(key=ChannelKey(platform="teams", workspace_id="T", channel_id="C"))
    assert Engine.answers_privately(CommandInvoked(channel, Actor("U"), "channels"))
    assert Engine.answers_privately(CommandInvoked(channel, Actor("U"), "channels sales"))


class Flaky:
    """A platform that cannot answer just now for one channel (a fault that may pass)."""

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.asking = 0
        self.most = 0

    async def fetch_message(self, channel, message_id):  # pragma: no cover - not asked
        return None

    async def is_member(self, channel, user_id):
        self.asking += 1
        self.most = max(self.most, self.asking)
        await asyncio.sleep(0)  # let the other questions start
        self.asking -= 1
        if channel.channel_id == self.failing:
            raise ConnectionError("the platform is away")
        return True


async def test_memberships_are_asked_a_few_at_a_time_and_a_passing_fault_is_raised(repo):
    at = datetime(2026, 11, 23, tzinfo=UTC)
    for n in range(directory.MEMBERSHIP_CHECKS * 3):
        ch = key(f"P{n:02d}")
        await repo.upsert_channel(ChannelInfo(key=ch, name=f"p{n}", is_private=True))
        typ = OutputType(key="memo", label="Memo", target=Target(count=1))
        await repo.save_charter(Charter(channel=ch, types=(typ,)), ADMIN, "test", at)
    d = Dialog(repo)
    services = d.engine.services
    gateway = Flaky(failing="none")
    found = await directory.private_memberships(services, gateway, PLATFORM, WORKSPACE, "U1")
    assert len(found) == directory.MEMBERSHIP_CHECKS * 3
    assert 1 < gateway.most <= directory.MEMBERSHIP_CHECKS
    with pytest.raises(ConnectionError):  # as it is: the inbox knows it and tries again
        await directory.private_memberships(services, Flaky(failing="P05"), PLATFORM, WORKSPACE, "U1")


async def test_the_answer_is_in_the_askers_language(d):
    await d.setup_charter()
    d.locales["U2"] = "fr"
    out = await d.text("U2", "channels")
    assert out.startswith("Canaux dotés d'une charte, et où en est chacun sur cette période :")
    assert "🔴 Product idea 0/2 ce mois-ci" in out
    assert "« rien »" in await d.text("U2", "channels rien")
