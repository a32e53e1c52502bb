"""Block Kit within Slack's limits: 50 blocks, 3,000 characters per section, tokens kept whole."""

from __future__ import annotations

from adapters.slack import blocks
from bot.events import Audience, FormField, OpenForm, Reply
from bot.i18n import translator


def sections(payload: dict) -> list[str]:
    return [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]


def test_a_40000_character_reply_is_split_and_capped_with_a_count() -> None:
    text = "\n".join(f"• line {n} " + "x" * 190 for n in range(200))  # ~40,000 characters
    payload = blocks.message(Reply(Audience.EPHEMERAL, "C1", text, "U1"))
    assert len(payload["blocks"]) <= blocks.MAX_BLOCKS
    assert all(len(s) <= blocks.MAX_SECTION for s in sections(payload))
    assert len(payload["text"]) <= blocks.MAX_FALLBACK
    shown = "\n".join(sections(payload))
    assert shown.startswith("• line 0 ") and "line 199" in shown  # 40,000 fit in 14 sections


def test_past_fifty_blocks_the_rest_is_counted() -> None:
    text = "\n\n".join(f"paragraph {n}" for n in range(80))
    payload = blocks.message(Reply(Audience.CHANNEL, "C1", text, lang="fr"))
    assert len(payload["blocks"]) == blocks.MAX_BLOCKS
    assert payload["blocks"][-1]["type"] == "context"
    assert "31 autres parties" in payload["blocks"][-1]["elements"][0]["text"]


def test_one_enormous_line_is_cut_outside_links_and_escapes() -> None:
    word = "<https://example.com/a|link> &amp; "
    text = word * 400
    pieces = blocks.split_text(text)
    assert all(len(p) <= blocks.MAX_SECTION for p in pieces)
    assert "".join(pieces) == text
    for p in pieces:
        assert p.count("<") == p.count(">")
        assert p.count("&") == p.count("&amp;")


def test_forms_become_modals_with_one_input_per_field() -> None:
    form = OpenForm(
        "U1",
        "C1",
        "A title much longer than twenty-four characters",
        (
            FormField("purpose", "Purpose", True, "x" * 5000, multiline=True, hint="Why"),
            FormField("n", "N", False),
        ),
        None,
        "fr",
    )
    view = blocks.form_view(form, blocks.SETUP_VIEW, {"channel": "C1"})
    assert len(view["title"]["text"]) <= blocks.MAX_TITLE
    assert view["submit"]["text"] == "Enregistrer" and view["close"]["text"] == "Annuler"
    purpose, n = view["blocks"]
    assert purpose["block_id"] == "purpose" and not purpose["optional"] and purpose["element"]["multiline"]
    assert len(purpose["element"]["initial_value"]) == blocks.MAX_INPUT
    assert n["optional"] and "initial_value" not in n["element"]


def test_record_view_lists_types_and_keeps_the_choice() -> None:
    t = translator("en")
    view = blocks.record_view(
        t, [("a", "A"), ("b", "B")], "b", [FormField("title", "Title", True, "Hi")], {}, "Hi"
    )
    select = view["blocks"][0]["accessory"]
    assert select["initial_option"]["value"] == "b" and len(select["options"]) == 2
    assert view["blocks"][-1]["element"]["initial_value"] == "Hi"
