"""SPEC rule 12 over real HTTP: when Slack cannot say whether a channel is private, it is
private. A failed `conversations.info` never turns a stored private channel public, and a
channel first seen through a failed lookup is kept private until a lookup succeeds."""

from __future__ import annotations

from adapters.slack.convert import channel_key
from tests.slack.conftest import ADMIN, Slack, declare

PRIVATE, PUBLIC = "G222", "C111"
MEMBER, OUTSIDER = ADMIN, "W999"


def forget_channels(slack: Slack) -> None:
    """As after a restart: nothing cached about channels in the directory or the engine."""
    slack.server.directory.channels.clear()
    slack.app.engine._seen.clear()


async def search_as(slack: Slack, user: str, words: str) -> str:
    slack.fake.responses.clear()
    await slack.command(f"search {words}", user=user, channel=PUBLIC)
    return "\n".join(slack.replies())


async def test_a_failed_lookup_never_shows_a_private_channel_to_an_outsider(slack: Slack) -> None:
    slack.fake.users[OUTSIDER] = {"id": OUTSIDER, "name": "outsider", "locale": "en-US"}
    slack.fake.channels[PRIVATE] = {"id": PRIVATE, "name": "secret-plans", "is_private": True}
    slack.fake.members[PRIVATE] = [MEMBER]
    await declare(slack, 'type add idea "Idea"', channel=PRIVATE)
    await slack.command("deliver idea Merge the two teams quietly", channel=PRIVATE)
    assert "Merge the two teams" in await search_as(slack, MEMBER, "merge teams")
    assert "Merge the two teams" not in await search_as(slack, OUTSIDER, "merge teams")

    forget_channels(slack)
    slack.fake.fail["conversations.info"] = "internal_error"  # Slack cannot say, for a while
    await slack.command("help", channel=PRIVATE)  # the channel's facts are written again
    stored = await slack.repo.get_channel(channel_key("T111", PRIVATE))
    assert stored is not None and stored.is_private
    assert "Merge the two teams" not in await search_as(slack, OUTSIDER, "merge teams")


async def test_a_channel_first_seen_through_a_failed_lookup_is_private(slack: Slack) -> None:
    slack.fake.users[OUTSIDER] = {"id": OUTSIDER, "name": "outsider", "locale": "en-US"}
    slack.fake.members["C333"] = [MEMBER]
    slack.fake.fail["conversations.info"] = "internal_error"
    await declare(slack, 'type add idea "Idea"', channel="C333")
    await slack.command("deliver idea A plan nobody may see yet", channel="C333")
    stored = await slack.repo.get_channel(channel_key("T111", "C333"))
    assert stored is not None and stored.is_private
    assert "nobody may see" not in await search_as(slack, OUTSIDER, "plan nobody")

    del slack.fake.fail["conversations.info"]  # Slack answers again: the channel is public
    forget_channels(slack)
    await slack.command("help", channel="C333")
    stored = await slack.repo.get_channel(channel_key("T111", "C333"))
    assert stored is not None and not stored.is_private
    assert "nobody may see" in await search_as(slack, OUTSIDER, "plan nobody")
