"""Dialogs through the real engine on a real SQLite repository, in English and in French.

A reply to one person is in that person's language (the actor's locale); what is posted for
the channel (the digest, even in preview) is in the charter's language.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.charter import ChannelKey
from bot.events import Audience, OpenForm, Outbound, Reply, SendFile
from bot.ports import ChannelInfo
from tests.engine.harness import ADMIN, Dialog
from tests.i18n.catalogues import forms, messages, template

CHANNEL = ChannelInfo(key=ChannelKey(platform="test", workspace_id="W1", channel_id="C1"), name="support")
THIN = "\u2009"


class Chat(Dialog):
    """The engine dialog of tests/engine/harness.py, each line sent in a given language."""

    def __init__(self, repo, now: datetime, channel: ChannelInfo = CHANNEL) -> None:
        super().__init__(repo, now, admins=frozenset({ADMIN}))
        self.channel = channel.key.channel_id
        self.workspace = channel.key.workspace_id
        self.names[self.channel] = channel.name

    async def send(self, user: str, text: str, locale: str | None) -> str:
        self.locales.pop(user, None)
        if locale is not None:
            self.locales[user] = locale
        await self.cmd(user, text)
        return "\n".join(_text(o) for o in self.last)

    async def setup(self, locale: str | None, *lines: str) -> None:
        for line in lines:
            out = await self.send(ADMIN, line, locale)
            assert "invalid" not in out and "Usage" not in out and "Utilisation" not in out, out


def _text(o: Outbound) -> str:
    if isinstance(o, Reply):
        return o.text
    if isinstance(o, OpenForm):
        return o.text or o.title
    if isinstance(o, SendFile):
        return o.text
    raise AssertionError(o)


CHARTER = [
    "purpose Résoudre les problèmes des clients",
    'type add solution "Problème résolu" emoji=white_check_mark fields=problem,fix target=3/week',
    'type add idee "Idée produit" emoji=bulb target=2/month',
    "schedule fri 16:00 Europe/Paris",
]


def _english_fragments() -> list[str]:
    """The English sentences of the catalogue, cut at placeholders and code spans."""
    out = set()
    for m in messages(template()):
        for msgid in forms(m.id):
            text = re.sub(r"`[^`]*`", "\0", msgid)
            for part in re.split(r"\{[^}]*\}|\0|[*_]", text):
                part = part.strip(" .,:;()!?—")
                if len(re.findall(r"[A-Za-z']+", part)) >= 3:
                    out.add(part)
    return sorted(out)


ENGLISH = _english_fragments()


def untranslated(text: str) -> list[str]:
    return [f for f in ENGLISH if f in text]


def test_the_english_fragments_are_found_in_english_text():
    assert "Only owners of this channel's charter can use" in ENGLISH
    assert untranslated("Unknown command. Try `/outputs help`.") == ["Unknown command. Try"]


# --- (f) a French digest for Europe/Paris -------------------------------------------------

@pytest.fixture
async def french_channel(sqlite_repo):
    chat = Chat(sqlite_repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))  # Wednesday
    await chat.setup("en", *CHARTER, "language fr")
    out = await chat.send("U1", 'deliver solution Lien cassé problem="lien" fix="corrigé"', "fr")
    assert out.startswith("Enregistré : #1"), out
    out = await chat.send("U2", "deliver solution Export CSV vide problem=export", "fr")
    assert "#2 est un brouillon (à compléter : Fix)" in out, out
    return chat


async def test_a_french_digest_preview_shows_french_text_and_dates(french_channel):
    chat = french_channel
    # Asked by an English reader: the digest is a channel post, in the charter's language.
    await chat.send("U3", "digest preview", "en")
    [reply] = chat.last
    assert isinstance(reply, Reply) and reply.lang == "fr" and reply.kind == "digest"
    assert reply.audience is Audience.EPHEMERAL and reply.user_id == "U3"
    text = reply.text
    # The period runs Friday 27 November 16:00 to Friday 4 December 16:00, Paris time.
    assert text.splitlines()[0] == f"*Ce que nous avons produit* dans #support, 27 nov.{THIN}–{THIN}4 déc."
    assert "Raison d'être : Résoudre les problèmes des clients" in text
    assert "Problème résolu : 1/3 (en retard)" in text
    assert "Idée produit : 0/2 ce mois-ci (rien)" in text
    assert "*Livrables terminés*" in text
    assert "[Problème résolu]" in text and "· complet" in text
    assert "*Brouillons en attente*" in text
    assert "<@U2>: à compléter : Fix" in text
    assert "Contributeurs : <@U1>" in text
    assert untranslated(text) == [], text


async def test_the_french_digest_is_posted_in_french_for_the_channel(french_channel):
    chat = french_channel
    await chat.send(ADMIN, "digest post", "en")
    [reply] = chat.last
    assert reply.audience is Audience.CHANNEL and reply.lang == "fr"
    assert "nov." in reply.text and "déc." in reply.text
    assert untranslated(reply.text) == []


async def test_the_charter_in_french_names_the_weekday_in_french(french_channel):
    text = await french_channel.send("U1", "charter", "fr")
    assert "*Charte* (version" in text
    assert "Récapitulatif : chaque vendredi à 16:00 (Europe/Paris)" in text
    assert "3 par semaine" in text and "2 par mois" in text
    assert "Enregistrez un livrable avec `/outputs deliver <type> <text>`" in text
    assert untranslated(text) == [], text


async def test_an_empty_french_period_says_so_in_french(sqlite_repo):
    chat = Chat(sqlite_repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await chat.setup("fr", *CHARTER, "language fr")
    text = await chat.send("U1", "digest preview", "fr")
    assert ("*Rien n'a été produit sur cette période.* Ce canal a déclaré : "
            "Problème résolu et Idée produit.") in text
    assert untranslated(text) == [], text


# --- (g) the same dialog in both languages -------------------------------------------------

DIALOG = [
    # (who, command, what the English reply contains, what the French reply contains)
    ("U1", "help", "*Outputs* — every channel declares", "*Outputs* — chaque canal déclare"),
    ("U1", "frobnicate", "Unknown command. Try `/outputs help`.",
     "Commande inconnue. Essayez `/outputs help`."),
    ("U1", "lsit", "Unknown command. Did you mean: `/outputs list",
     "Commande inconnue. Vouliez-vous dire : `/outputs list"),
    ("U1", "deliver solution Un correctif", "This channel has no charter yet",
     "Ce canal n'a pas encore de charte"),
    ("U1", "purpose Trop tôt", "Only owners of this channel's charter can use `purpose`.",
     "Seuls les responsables de la charte de ce canal peuvent utiliser `purpose`."),
    ("SETUP", "", "", ""),
    ("U1", "deliver solution Un correctif problem=a fix=b", "Recorded #1", "Enregistré : #1"),
    ("U1", "deliver solution Un autre problem=c", "#2 is a draft", "#2 est un brouillon"),
    ("U1", "deliver nope truc", "`nope` is not an output type of this channel",
     "`nope` n'est pas un type de livrable de ce canal"),
    ("U1", "withdraw 1", "Withdrawn: #1", "Retiré : #1"),
    ("U1", "withdraw 1", "#1 is already withdrawn.", "#1 est déjà retiré."),
    ("U1", "drafts", "Your drafts:", "Vos brouillons :"),
    ("U1", "search introuvable", "Nothing matches “introuvable”.", "Aucun résultat pour « introuvable »."),
    (ADMIN, "export csv", "2 deliverables exported.", "2 livrables exportés."),
    (ADMIN, "language de", "Unknown language `de`. Available: en, fr.",
     "Langue `de` inconnue. Langues disponibles : en, fr."),
    (ADMIN, "schedule someday", "I could not read that", "Je n'ai pas compris"),
    (ADMIN, "schedule off", "The digest is off for this channel.",
     "Le récapitulatif est désactivé pour ce canal."),
    ("U1", "charter", "Digest: no digest (schedule off)", "Récapitulatif : pas de récapitulatif"),
]


async def _run_dialog(repo, locale: str, channel: ChannelInfo = CHANNEL) -> list[str]:
    chat = Chat(repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC), channel)
    replies = []
    for who, command, _, _ in DIALOG:
        if who == "SETUP":
            await chat.setup(locale, *CHARTER)
            replies.append("")
            continue
        replies.append(await chat.send(who, command, locale))
    return replies


@pytest.mark.parametrize("locale", ["en", "fr", "fr-FR"])
async def test_the_same_dialog_in_each_language(sqlite_repo, locale):
    replies = await _run_dialog(sqlite_repo, locale)
    french = locale.startswith("fr")
    for (who, command, en, fr), reply in zip(DIALOG, replies, strict=True):
        if who == "SETUP":
            continue
        expected = fr if french else en
        assert expected in reply, (command, reply)
        if french:
            assert untranslated(reply) == [], (command, reply)
            assert en not in reply, (command, reply)


async def test_the_two_languages_give_different_replies(sqlite_repo):
    english = await _run_dialog(sqlite_repo, "en")
    # The same story again, in another workspace of the same database (so from a clean slate).
    other = ChannelInfo(key=ChannelKey(platform="test", workspace_id="W2", channel_id="C1"), name="support")
    french = await _run_dialog(sqlite_repo, "fr", other)
    for (who, command, _, _), en, fr in zip(DIALOG, english, french, strict=True):
        if who != "SETUP":
            assert en != fr, command


async def test_french_help_keeps_english_keywords_and_says_so(sqlite_repo):
    chat = Chat(sqlite_repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    text = await chat.send("U1", "help", "fr")
    assert "Commandes (les mots-clés restent en anglais) :" in text
    assert ('`/outputs type add <key> "<label>" [emoji=<name>] [fields=a,b,c?] [target=<n>/week|month] '
            '[route=<channel>] [description="…"]` — déclarer un type de livrable') in text
    assert "`/outputs digest [preview|post]` — le récapitulatif de la période en cours" in text
    assert "Ce canal n'a pas encore de charte. Un responsable peut lancer `/outputs setup`." in text
    assert untranslated(text) == [], text


async def test_each_reader_gets_their_own_language_in_one_channel(sqlite_repo):
    chat = Chat(sqlite_repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await chat.setup("fr", *CHARTER, "language fr")
    en = await chat.send("U1", "deliver solution One fix problem=a fix=b", "en")
    fr = await chat.send("U2", "deliver solution Un correctif problem=a fix=b", "fr")
    assert en.startswith("Recorded #1") and fr.startswith("Enregistré : #2")
    assert [r.lang for r in chat.last if isinstance(r, Reply)] == ["fr"]


async def test_setup_form_in_french(sqlite_repo):
    chat = Chat(sqlite_repo, datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    await chat.send(ADMIN, "setup", "fr")
    [form] = chat.last
    assert isinstance(form, OpenForm) and form.lang == "fr"
    assert form.title == "Charte du canal"
    assert [f.label for f in form.fields] == ["Raison d'être", "Types de livrables",
                                              "Planification du récapitulatif", "Fuseau horaire", "Langue"]
    assert form.text.startswith("Définissons ce que produit ce canal.")
    assert "`/outputs type add solution" in form.text
    assert untranslated(form.text) == [], form.text
