"""Every command of SPEC "Commands", as dialogs through the engine."""

from __future__ import annotations

import json

import pytest

from bot.deliverable import Status
from bot.events import Audience, OpenForm, SendFile
from tests.engine.harness import ADMIN, Dialog, key


@pytest.fixture
async def d(sqlite_repo):
    return Dialog(sqlite_repo, admins=frozenset({"UCONF"}))


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("", "Commands (keywords stay in English)"),
        ("help", "`/outputs type add <key>"),
        ("hepl", "Did you mean: `/outputs help`"),
        ("typ add x", "Did you mean: `/outputs type add"),
        ("type", "Did you mean: `/outputs type"),
        ("owners ad U1", "Did you mean: `/outputs owners add <user>`"),
        ("schedule friday", "Usage: `/outputs schedule <mon…sun> <HH:MM>"),
        ("schedule fri 25:00", "Usage: `/outputs schedule"),
        ('type add idea "unclosed', "Usage: `/outputs type add"),
        ("type add idea", "Usage: `/outputs type add"),
        ("type add idea Idea colour=red", "Usage: `/outputs type add"),
        ("type add idea Idea target=lots", "Usage: `/outputs type add"),
        ("pause until tomorrow", "Usage: `/outputs pause until <YYYY-MM-DD>`"),
        ("pause", "Usage: `/outputs pause"),
        ("complete abc", "Usage: `/outputs complete <id>"),
        ("withdraw", "Usage: `/outputs withdraw <id>`"),
        ("digest later", "Usage: `/outputs digest [preview|post]`"),
        ("export xml", "Usage: `/outputs export [csv|json]`"),
        ("search", "Usage: `/outputs search <words>`"),
        ("rollup maybe", "Usage: `/outputs rollup here | off`"),
        ("xyzzy", "Unknown command. Try `/outputs help`"),
        ("list a b c", "Usage: `/outputs list"),
    ],
)
async def test_malformed_or_unknown_input_gets_the_nearest_usage_line(d, line, expected):
    await d.setup_charter()
    out = await d.text(ADMIN, line)
    assert expected in out, out


async def test_help_includes_the_charter_summary(d):
    assert "no charter yet" in await d.text("U1", "help")
    await d.setup_charter()
    out = await d.text("U1", "help")
    assert "We solve customer problems" in out and ":white_check_mark:" in out


async def test_charter_view_lists_types_form_target_schedule(d):
    await d.setup_charter()
    out = await d.text("U1", "charter")
    assert "Problem solved" in out and "3 per week" in out and "fields: problem, fix, area?" in out
    assert "2 per month" in out and "every Friday at 16:00 (Europe/Paris)" in out
    assert "version 4" in out


async def test_setup_opens_a_form_with_guided_text(d):
    await d.cmd(ADMIN, "setup")
    [form] = d.last
    assert isinstance(form, OpenForm) and form.deliverable_id is None
    assert "/outputs purpose" in form.text and "/outputs type add" in form.text


async def test_only_owners_change_the_charter(d):
    d.creators["C1"] = "UCREATOR"
    out = await d.text("U1", "purpose hijack")
    assert "Only owners" in out
    # before a charter exists the channel's creator may start it, and becomes its owner
    assert "Purpose set" in await d.text("UCREATOR", "purpose Share fixes")
    assert "Only owners" in await d.text("U1", 'type add x "X"')
    # configured admins and workspace admins always may
    assert "Declared" in await d.text("UCONF", 'type add x "X"')
    assert "Declared" in await d.text(ADMIN, 'type add y "Y"')
    assert "Owners:" in await d.text("UCREATOR", "owners add <@U1|ann>")
    assert "Declared" in await d.text("U1", 'type add z "Z"')
    assert "at least one owner" not in await d.text("U1", "owners remove UCREATOR")
    assert "at least one owner" in await d.text("U1", "owners remove U1")


async def test_every_charter_change_is_kept_with_who_and_what(d):
    await d.setup_charter()
    await d.text(ADMIN, "type remove idea")
    history = await d.repo.charter_history(key())
    assert [h.version for h in history] == [1, 2, 3, 4, 5]
    assert history[-1].summary == "type remove idea" and history[-1].changed_by == ADMIN
    assert history[-1].charter.type("idea") is None and history[-2].charter.type("idea") is not None


async def test_type_add_refuses_an_existing_key_and_type_edit_changes_it(d):
    await d.setup_charter()
    assert "`idea` is already declared" in await d.text(ADMIN, 'type add idea "Idea!" emoji=bulb target=5')
    assert "Updated output type" in await d.text(ADMIN, 'type edit idea "Idea!" target=5')
    c = await d.repo.get_charter(key())
    assert c.type("idea").target.count == 5 and c.type("idea").target.per == "week"
    assert c.type("idea").emoji == "bulb" and c.type("idea").label == "Idea!"
    assert "two output types cannot share an emoji" in await d.text(ADMIN, 'type add dup "Dup" emoji=bulb')
    assert "not a valid type key" in await d.text(ADMIN, 'type add 9lives "Nine"')
    assert "not an output type" in await d.text(ADMIN, "type remove nope")


async def test_schedule_timezone_and_off(d):
    await d.setup_charter()
    assert "every Monday at 09:30 (America/New_York)" in await d.text(
        ADMIN, "schedule mon 09:30 America/New_York"
    )
    assert "not a timezone I know" in await d.text(ADMIN, "schedule mon 09:30 Mars/Olympus")
    assert "digest is off" in await d.text(ADMIN, "schedule off")
    assert (await d.repo.get_charter(key())).schedule is None


async def test_pause_resume_language(d):
    await d.setup_charter()
    assert "not in the future" in await d.text(ADMIN, "pause until 2020-01-01")
    assert "Paused until" in await d.text(ADMIN, "pause until 2026-12-24")
    assert (await d.repo.get_charter(key())).paused_until.isoformat() == "2026-12-24"
    assert "Resumed" in await d.text(ADMIN, "resume")
    assert "Unknown language `de`. Available: en, fr" in await d.text(ADMIN, "language de")
    await d.text(ADMIN, "language fr")
    assert (await d.repo.get_charter(key())).language == "fr"


async def test_rollup_is_for_workspace_admins(d):
    await d.setup_charter()
    assert "Only workspace admins" in await d.text("U1", "rollup here")
    assert "receives the workspace roll-up" in await d.text(ADMIN, "rollup here")
    assert (await d.repo.get_workspace("test", "W1")).rollup_channel_id == "C1"
    await d.text(ADMIN, "rollup off")
    assert (await d.repo.get_workspace("test", "W1")).rollup_channel_id is None


async def test_deliver_list_drafts_complete_withdraw(d):
    await d.setup_charter()
    await d.text("U1", "deliver idea Let's add dark mode — it's requested a lot")
    await d.text("U1", 'deliver solution Login loop fixed problem="Login loop"')
    items = await d.repo.list_deliverables(key())
    draft = next(i for i in items if i.status is Status.DRAFT)
    assert any(i.text == "Let's add dark mode — it's requested a lot" for i in items)
    out = await d.text("U1", "drafts")
    assert f"#{draft.id}" in out and "still needs: Fix" in out
    assert "Only the person who tagged" in await d.text("U2", f"complete {draft.id} fix=x")
    assert "has no field" in await d.text("U1", f"complete {draft.id} colour=red")
    out = await d.text("U1", f'complete {draft.id} fix="cleared the cookie"')
    assert "complete" in out
    assert "no drafts" in await d.text("U1", "drafts")
    listing = await d.text("U2", "list")
    assert listing.count("\n") == 1
    assert "Product idea" in await d.text("U2", "list idea week")
    assert "No deliverables" in await d.text("U2", "list idea last-week")
    assert "not an output type" in await d.text("U2", "list report")
    assert "Withdrawn" in await d.text(ADMIN, f"withdraw {draft.id}")  # an owner may
    assert "already withdrawn" in await d.text(ADMIN, f"withdraw {draft.id}")
    assert "There is no deliverable #999" in await d.text("U1", "withdraw 999")


async def test_deliverables_never_cross_workspaces(d):
    await d.setup_charter()
    await d.text("U1", "deliver idea Cross-workspace secret")
    [item] = await d.repo.list_deliverables(key())
    d.workspace = "W2"
    assert "There is no deliverable" in await d.text(ADMIN, f"withdraw {item.id}")
    assert "Nothing matches" in await d.text(ADMIN, "search secret")


async def test_search_ranks_and_hides_private_channels_from_non_members(d):
    await d.setup_charter()
    await d.text("U1", "deliver idea Cache the invoice PDF")
    d.private.add("CPRIV")
    d.channel = "CPRIV"
    await d.setup_charter()
    await d.text("U1", "deliver idea Invoice numbering for the secret project")
    d.channel = "C1"
    out = await d.text("U2", "search invoice")
    assert "Cache the invoice PDF" in out and "secret project" not in out
    d.gateway.members["CPRIV"] = {"U2"}
    out = await d.text("U2", "search invoice")
    assert "secret project" in out
    assert "Nothing matches" in await d.text("U2", "search \"'; DROP TABLE x; --")


async def test_export_gives_the_spec_fields(d):
    await d.setup_charter()
    await d.text("U1", "deliver idea Export me")
    assert "Only owners" in await d.text("U1", "export json")
    await d.cmd(ADMIN, "export json")
    [f] = d.last
    assert isinstance(f, SendFile) and f.filename.endswith(".json")
    [row] = json.loads(f.content)
    for field in (
        "id",
        "platform",
        "workspace_id",
        "channel_id",
        "type",
        "status",
        "title",
        "text",
        "author_id",
        "tagged_by",
        "via",
        "permalink",
        "message_id",
        "fields",
        "created_at",
        "completed_at",
    ):
        assert field in row
    await d.cmd(ADMIN, "export")
    assert d.last[0].content.startswith("id,platform,workspace_id")


async def test_digest_preview_is_private_and_post_is_for_owners(d):
    await d.setup_charter()
    await d.text("U1", "deliver idea Something")
    await d.cmd("U1", "digest preview")
    [r] = d.replies()
    assert r.audience is Audience.EPHEMERAL and r.user_id == "U1" and "What we produced" in r.text
    assert "Only owners" in await d.text("U1", "digest post")
    await d.cmd(ADMIN, "digest post")
    [r] = d.replies()
    assert r.audience is Audience.CHANNEL and r.kind == "digest"


async def test_new_member_gets_the_charter_once(d):
    await d.setup_charter()
    first = await d.join("U7")
    assert len(first) == 1 and "Welcome" in first[0] and "Problem solved" in first[0]
    assert d.replies()[0].audience is Audience.DIRECT
    assert await d.join("U7") == []
