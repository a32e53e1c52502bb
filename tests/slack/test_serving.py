"""Serving: one aiohttp server, signatures checked by bolt, bad input answered without a 5xx."""

from __future__ import annotations

import json
import time

from tests.slack.conftest import Slack, declare, fixture, signed


async def test_healthz_and_slack_events_share_one_server(slack: Slack) -> None:
    assert (await slack.http.get("/healthz")).status == 200
    challenge = fixture("url_verification")
    resp = await slack.event(challenge)
    assert resp.status == 200
    assert challenge["challenge"] in await resp.text()


async def test_unsigned_request_is_refused_and_changes_nothing(slack: Slack) -> None:
    body = slack.command_body('purpose "Unsigned purpose"')
    resp = await slack.post(body, "application/x-www-form-urlencoded", sign=False)
    await slack.settle()
    assert resp.status == 401
    assert await slack.repo.list_charters() == []
    assert slack.fake.calls == [] and slack.fake.responses == []


async def test_wrong_signature_is_refused(slack: Slack) -> None:
    body = slack.command_body('purpose "Forged"')
    forged = signed(body, secret="not-the-secret")
    resp = await slack.post(body, "application/x-www-form-urlencoded", headers=forged, sign=False)
    await slack.settle()
    assert resp.status == 401
    assert await slack.repo.list_charters() == []


async def test_stale_request_over_five_minutes_is_refused(slack: Slack) -> None:
    body = slack.command_body('purpose "Replayed"')
    stale = signed(body, ts=int(time.time()) - 5 * 60 - 10)
    resp = await slack.post(body, "application/x-www-form-urlencoded", headers=stale, sign=False)
    await slack.settle()
    assert resp.status == 401
    assert await slack.repo.list_charters() == []
    assert slack.fake.calls == []


async def test_help_is_acked_empty_then_answered_privately(slack: Slack) -> None:
    resp = await slack.command("help")
    assert resp.status == 200
    assert await resp.text() == ""  # the ack carries nothing: the answer follows
    [(key, body)] = slack.fake.responses
    assert key == "cmd" and body["response_type"] == "ephemeral"
    assert "/outputs charter" in body["text"]
    assert body["blocks"] and all(len(b["text"]["text"]) <= 3000 for b in body["blocks"] if "text" in b)


async def test_the_command_name_is_configurable(fake, db) -> None:  # type: ignore[no-untyped-def]
    from tests.slack.conftest import start_slack, stop_slack

    s = await start_slack(fake, db.url, OUTPUTS_SLACK__COMMAND="/deliverables")
    try:
        resp = await s.command("help")
        assert resp.status == 200
        assert "/deliverables charter" in s.replies()[0]
    finally:
        await stop_slack(s)


async def test_owner_commands_write_the_charter(slack: Slack) -> None:
    await slack.command("purpose We fix customer problems")
    await slack.command('type add solution "Problem solved" emoji=white_check_mark fields=problem,fix')
    charter = (await slack.repo.list_charters())[0]
    assert charter.purpose == "We fix customer problems"
    assert charter.channel.platform == "slack" and charter.channel.workspace_id == "T111"
    assert [t.key for t in charter.types] == ["solution"]


async def test_members_who_are_not_owners_are_told_so(slack: Slack) -> None:
    await slack.command('purpose "Mine"', user="WMEMBER")
    assert "Only owners" in slack.replies()[0]
    assert await slack.repo.list_charters() == []


async def test_digest_post_is_posted_for_everyone(slack: Slack) -> None:
    await declare(slack, 'type add solution "Problem solved" emoji=white_check_mark')
    await slack.command("digest post")
    [post] = slack.fake.called("chat.postMessage")
    assert post["channel"] == "C111"
    assert "What we produced" in post["text"]


async def test_a_reply_in_french_for_a_french_reader(slack: Slack) -> None:
    slack.fake.users["WFR"] = {"id": "WFR", "locale": "fr-FR"}
    await slack.command("nonsense", user="WFR")
    assert "Commande inconnue" in slack.replies()[0]


async def test_malformed_json_body_is_a_400(slack: Slack) -> None:
    resp = await slack.post('{"type": "event_callback", "event": ', "application/json")
    assert resp.status == 400


async def test_garbage_form_body_is_answered_without_a_5xx(slack: Slack) -> None:
    resp = await slack.post("payload=%7Bnot-json", "application/x-www-form-urlencoded")
    assert 200 <= resp.status < 500


async def test_unknown_event_type_is_acknowledged(slack: Slack) -> None:
    payload = fixture("reaction_added")
    payload["event"] = {"type": "some_future_event", "user": "W111", "event_ts": "1.2"}
    resp = await slack.event(payload)
    await slack.settle()
    assert resp.status == 200


async def test_event_with_missing_fields_is_acknowledged(slack: Slack) -> None:
    payload = fixture("reaction_added")
    del payload["event"]["item"]
    resp = await slack.event(payload)
    await slack.settle()
    assert resp.status == 200
    assert slack.fake.calls == [] or all(c.method == "auth.test" for c in slack.fake.calls)


async def test_non_json_content_is_never_a_5xx(slack: Slack) -> None:
    for body, kind in [
        ("", "application/json"),
        ("\x00\x01", "text/plain"),
        (json.dumps([1, 2]), "application/json"),
    ]:
        resp = await slack.post(body, kind)
        assert resp.status < 500, (body, resp.status)
