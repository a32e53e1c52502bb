"""The capture dialog and the draft form: one prefill rule and one refusal for every platform."""

from __future__ import annotations

from bot.charter import FieldSpec, OutputType
from bot.dialogs import CaptureDialog, prefill
from bot.events import OpenForm
from bot.ports import MessageSnapshot
from tests.engine.harness import ADMIN, Dialog

TEXT = "\n  Fixed the login loop  \nby clearing the stale cookie"


def test_the_first_line_goes_into_the_title_field_when_there_is_one() -> None:
    ot = OutputType(key="post", label="Post", fields=(FieldSpec(name="url"), FieldSpec(name="title")))
    assert [f.value for f in prefill(ot, TEXT)] == ["", "Fixed the login loop"]


def test_else_into_the_first_field_and_the_others_start_empty() -> None:
    ot = OutputType(key="fix", label="Fix", fields=(FieldSpec(name="problem"), FieldSpec(name="fix")))
    fields = prefill(ot, TEXT)
    assert [f.value for f in fields] == ["Fixed the login loop", ""]
    assert fields[0].multiline and not fields[1].multiline
    assert prefill(OutputType(key="x", label="X"), TEXT) == ()


async def test_the_dialog_opens_on_the_declared_types_and_can_switch_type(repo) -> None:
    d = Dialog(repo)
    await d.setup_charter()
    message = MessageSnapshot(message_id="1.1", text=TEXT, author_id="U1")
    dialog = await d.engine.capture_dialog(d.info(), d.actor("U1"), message)
    assert isinstance(dialog, CaptureDialog)
    assert [k for k, _ in dialog.types] == ["solution", "idea"] and dialog.chosen == "solution"
    assert dialog.fields()[0].value == "Fixed the login loop"
    assert dialog.choose("idea") is not None and dialog.choose("nope") is None


async def test_the_dialog_says_why_it_cannot_open(repo) -> None:
    d = Dialog(repo)
    message = MessageSnapshot(message_id="1.1", text=TEXT, author_id="U1")
    refused = await d.engine.capture_dialog(d.info(), d.actor("U1"), message)
    assert isinstance(refused, str) and "no charter yet" in refused and "/outputs setup" in refused
    await d.setup_charter()
    bot = MessageSnapshot(message_id="1.2", text="hi", author_id="B1", is_bot=True)
    assert "from the bot" in str(await d.engine.capture_dialog(d.info(), d.actor("U1"), bot))


async def test_a_draft_form_only_in_its_own_workspace(repo) -> None:
    d = Dialog(repo)
    await d.setup_charter()
    ts = d.post("U1", "Login loop")
    await d.react(ADMIN, ts, "white_check_mark")  # a draft: fix is missing
    form = await d.engine.draft_form("test", d.workspace, d.actor(ADMIN), "1")
    assert isinstance(form, OpenForm) and form.deliverable_id == 1
    assert [f.name for f in form.fields] == ["problem", "fix", "area"]
    other = await d.engine.draft_form("test", "OTHER", d.actor(ADMIN), "1")
    assert other == "There is no deliverable #1."
    nonsense = await d.engine.draft_form("test", d.workspace, d.actor(ADMIN), "x")
    assert nonsense == "There is no deliverable #x."
