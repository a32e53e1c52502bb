"""Rule 7 nudges: once per kind and channel (or draft) and period, switchable, none while paused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.charter import Nudges
from bot.events import Audience
from bot.passes import next_wakeup, run_pass
from tests.scheduler.helpers import Clock, RecordingPoster, add_charter, deliver, services

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # digest: Friday 16:00 Paris
WEDNESDAY = FRIDAY - timedelta(days=2)  # the behind reminder: two days before, same time


async def passes(svc, poster, *moments: datetime) -> None:
    for m in moments:
        svc.clock.set(m)
        await run_pass(svc, poster, m)


async def test_behind_reminder_once_per_period_saying_what_is_missing(repo):
    await add_charter(repo, "C1", MONDAY, target=3)
    await deliver(repo, "C1", MONDAY + timedelta(hours=1))
    svc, poster = services(repo, Clock(MONDAY)), RecordingPoster()
    assert await next_wakeup(svc, MONDAY) == WEDNESDAY
    await passes(svc, poster, WEDNESDAY - timedelta(minutes=1))
    assert poster.sent == []
    await passes(svc, poster, WEDNESDAY, WEDNESDAY + timedelta(hours=5), FRIDAY - timedelta(seconds=1))
    [(reply, channel)] = poster.of_kind("nudge")
    assert reply.audience == Audience.CHANNEL and channel.channel_id == "C1"
    assert "Reminder" in reply.text and "Problem solved (1 of 3)" in reply.text
    await passes(svc, poster, FRIDAY, WEDNESDAY + timedelta(weeks=1))  # the next period: once more
    assert len(poster.of_kind("nudge")) == 2


async def test_no_reminder_when_met_switched_off_or_created_after_it(repo):
    await add_charter(repo, "MET", MONDAY, target=1)
    await deliver(repo, "MET", MONDAY + timedelta(hours=1))
    await add_charter(repo, "OFF", MONDAY, nudges=Nudges(behind=False))
    await add_charter(repo, "LATE", WEDNESDAY + timedelta(hours=1))
    svc, poster = services(repo, Clock(MONDAY)), RecordingPoster()
    await passes(svc, poster, WEDNESDAY + timedelta(hours=2))
    assert poster.of_kind("nudge") == []


async def test_draft_reminder_to_its_tagger_once_after_24_hours(repo):
    await add_charter(repo, "C1", MONDAY, fields=("problem",))
    tagged = MONDAY + timedelta(hours=1)
    await deliver(repo, "C1", tagged, "Half done", draft=True, by="UTAGGER")
    svc, poster = services(repo, Clock(MONDAY)), RecordingPoster()
    assert await next_wakeup(svc, MONDAY + timedelta(hours=2)) == tagged + timedelta(hours=24)
    await passes(svc, poster, tagged + timedelta(hours=23))
    assert poster.direct() == []
    await passes(svc, poster, tagged + timedelta(hours=24), tagged + timedelta(hours=30))
    [dm] = poster.direct()
    assert dm.user_id == "UTAGGER" and "#1" in dm.text and "(Half done) still needs: problem" in dm.text
    assert "/outputs complete 1" in dm.text


async def test_draft_reminders_switched_off(repo):
    await add_charter(repo, "C1", MONDAY, fields=("problem",), nudges=Nudges(drafts=False))
    await deliver(repo, "C1", MONDAY, draft=True)
    svc, poster = services(repo, Clock(MONDAY)), RecordingPoster()
    await passes(svc, poster, MONDAY + timedelta(days=2))
    assert poster.direct() == []


async def test_idle_alert_to_owners_after_three_empty_periods_once(repo):
    # created just after a digest time: its first period is Nov 20 → 27
    await add_charter(repo, "C1", FRIDAY - timedelta(weeks=1, hours=-1), owners=("UA", "UB"), language="fr")
    svc, poster = services(repo, Clock(MONDAY)), RecordingPoster()
    fridays = [FRIDAY + timedelta(weeks=k) for k in range(4)]
    await passes(svc, poster, fridays[0], fridays[1])
    assert poster.direct() == []
    await passes(svc, poster, fridays[2], fridays[2] + timedelta(minutes=5))
    dms = poster.direct()
    assert sorted(r.user_id for r in dms) == ["UA", "UB"]
    assert "3 périodes" in dms[0].text  # the charter's language
    await passes(svc, poster, fridays[3])  # streak 4: not a multiple of 3, no alert
    assert len(poster.direct()) == 2


async def test_idle_alert_switched_off(repo):
    await add_charter(repo, "C1", MONDAY - timedelta(weeks=1), nudges=Nudges(idle=False, behind=False))
    svc, poster = services(repo, Clock(MONDAY)), RecordingPoster()
    await passes(svc, poster, *(FRIDAY + timedelta(weeks=k) for k in range(4)))
    assert poster.direct() == [] and len(poster.of_kind("digest")) == 4


async def test_a_paused_charter_gets_no_digest_and_no_nudge(repo):
    charter = await add_charter(repo, "C1", MONDAY - timedelta(weeks=3), fields=("problem",))
    paused = charter.model_copy(update={"paused_until": date(2026, 12, 1)})
    await repo.save_charter(paused, "UOWNER", "pause", MONDAY)
    await deliver(repo, "C1", MONDAY, draft=True)
    svc, poster = services(repo, Clock(MONDAY)), RecordingPoster()
    await passes(svc, poster, WEDNESDAY, MONDAY + timedelta(days=2), FRIDAY, FRIDAY + timedelta(hours=1))
    assert poster.sent == []
    await passes(svc, poster, FRIDAY + timedelta(days=4))  # resumed on 1 December: the DM comes
    assert [r.kind for r, _ in poster.sent] == ["nudge"]
