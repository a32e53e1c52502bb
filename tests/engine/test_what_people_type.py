"""Issue 13: what people type, every typo caught, every reply clear, every person in their
own language. One dialog per numbered point of the issue, in English and in French, through
the real engine on a real repository.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.events import Audience, Reply
from bot.passes import run_pass
from tests.engine.harness import ADMIN, Dialog, key
from tests.i18n.test_dialogs import untranslated
from tests.scheduler.helpers import RecordingPoster

LOCALES = ["en", "fr"]


@pytest.fixture
async def d(sqlite_repo):
    return Dialog(sqlite_repo)


async def said(d: Dialog, user: str, text: str, locale: str) -> str:
    d.locales[user] = locale
    return await d.text(user, text)


def pick(locale: str, en: str, fr: str) -> str:
    return fr if locale == "fr" else en


# --- 1. an unclosed quote is refused, naming the place ---------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_1_an_unclosed_quote_records_nothing_and_says_where(d, locale):
    await d.setup_charter()
    out = await said(d, "U1", 'deliver solution Fixed printer problem="printer jam" fix="cleared it', locale)
    assert pick(locale, "The quote after `fix=` is never closed. Nothing was recorded.",
                "Le guillemet après `fix=` n'est jamais fermé. Rien n'a été enregistré.") in out
    assert await d.repo.list_deliverables(key()) == []
    out = await said(d, ADMIN, 'type add faq "FAQ entry', locale)
    assert pick(locale, "The quote before `FAQ entry` is never closed. Nothing was done. Usage:",
                "Le guillemet avant `FAQ entry` n'est jamais fermé. Rien n'a été fait. Utilisation :") in out
    assert "No closing quotation" not in out
    # apostrophes inside words are letters, not quotes
    out = await said(d, "U1", "deliver idea l'équipe aimerait un export", locale)
    assert pick(locale, "Recorded #1", "Enregistré : #1") in out
    assert (await d.repo.list_deliverables(key()))[0].title == "l'équipe aimerait un export"


# --- 2. emoji are checked; a pasted emoji is stored as its name --------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_2_unknown_emoji_are_refused_and_pasted_ones_accepted(d, locale):
    await d.setup_charter()
    out = await said(d, ADMIN, 'type add faq "FAQ entry" emoji=not_an_emoji_xyz', locale)
    assert pick(locale, "`:not_an_emoji_xyz:` is not an emoji I know",
                "`:not_an_emoji_xyz:` n'est pas un emoji que je connais") in out
    assert (await d.repo.get_charter(key())).type("faq") is None
    out = await said(d, ADMIN, 'type add faq "FAQ entry" emoji=questoin', locale)
    assert pick(locale, "Did you mean `question`", "Vouliez-vous dire `question`") in out
    out = await said(d, ADMIN, 'type add launch "Launch" emoji=🚀', locale)
    assert pick(locale, "Declared output type Launch", "Type de livrable Launch") in out
    assert (await d.repo.get_charter(key())).type("launch").emoji == "rocket"
    # a reaction under another name of the same emoji records it
    ts = d.post("U1", "We shipped the new exporter")
    assert any("#1" in line for line in await d.react("U1", ts, "rocket"))
    assert untranslated(out) == [] or locale == "en"


async def test_2_the_platforms_custom_emoji_are_accepted(d):
    class SlackLike(type(d.gateway)):  # type: ignore[misc]
        async def custom_emoji(self, workspace_id: str) -> frozenset[str] | None:
            return frozenset({"partyparrot"})

    d.gateway = SlackLike()
    await d.setup_charter()
    assert "Declared" in await d.text(ADMIN, 'type add win "Win" emoji=partyparrot')
    assert "not an emoji I know" in await d.text(ADMIN, 'type add win2 "Win" emoji=sadparrot')


async def test_2_custom_emoji_that_cannot_be_checked_are_taken_with_a_note(d):
    """The platform has custom emoji and could not list them: the name is taken as written,
    and every way of declaring a type says so (type add, type edit, the setup form)."""
    from bot.events import SetupSubmitted

    class Unreadable(type(d.gateway)):  # type: ignore[misc]
        async def custom_emoji(self, workspace_id: str) -> frozenset[str] | None:
            return None

    d.gateway = Unreadable()
    await d.setup_charter()
    note = "I could not read this workspace's custom emoji to check `:{}:`, so I took it as written"
    out = await d.text(ADMIN, 'type add win "Win" emoji=partyparrot')
    assert out.startswith("Declared output type Win (`win`).\n" + note.format("partyparrot")), out
    out = await d.text(ADMIN, "type edit win emoji=questoin")
    assert "Updated output type Win" in out and note.format("questoin") in out
    assert "Did you mean `question`" in out  # a likely typo is still pointed out
    assert (await d.repo.get_charter(key())).type("win").emoji == "questoin"
    assert await d.text(ADMIN, 'type add rocket "Rocket" emoji=rocket') == (
        "Declared output type Rocket (`rocket`)."  # a standard name: nothing to note
    )
    form = {"purpose": "Ship", "types": 'win "Win" emoji=sadparrot', "schedule": "off"}
    [saved] = await d.engine.handle(SetupSubmitted(d.info(), d.actor(ADMIN), form), d.gateway)
    assert saved.text.startswith("Charter saved.\n" + note.format("sadparrot")), saved.text


# --- 3. field names as people write them -------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_3_accented_and_capitalised_field_names(d, locale):
    await d.setup_charter()
    out = await said(d, ADMIN, 'type add lecon "Leçon apprise" emoji=books fields=sujet,équipe?,Lien', locale)
    assert pick(locale, "Declared output type", "Type de livrable") in out, out
    ot = (await d.repo.get_charter(key())).type("lecon")
    assert [(f.name, f.label, f.required) for f in ot.fields] == [
        ("sujet", "Sujet", True), ("équipe", "Équipe", False), ("Lien", "Lien", True)]
    # keys compare whatever the case and accents; the values land on the declared fields
    line = "deliver lecon Relire avant d'envoyer Sujet=relecture equipe=support lien=x"
    out = await said(d, "U1", line, locale)
    assert pick(locale, "Recorded #1", "Enregistré : #1") in out, out
    [got] = await d.repo.list_deliverables(key())
    assert got.fields == {"sujet": "relecture", "équipe": "support", "Lien": "x"}


# --- 4. a schedule change never posts a period again -------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("change", ["schedule fri 16:00 America/New_York", "schedule fri 18:00"])
async def test_4_changing_the_schedule_after_a_digest_posts_nothing_again(d, locale, change):
    await d.setup_charter()
    await said(d, ADMIN, f"language {locale}", locale)
    poster = RecordingPoster()
    services = d.engine.services
    d.clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))  # Friday 16:00 in Paris
    await run_pass(services, poster, d.clock.now())
    assert len(poster.of_kind("digest")) == 1
    d.clock.advance(days=3)
    assert pick(locale, "Digest:", "Récapitulatif :") in await said(d, ADMIN, change, locale)
    for _ in range(3):
        d.clock.advance(hours=8)
        await run_pass(services, poster, d.clock.now())
    assert len(poster.of_kind("digest")) == 1, [r.text for r, _ in poster.sent]
    # the next digest comes at the new time and covers from where the last one ended
    while d.clock.now() < datetime(2026, 12, 5, 0, 0, tzinfo=UTC):  # a scheduler waking each hour
        d.clock.advance(hours=1)
        await run_pass(services, poster, d.clock.now())
    digests = poster.of_kind("digest")
    assert len(digests) == 2
    late = pick(locale, "Posted late", "Publié en retard")
    assert all(late not in r.text for r, _ in digests)
    first, second = sorted(await d.repo.digest_runs(), key=lambda r: r.period_end)
    assert second.period_start == first.period_end  # no overlap, no gap
    assert not second.late


# --- 5. deliver refuses an unknown field and strips quotes ------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_5_deliver_refuses_a_misspelled_field_and_strips_quotes(d, locale):
    await d.setup_charter()
    out = await said(d, "U1", 'deliver solution Fixed printer problem="jam" fxi="cleared it"', locale)
    assert pick(locale,
                "Problem solved has no field fxi. Its fields: problem, fix, area. Did you mean `fix`?",
                "Problem solved n'a pas de champ fxi.") in out, out
    assert pick(locale, "Nothing was recorded.", "Rien n'a été enregistré.") in out
    assert await d.repo.list_deliverables(key()) == []
    out = await said(d, "U1", 'deliver idea "Quarterly summary"', locale)
    assert pick(locale, "Recorded #1", "Enregistré : #1") in out
    [got] = await d.repo.list_deliverables(key())
    assert got.title == "Quarterly summary"


# --- 6. type add never overwrites; type edit changes what it is given ----------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_6_type_add_on_an_existing_key_says_so_and_type_edit_keeps_the_rest(d, locale):
    await d.setup_charter()
    out = await said(d, ADMIN, 'type add solution "Solution" emoji=question', locale)
    assert pick(locale, "`solution` is already declared (Problem solved); nothing was changed.",
                "`solution` est déjà déclaré (Problem solved) ; rien n'a été modifié.") in out
    out = await said(d, ADMIN, "type edit solution emoji=wrench", locale)
    assert pick(locale, "Updated output type Problem solved", "Type de livrable Problem solved") in out, out
    ot = (await d.repo.get_charter(key())).type("solution")
    assert ot.emoji == "wrench" and [f.name for f in ot.fields] == ["problem", "fix", "area"]
    assert ot.target is not None and ot.target.count == 3
    await said(d, ADMIN, "type edit solution target=none", locale)
    assert (await d.repo.get_charter(key())).type("solution").target is None


# --- 7. no Python text reaches a person -------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_7_no_exception_text_in_replies(d, locale):
    await d.setup_charter()
    for line in ['type add x "X" target=abc', 'type add x "X" target=0/week', 'schedule fri "16:00',
                 'purpose "unclosed', 'complete 1 fix="a', 'type add x "X" colour=red']:
        out = await said(d, ADMIN, line, locale)
        for leak in ("No closing quotation", "invalid literal", "Value error", "Input should", "Traceback"):
            assert leak not in out, (line, out)
        if locale == "fr":
            assert untranslated(out) == [], (line, out)


# --- 8. each person in their own language ------------------------------------------------------

async def test_8_private_messages_follow_the_reader_not_the_charter(d):
    await d.setup_charter()  # an English charter
    d.locales["UFR"] = "fr-FR"  # the platform's locale, stored as the person's language
    out = await d.join("UFR")
    assert out and out[0].startswith("Bienvenue dans #c1"), out
    assert await d.repo.get_language("test", "W1", "UFR") is not None
    # a draft of hers, then the reminder a day later, sent by the scheduler in French
    await d.text("UFR", "deliver solution Une piste problem=x")
    d.clock.advance(hours=25)
    poster = RecordingPoster()
    await run_pass(d.engine.services, poster, d.clock.now())
    [reminder] = poster.direct()
    assert reminder.lang == "fr", reminder
    assert reminder.text.startswith("Il manque encore à votre brouillon #1"), reminder.text


@pytest.mark.parametrize("locale", LOCALES)
async def test_8_language_me_overrides_the_platform(d, locale):
    await d.setup_charter()
    d.locales["U1"] = pick(locale, "fr", "en")  # the platform says the other language
    out = await d.text("U1", f"language me {locale}")
    assert pick(locale, "I will write to you in English", "Je vous écrirai en français") in out, out
    # the platform's locale no longer decides, and the channel keeps the charter's language
    out = await d.text("U1", "drafts")
    assert out == pick(locale, "You have no drafts waiting.", "Vous n'avez aucun brouillon en attente.")
    out = await d.text("U1", "language me de")
    assert "de" in out
    out = await d.text("U1", "language fr")  # the channel's language stays an owner's choice
    assert pick(locale, "Only owners", "Seuls les responsables") in out


# --- 9. a reaction on a message that is not there ------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_9_a_missing_message_is_answered_plainly(d, locale):
    await d.setup_charter()
    d.locales["U1"] = locale
    out = "\n".join(await d.react("U1", "99.000", "white_check_mark"))
    assert pick(locale, "I could not find that message", "Je n'ai pas trouvé ce message") in out
    assert "moment" not in out and "instant" not in out


# --- 10. (charter apply: tests/test_cli.py) and the duplicate emoji named in chat -------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_10_a_shared_emoji_is_named(d, locale):
    await d.setup_charter()
    out = await said(d, ADMIN, 'type add other "Other" emoji=+1', locale)
    assert "Declared" in out or "déclaré" in out.lower() or "Type de livrable" in out
    out = await said(d, ADMIN, 'type add more "More" emoji=thumbsup', locale)
    assert pick(locale, "(:thumbsup: is on other and more)", "(:thumbsup: est sur other et more)") in out, out


# --- 12. formatting ----------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
async def test_12_help_drafts_reminders_setup_and_untargeted_types(d, locale):
    d.locales[ADMIN] = locale
    out = await d.text(ADMIN, "setup")
    assert pick(locale, "(now: not set yet)", "pas encore définie") in "\n".join(
        o.text for o in d.last)
    await d.setup_charter()
    help_text = await said(d, "U1", "help", locale)
    export = next(line for line in help_text.splitlines() if "/outputs export" in line)
    assert export.endswith(pick(locale, "(owners)", "(responsables)"))
    await said(d, "U1", "deliver solution Une piste problem=x", locale)
    out = await said(d, "U1", "drafts", locale)
    assert "(#c1)" in out and "<#" not in out
    await said(d, ADMIN, 'type add note "Note" emoji=memo', locale)
    out = await said(d, "U1", "digest preview", locale)
    note = next(line for line in out.splitlines() if line.startswith(("▫️ Note", "🔴 Note")))
    assert note.startswith("▫️") and "(no target)" in note  # the digest is in the charter's language
    # the behind-target reminder names the time zone of the time it gives
    d.clock.set(datetime(2026, 11, 25, 15, 0, tzinfo=UTC))  # Wednesday 16:00 Paris, 2 days before
    poster = RecordingPoster()
    await run_pass(d.engine.services, poster, d.clock.now())
    [nudge] = [r for r, _ in poster.sent if r.kind == "nudge" and r.audience == Audience.CHANNEL]
    assert "Friday 27 November 16:00 (Europe/Paris)" in nudge.text


def test_replies_are_reply_objects():
    assert Reply  # the module's imports stay used when dialogs change
