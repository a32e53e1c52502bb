"""The digest model: counts against targets, sparkline, cap, drafts, contributors, nothing, late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.charter import Schedule
from bot.context import Services
from bot.digest import sparkline, status_of
from bot.digests import due, next_due, post_due
from bot.events import Reply
from bot.periods import period_at
from tests.engine.harness import ADMIN, Dialog, key

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class RecordingPoster:
    platforms = frozenset({"test"})

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Reply] = []
        self.fail = fail

    async def post(self, reply: Reply, channel) -> str:
        if self.fail:
            raise RuntimeError("channel_not_found")
        self.sent.append(reply)
        return f"m{len(self.sent)}"


def test_sparkline_scales_to_the_busiest_period():
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([0, 1, 2, 4]) == "▁▃▅█"
    assert len(sparkline([5] * 8)) == 8


def test_status_marks():
    from bot.charter import Target

    assert status_of(0, Target(count=3)) == "nothing"
    assert status_of(2, Target(count=3)) == "behind"
    assert status_of(3, Target(count=3)) == "met"
    assert status_of(1, None) == "produced"


@pytest.fixture
async def d(repo):
    dialog = Dialog(repo, now=MONDAY, max_items=3)
    await dialog.setup_charter()
    return dialog


async def digest_of(d: Dialog):
    from bot.digests import compute

    c = await d.repo.get_charter(key())
    return await compute(d.engine.services, c, period_at(c.schedule, c.tz, d.clock.now()))


async def test_counts_targets_cap_drafts_and_contributors(d):
    for i in range(5):
        await d.text(f"U{i}", f"deliver solution Fix {i} problem=p{i} fix=f{i}")
    await d.text("U9", "deliver solution Half done problem=p")
    dg = await digest_of(d)
    sol = next(line for line in dg.lines if line.key == "solution")
    assert (sol.produced, sol.status) == (5, "met") and sol.counts[-1] == 5 and len(sol.counts) == 8
    idea = next(line for line in dg.lines if line.key == "idea")
    assert idea.status == "nothing"
    assert len(dg.items) == 3 and dg.more == 2
    [draft] = dg.drafts
    assert draft.deliverable.tagged_by == "U9" and draft.missing == ("Fix",)
    assert set(dg.contributors) == {f"U{i}" for i in range(5)}
    from bot.digests import as_reply

    text = as_reply(dg).text
    assert "…and 2 more" in text and "Drafts waiting" in text and "<@U9>" in text
    assert "Purpose: We solve customer problems" in text


async def test_sparkline_counts_previous_periods(d):
    await d.text("U1", "deliver idea one")
    d.clock.advance(days=7)
    await d.text("U1", "deliver idea two")
    await d.text("U1", "deliver idea three")
    dg = await digest_of(d)
    idea = next(line for line in dg.lines if line.key == "idea")
    assert idea.counts[-2:] == (1, 2)
    assert idea.produced == 2  # the period straddles Nov/Dec: December so far plus its own days


async def test_month_target_is_month_to_date(d):
    d.clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    await d.text("U1", "deliver idea A")
    d.clock.set(datetime(2026, 12, 15, 9, 0, tzinfo=UTC))
    await d.text("U1", "deliver idea B")
    dg = await digest_of(d)
    idea = next(line for line in dg.lines if line.key == "idea")
    assert idea.produced == 2 and idea.status == "met" and idea.counts[-1] == 1


async def test_nothing_produced_says_so_and_recalls_the_declared_outputs(d):
    dg = await digest_of(d)
    assert dg.nothing
    from bot.digests import as_reply

    text = as_reply(dg).text
    assert "Nothing was produced this period" in text and "Problem solved and Product idea" in text


async def test_due_digest_is_posted_once_and_late_is_marked(d):
    services: Services = d.engine.services
    poster = RecordingPoster()
    await d.text("U1", "deliver idea Ship it")
    friday = await next_due(services, d.clock.now())
    assert friday == datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 16:00 Paris
    assert await post_due(services, poster, friday - timedelta(seconds=1)) == []
    [o] = await post_due(services, poster, friday)
    assert o.status == "sent" and o.message_id == "m1" and "Ship it" in poster.sent[0].text
    assert "late" not in poster.sent[0].text
    assert await post_due(services, poster, friday + timedelta(minutes=5)) == []  # once
    # two weeks of downtime: only the newest period is posted, late, saying one was missed
    later = friday + timedelta(days=14, hours=2)
    [o] = await post_due(services, poster, later)
    assert o.status == "sent" and "Posted late" in o.text and "1 earlier digest was missed" in o.text
    runs = await d.repo.digest_runs()
    assert sorted(r.status for r in runs) == ["sent", "sent"]


async def test_failed_post_is_recorded_with_its_reason(d):
    poster = RecordingPoster(fail=True)
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    [o] = await post_due(d.engine.services, poster, friday)
    assert o.status == "failed" and "channel_not_found" in o.error
    [run] = await d.repo.digest_runs()
    assert run.status == "failed" and "channel_not_found" in run.error


async def test_paused_and_scheduleless_charters_get_no_digest(d):
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    await d.text(ADMIN, "pause until 2026-12-01")
    assert await due(d.engine.services, friday) == []
    await d.text(ADMIN, "resume")
    assert len(await due(d.engine.services, friday)) == 1
    await d.text(ADMIN, "schedule off")
    assert await due(d.engine.services, friday) == []


def test_default_schedule_is_friday_16():
    assert str(Schedule()) == "fri 16:00"


async def test_digest_lists_the_newest_drafts_and_counts_the_rest(d):
    from bot.deliverable import NewDeliverable, Status, Via
    from bot.digest import MAX_DRAFTS
    from bot.digests import as_reply
    from bot.i18n import translator
    from bot.render import digest_text

    for i in range(MAX_DRAFTS + 3):
        await d.text("U9", f"deliver solution Draft {i} problem=p{i}")  # no fix: a draft
        d.clock.advance(minutes=1)
    # a draft of a type the charter no longer declares is neither listed nor counted
    retired = NewDeliverable(
        channel=key(), type="retired", status=Status.DRAFT, title="Old", text="Old", author_id="U9",
        tagged_by="U9", via=Via.COMMAND, permalink=None, message_id=None, thread_id=None, fields={},
        created_at=d.clock.now(), completed_at=None,
    )  # fmt: skip
    await d.repo.capture(retired)
    dg = await digest_of(d)
    assert [dl.deliverable.title for dl in dg.drafts] == [f"Draft {i}" for i in range(3, MAX_DRAFTS + 3)]
    assert all(dl.missing == ("Fix",) for dl in dg.drafts) and dg.more_drafts == 3
    assert dg.channel_name == "c1"  # the stored name, read along with the facts
    text = as_reply(dg).text
    assert "Drafts waiting" in text and "…and 3 more drafts" in text
    assert "Draft 22 —" in text and "Draft 2 —" not in text and "Old" not in text
    assert "…et 3 autres brouillons" in digest_text(translator("fr"), dg)


async def test_one_draft_beyond_the_cap_is_singular(d):
    from bot.digest import build_digest
    from bot.digests import compute
    from bot.i18n import translator
    from bot.render import digest_text

    for i in range(3):
        await d.text("U9", f"deliver solution Draft {i} problem=p{i}")
    c = await d.repo.get_charter(key())
    period = period_at(c.schedule, c.tz, d.clock.now())
    dg = await compute(d.engine.services, c, period)
    assert (len(dg.drafts), dg.more_drafts) == (3, 0)
    assert "more draft" not in digest_text(translator("en"), dg)
    capped = await build_digest(d.repo, c, period, max_drafts=2)
    assert [x.deliverable.title for x in capped.drafts] == ["Draft 1", "Draft 2"] and capped.more_drafts == 1
    text = digest_text(translator("en"), capped)
    assert "…and 1 more draft" in text and "…and 1 more drafts" not in text
