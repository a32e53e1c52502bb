"""Team owners (Graph's roster of the team, via resource-specific consent) own every charter
of their team; configured admins own everything; other members are told they cannot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.database import Database
from tests.teams.conftest import Teams, anonymous_settings, start_teams

TEAM = "19:efa9296d959346209fea44151c742e73@thread.skype"
GROUP = "02ce3874-dd86-41ba-bddc-013f34019978"
OWNER = "owner-aad-id"
tokens: list[str] = []


async def graph_token(tenant: str) -> str:
    tokens.append(tenant)
    return "graph-token"


@pytest.fixture
async def with_graph(db: Database) -> AsyncIterator[Teams]:
    async for t in start_teams(db, anonymous_settings(), graph_token=graph_token):
        t.connector.team_groups[TEAM] = GROUP
        t.connector.team_owners[GROUP] = {OWNER}
        yield t


async def test_a_team_owner_may_change_the_charter(with_graph: Teams) -> None:
    await with_graph.command("purpose Owners decide", user=OWNER)
    assert "Only owners" not in with_graph.connector.texts()[-1]
    graph = [c for c in with_graph.connector.calls if c.path.startswith("/graph/")]
    assert graph and graph[0].body["Authorization"] == "Bearer graph-token"
    assert tokens[-1] == "72f988bf-86f1-41af-91ab-2d7cd011db47"


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
