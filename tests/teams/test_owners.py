"""Team owners (Graph's roster of the team, via resource-specific consent) own every charter
of their team; configured admins own everything; other members are told they cannot."""

from __future__ import annotations

import pytest

from adapters.teams import convert
from tests.teams.conftest import ADMIN, OWNER, TEAM, Teams, graph_tokens


async def test_a_team_owner_may_change_the_charter(with_graph: Teams) -> None:
    await with_graph.command("purpose Owners decide", user=OWNER)
    assert "Only owners" not in with_graph.connector.texts()[-1]
    graph = [c for c in with_graph.connector.calls if c.path.startswith("/graph/")]
    assert graph and graph[0].body["Authorization"] == "Bearer graph-token"
    assert graph_tokens[-1] == "72f988bf-86f1-41af-91ab-2d7cd011db47"


async def test_a_team_owner_owns_the_team_channels_but_not_the_tenant_roll_up(with_graph: Teams) -> None:
    """A Teams workspace is the whole tenant: a team owner must not move its roll-up."""
    await with_graph.command("purpose Owners decide", user=OWNER)
    assert "Only owners" not in with_graph.connector.texts()[-1]
    await with_graph.command("rollup here", user=OWNER)
    assert with_graph.connector.texts()[-1] == "Only workspace admins can choose the roll-up channel."
    await with_graph.command("rollup off", user=OWNER)
    assert with_graph.connector.texts()[-1] == "Only workspace admins can choose the roll-up channel."
    await with_graph.command("rollup here", user=ADMIN)  # an admin of the configuration
    assert with_graph.connector.texts()[-1] == "This channel now receives the workspace roll-up."


async def test_a_member_may_not(with_graph: Teams) -> None:
    await with_graph.command("purpose Members cannot", user="member-aad-id")
    assert "Only owners" in with_graph.connector.texts()[-1]


async def test_the_roster_is_read_once_for_a_while(with_graph: Teams) -> None:
    await with_graph.command("purpose One", user=OWNER)
    await with_graph.command("purpose Two", user=OWNER)
    assert len([c for c in with_graph.connector.calls if c.path.startswith("/graph/")]) == 1


async def test_without_graph_only_configured_admins_and_charter_owners(teams: Teams) -> None:
    await teams.command("purpose Not mine", user=OWNER)
    assert "Only owners" in teams.connector.texts()[-1]
    assert not [c for c in teams.connector.calls if c.path.startswith("/graph/")]


def _asked(t: Teams, prefix: str) -> int:
    return len([c for c in t.connector.calls if c.path.startswith(prefix)])


async def test_a_channel_message_not_for_the_bot_asks_nobody_who_owns_the_team(with_graph: Teams) -> None:
    a = with_graph.activity("message_channel_mention", text="Lunch at noon?", entities=[])
    a["from"] = {"id": "29:someone", "aadObjectId": "someone"}
    await with_graph.post(a)
    assert _asked(with_graph, "/v3/teams/") == 0 and _asked(with_graph, "/graph/") == 0
    assert with_graph.connector.texts() == []


async def test_team_details_that_fail_are_not_asked_again_at_once(
    with_graph: Teams, caplog: pytest.LogCaptureFixture
) -> None:
    with_graph.connector.team_groups.pop(TEAM)  # the connector knows no group for the team
    await with_graph.command("purpose One", user=OWNER)
    await with_graph.command("purpose Two", user=OWNER)
    assert _asked(with_graph, "/v3/teams/") == 1
    assert "Only owners" in with_graph.connector.texts()[-1]  # owners unknown: configured admins only
    assert caplog.text.count("no Entra group id for team") == 1


async def test_an_unchanged_conversation_reference_is_not_written_again(with_graph: Teams) -> None:
    await with_graph.command("help", user=OWNER)
    [ref] = await with_graph.server.refs.list("teams")
    await with_graph.command("help", user=OWNER)
    [again] = await with_graph.server.refs.list("teams")
    assert again.updated_at == ref.updated_at


async def test_someone_mentioned_by_bot_framework_id_is_stored_by_entra_id(teams: Teams) -> None:
    await teams.command("purpose We ship fixes")  # a configured admin declares the charter
    teams.connector.members[TEAM] = {"29:bob"}
    teams.connector.aad_ids["29:bob"] = "bob-aad"
    a = teams.activity("message_channel_mention")
    a["text"] = "<at>Outputs</at> owners add <at>Bob</at>"
    a["from"] = {"id": f"29:{ADMIN}", "aadObjectId": ADMIN}
    bob = {"type": "mention", "text": "<at>Bob</at>", "mentioned": {"id": "29:bob", "name": "Bob"}}
    a["entities"].append(bob)
    await teams.post(a)
    charter = await teams.app.repo.get_charter(convert.key_of(a))
    assert charter is not None and "bob-aad" in charter.owners and "29:bob" not in charter.owners
    await teams.command("purpose Bob decides now", user="bob-aad")
    assert "Only owners" not in teams.connector.texts()[-1]
