"""Block Kit within Slack's limits: 50 blocks, 3,000 characters per section, tokens kept whole."""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.slack import blocks
from bot.charter import ChannelKey, Charter, OutputType, Target
from bot.deliverable import Deliverable, Status, Via
from bot.digest import Digest, DraftLine, TypeLine
from bot.digests import as_reply
from bot.events import Audience, FormField, OpenForm, Reply
from bot.i18n import translator
from bot.periods import Period
from bot.render import charter_text, how_to_tag

KEY = ChannelKey(platform="slack", workspace_id="T1", channel_id="C1")
LOUD = "Ship it <!channel> & <@U0> *now*"  # what a person typed: the engine escapes it


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


def done(n: int, title: str = LOUD, status: Status = Status.COMPLETE) -> Deliverable:
    return Deliverable(
        id=n,
        channel=KEY,
        type="fix",
        status=status,
        title=title,
        tagged_by=f"U{n % 7}",
        author_id=f"U{n % 5}",
        via=Via.REACTION,
        permalink=f"https://t.slack.com/archives/C1/p{n}",
        created_at=datetime(2024, 3, 4, tzinfo=UTC),
    )


def digest(types: int = 2, items: int = 2, drafts: int = 1, people: int = 2, late: bool = False) -> Digest:
    charter = Charter(
        channel=KEY, purpose=LOUD, types=(OutputType(key="fix", label="Fix", target=Target(count=3)),)
    )
    statuses = ("nothing", "behind", "met")
    lines = tuple(
        TypeLine(f"t{n}", f"Type {n} {LOUD}", None, n % 3, Target(count=2), statuses[n % 3], (1, n % 3))
        for n in range(types)
    )
    return Digest(
        charter=charter,
        channel_name="general",
        period=Period(datetime(2024, 3, 1, 16, tzinfo=UTC), datetime(2024, 3, 8, 16, tzinfo=UTC)),
        lines=lines,
        items=tuple(done(n) for n in range(1, items + 1)),
        more=3,
        drafts=tuple(DraftLine(done(1000 + n, status=Status.DRAFT), ("Problem",)) for n in range(drafts)),
        contributors=tuple(f"U{n:08d}" for n in range(people)),
        late=late,
    )


def texts(payload: dict) -> list[str]:
    """Every mrkdwn text of the blocks, in order (sections and context elements)."""
    out = []
    for b in payload["blocks"]:
        if b["type"] == "section":
            out.append(b["text"]["text"])
        elif b["type"] == "context":
            out += [e["text"] for e in b["elements"]]
    return out


def within_limits(payload: dict) -> None:
    assert len(payload["blocks"]) <= blocks.MAX_BLOCKS
    for b in payload["blocks"]:
        if b["type"] == "header":
            assert b["text"]["type"] == "plain_text" and len(b["text"]["text"]) <= blocks.MAX_HEADER
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= blocks.MAX_SECTION
        if b["type"] == "context":
            assert 1 <= len(b["elements"]) <= 10
            assert all(len(e["text"]) <= blocks.MAX_SECTION for e in b["elements"])


def test_a_digest_has_a_header_its_parts_between_dividers_and_contributors_as_context() -> None:
    reply = as_reply(digest(late=True))
    payload = blocks.message(reply)
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "divider", "section", "divider", "section", "divider", "section",
                     "divider", "context"]
    header = payload["blocks"][0]["text"]["text"]
    assert header.startswith("What we produced in #general") and "*" not in header
    intro, types, items, drafts = sections(payload)
    assert "Posted late" in intro and "Purpose:" in intro
    assert types.count("\n") == 1 and types.startswith(("✅", "🟡", "🔴"))
    assert items.startswith("*Completed*") and "• #1 " in items and "…and 3 more" in items
    assert drafts.startswith("*Drafts waiting*") and "• #1000 " in drafts
    [people] = payload["blocks"][-1]["elements"]
    assert people["text"].endswith("<@U00000000> <@U00000001>")
    # every line of the engine's text is there, in its order, and nothing else
    assert "\n".join(texts(payload)) == reply.text.partition("\n")[2]
    assert payload["text"] == reply.text


def test_user_text_in_a_digest_stays_escaped() -> None:
    payload = blocks.message(as_reply(digest()))
    shown = "\n".join(texts(payload))
    assert "<!channel>" not in shown and "<@U0>" not in shown
    assert "Ship it &lt;!channel&gt; &amp; &lt;@U0&gt; *now*" in shown
    assert "&amp;lt;" not in shown  # escaped once, by the engine, not again here


def test_a_huge_digest_stays_within_slacks_limits() -> None:
    dg = digest(types=200, items=200, drafts=200, people=2000)
    payload = blocks.message(as_reply(dg))
    within_limits(payload)
    shown = "\n".join(texts(payload))
    assert "Type 199 " in shown and "• #200 " in shown and "• #1199 " in shown  # all of it fits


def test_past_fifty_blocks_a_digest_counts_what_was_left_out() -> None:
    dg = digest(types=20, items=2000, drafts=20, people=10)
    payload = blocks.message(as_reply(dg))
    within_limits(payload)
    assert len(payload["blocks"]) == blocks.MAX_BLOCKS
    [note] = payload["blocks"][-1]["elements"]
    assert payload["blocks"][-1]["type"] == "context" and "more parts were left out" in note["text"]
    assert payload["blocks"][-2]["type"] != "divider"


def test_a_digest_whose_text_is_not_shaped_as_expected_keeps_every_line_in_one_part() -> None:
    dg = digest()
    reply = as_reply(dg)
    text = reply.text + "\nA line of someone else's"
    payload = blocks.message(Reply(Audience.CHANNEL, "C1", text, view=dg))
    assert [b["type"] for b in payload["blocks"]] == ["header", "section"]
    assert "\n".join(texts(payload)).endswith("A line of someone else's")


def test_a_charter_has_a_header_and_keeps_its_text_escaped() -> None:
    t = translator("fr")
    charter = Charter(channel=KEY, purpose=LOUD, owners=("U1",), version=3,
                      types=(OutputType(key="fix", label="Fix", emoji="wrench"),))
    text = charter_text(t, charter) + "\n" + how_to_tag(t, charter, "/outputs")
    payload = blocks.message(Reply(Audience.EPHEMERAL, "C1", text, "U1", view=charter, lang="fr"))
    within_limits(payload)
    header, *rest = payload["blocks"]
    assert header["type"] == "header" and header["text"]["text"] == text.partition("\n")[0].replace("*", "")
    assert [b["type"] for b in rest] == ["section"]
    assert "\n".join(texts(payload)) == text.partition("\n")[2]
    assert "&lt;!channel&gt;" in rest[0]["text"]["text"] and "<!channel>" not in rest[0]["text"]["text"]


def test_a_header_is_plain_text_unescaped_and_a_title_with_a_link_stays_mrkdwn() -> None:
    t, view = translator("en"), digest()
    escaped = blocks.laid_out("*What we produced* in #r&amp;d &lt;3\nbody", view, t)
    assert escaped[0]["type"] == "header"
    assert escaped[0]["text"]["text"] == "What we produced in #r&d <3"
    linked = blocks.laid_out("*What we produced* in <#C1>\nbody", view, t)
    assert linked[0] == blocks.section("*What we produced* in <#C1>")
