"""Team owners from Microsoft Graph, with the app's own token from msal, end to end.

msal runs for real (its `requests` session, its authority discovery, its token cache)
against a local login endpoint over TLS (`tests/teams/graph_fakes.py`); Graph is a local
fake that pages its roster with @odata.nextLink and can refuse (403) or hang.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.teams.auth import authentication
from adapters.teams.owners import (
    CACHE_SECONDS,
    GRAPH_SCOPE,
    RETRY_SECONDS,
    TeamOwners,
    app_token_source,
)
from bot.charter import ChannelKey
from bot.config import ConfigError, Settings, TeamsSettings, load_settings
from storage.database import Database
from tests.clock import FakeClock
from tests.teams.conftest import Teams, anonymous_settings, start_teams
from tests.teams.graph_fakes import APP_ID, APP_PASSWORD, Microsoft, microsoft

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"  # the tenant of the fixtures' activities
HOME_TENANT = "5e4e0d2a-9b1c-4f3e-8a7d-6c5b4a392817"  # a single-tenant registration's own
TEAM = "19:efa9296d959346209fea44151c742e73@thread.skype"
GROUP = "02ce3874-dd86-41ba-bddc-013f34019978"
OTHER_GROUP = "7d3c1b2a-0f9e-4d8c-b7a6-5e4f3d2c1b0a"
GENERAL = ChannelKey(platform="teams", workspace_id=TENANT, channel_id=TEAM)
OWNER = "owner-aad-id"
MEMBER = "member-aad-id"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def ms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Microsoft]:
    async with microsoft(tmp_path) as m:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(m.ca_bundle))  # trust the fake login's TLS
        m.graph.add_team(GROUP, owners=[OWNER], others=[MEMBER])
        yield m


def app_settings(ms: Microsoft, **env: str) -> Settings:
    return load_settings(
        env={
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
            "OUTPUTS_TEAMS__LOGIN_URL": ms.login_url,
            **env,
        }
    )


def owners_for(ms: Microsoft, clock: FakeClock | None = None, **env: str) -> TeamOwners:
    return TeamOwners(
        app_token_source(app_settings(ms, **env).teams), ms.graph_url, (clock or FakeClock(START)).seconds
    )


# --- the setting ---------------------------------------------------------------------------------


def test_the_login_url_defaults_to_entra_and_is_read_from_the_environment() -> None:
    assert load_settings(env={}).teams.login_url == "https://login.microsoftonline.com"
    s = load_settings(env={"OUTPUTS_TEAMS__LOGIN_URL": "https://login.microsoftonline.us"})
    assert s.teams.login_url == "https://login.microsoftonline.us"


def test_a_login_url_msal_would_refuse_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"OUTPUTS_TEAMS__LOGIN_URL: teams.login_url: must be an https"):
        load_settings(env={"OUTPUTS_TEAMS__LOGIN_URL": "http://127.0.0.1:1"})


def test_without_an_app_password_there_is_no_token_source() -> None:
    assert app_token_source(TeamsSettings(app_id=APP_ID)) is None
    assert app_token_source(TeamsSettings()) is None


# --- the token ---------------------------------------------------------------------------------


async def test_the_token_is_the_apps_own_for_the_activitys_tenant(ms: Microsoft) -> None:
    owners = owners_for(ms)
    assert await owners.owners(TENANT, GROUP) == {OWNER}
    [request] = ms.login.token_requests
    assert request.tenant == TENANT and ms.login.discoveries == [TENANT]
    assert request.form["grant_type"] == "client_credentials"
    assert request.form["client_id"] == APP_ID
    assert request.form["client_secret"] == APP_PASSWORD
    assert request.form["scope"] == GRAPH_SCOPE
    [call] = ms.graph.calls
    assert call.path == f"/v1.0/teams/{GROUP}/members"
    assert call.authorization == "Bearer graph-token-1"


async def test_a_single_tenant_app_asks_its_own_tenant(ms: Microsoft) -> None:
    owners = owners_for(ms, MICROSOFT_APP_TENANT_ID=HOME_TENANT)
    assert await owners.owners(TENANT, GROUP) == {OWNER}
    assert [r.tenant for r in ms.login.token_requests] == [HOME_TENANT]
    assert ms.login.discoveries == [HOME_TENANT]


async def test_msal_keeps_the_token_until_it_expires(ms: Microsoft) -> None:
    ms.graph.add_team(OTHER_GROUP, owners=[MEMBER], others=[OWNER])
    owners = owners_for(ms)
    assert await owners.owners(TENANT, GROUP) == {OWNER}
    assert await owners.owners(TENANT, OTHER_GROUP) == {MEMBER}  # not in our cache: Graph again
    assert len(ms.graph.calls) == 2
    assert len(ms.login.token_requests) == 1 and ms.login.discoveries == [TENANT]
    assert {c.authorization for c in ms.graph.calls} == {"Bearer graph-token-1"}


async def test_each_tenant_has_its_own_token(ms: Microsoft) -> None:
    token = app_token_source(app_settings(ms).teams)
    assert token is not None
    assert await token(TENANT) == "graph-token-1"
    assert await token(HOME_TENANT) == "graph-token-2"
    assert await token(TENANT) == "graph-token-1"
    assert [r.tenant for r in ms.login.token_requests] == [TENANT, HOME_TENANT]


async def test_a_refused_token_means_no_owner_and_a_warning_without_the_secret(
    ms: Microsoft, caplog: pytest.LogCaptureFixture
) -> None:
    ms.login.refuse = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.",
        "error_codes": [7000215],
    }
    with caplog.at_level(logging.WARNING, logger="adapters.teams.owners"):
        assert await owners_for(ms).owners(TENANT, GROUP) == frozenset()
    assert not ms.graph.calls
    [record] = caplog.records
    assert record.levelno == logging.WARNING and GROUP in record.getMessage()
    assert "invalid_client" in record.getMessage()
    assert APP_PASSWORD not in caplog.text


# --- the roster ----------------------------------------------------------------------------------


async def test_owners_are_the_members_with_the_owner_role_on_every_page(ms: Microsoft) -> None:
    ms.graph.add_team(GROUP, owners=["o1", "o2", "o3"], others=["m1", "m2"])  # and a guest: 6
    ms.graph.page_size = 2
    owners = owners_for(ms)
    assert await owners.owners(TENANT, GROUP) == {"o1", "o2", "o3"}
    assert [c.query for c in ms.graph.calls] == ["", "$skiptoken=2", "$skiptoken=4"]
    assert {c.authorization for c in ms.graph.calls} == {"Bearer graph-token-1"}
    assert len(ms.login.token_requests) == 1


async def test_answers_are_kept_for_five_minutes(ms: Microsoft) -> None:
    clock = FakeClock(START)
    owners = owners_for(ms, clock)
    assert await owners.owners(TENANT, GROUP) == {OWNER}
    ms.graph.add_team(GROUP, owners=[OWNER, MEMBER], others=[])
    clock.advance(seconds=CACHE_SECONDS - 1)
    assert await owners.owners(TENANT, GROUP) == {OWNER}
    assert len(ms.graph.calls) == 1
    clock.advance(seconds=2)
    assert await owners.owners(TENANT, GROUP) == {OWNER, MEMBER}
    assert len(ms.graph.calls) == 2
    assert CACHE_SECONDS == 300


async def test_without_consent_nobody_is_an_owner_and_a_warning_is_logged(
    ms: Microsoft, caplog: pytest.LogCaptureFixture
) -> None:
    ms.graph.status = 403
    with caplog.at_level(logging.WARNING, logger="adapters.teams.owners"):
        assert await owners_for(ms).owners(TENANT, GROUP) == frozenset()
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert GROUP in record.getMessage() and "403" in record.getMessage()


async def test_a_failure_keeps_the_last_answer_and_asks_again_a_little_later(
    ms: Microsoft, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock(START)
    owners = owners_for(ms, clock)
    assert await owners.owners(TENANT, GROUP) == {OWNER}
    clock.advance(seconds=CACHE_SECONDS + 1)
    ms.graph.status = 403
    with caplog.at_level(logging.WARNING, logger="adapters.teams.owners"):
        assert await owners.owners(TENANT, GROUP) == {OWNER}
        clock.advance(seconds=RETRY_SECONDS - 1)
        assert await owners.owners(TENANT, GROUP) == {OWNER}  # not asked: one warning, one call
        assert len(caplog.records) == 1 and len(ms.graph.calls) == 2
        clock.advance(seconds=2)
        assert await owners.owners(TENANT, GROUP) == {OWNER}  # asked again, refused again
    assert len(caplog.records) == 2 and len(ms.graph.calls) == 3
    ms.graph.status = 200
    ms.graph.add_team(GROUP, owners=[MEMBER], others=[OWNER])
    clock.advance(seconds=RETRY_SECONDS + 1)
    assert await owners.owners(TENANT, GROUP) == {MEMBER}
    assert len(ms.login.token_requests) == 1  # msal's token served every attempt


async def test_a_graph_that_does_not_answer_in_time_is_no_answer(
    ms: Microsoft, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(START)
    owners = owners_for(ms, clock)
    assert await owners.owners(TENANT, GROUP) == {OWNER}  # token and roster, before the hang
    monkeypatch.setattr("adapters.teams.owners.TIMEOUT_SECONDS", 0.2)
    ms.graph.delay = 5.0
    clock.advance(seconds=CACHE_SECONDS + 1)
    with caplog.at_level(logging.WARNING, logger="adapters.teams.owners"):
        assert await owners.owners(TENANT, GROUP) == {OWNER}  # the last answer
        assert await owners.owners(TENANT, OTHER_GROUP) == frozenset()  # none yet
    assert len(caplog.records) == 2
    assert all("TimeoutError" in r.getMessage() for r in caplog.records)


# --- through the server ----------------------------------------------------------------------------


@pytest.fixture
async def with_msal(db: Database, ms: Microsoft) -> AsyncIterator[Teams]:
    """The server as `serve` builds it with an app id and password (so its Graph token comes
    from msal and the login fake); requests are accepted unsigned, as with the Emulator."""
    settings = anonymous_settings(
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD=APP_PASSWORD,
        MICROSOFT_APP_TENANT_ID=HOME_TENANT,
        OUTPUTS_TEAMS__LOGIN_URL=ms.login_url,
        OUTPUTS_ACCESS__ADMINS="[]",
    )
    async for t in start_teams(db, settings, auth=authentication(TeamsSettings())):
        t.connector.team_groups[TEAM] = GROUP  # the team's Entra group, from the team details
        t.connector.team_owners[GROUP] = {OWNER}  # the fake connector's Graph roster
        yield t


async def test_a_team_owner_per_graph_may_change_the_charter_and_a_member_may_not(
    with_msal: Teams, ms: Microsoft
) -> None:
    await with_msal.command("purpose Owners decide", user=OWNER)
    assert "Only owners" not in with_msal.connector.texts()[-1]
    charter = await with_msal.app.repo.get_charter(GENERAL)
    assert charter is not None and charter.purpose == "Owners decide"

    await with_msal.command('type add idea "Product idea"', user=MEMBER)
    assert "Only owners" in with_msal.connector.texts()[-1]
    await with_msal.command('type add idea "Product idea"', user=OWNER)
    assert "Only owners" not in with_msal.connector.texts()[-1]

    # one token, from msal, for the app's own tenant; one roster read, carrying it
    assert [r.tenant for r in ms.login.token_requests] == [HOME_TENANT]
    graph = [c for c in with_msal.connector.calls if c.path.startswith("/graph/")]
    assert [c.path for c in graph] == [f"/graph/teams/{GROUP}/members"]
    assert graph[0].body["Authorization"] == "Bearer graph-token-1"
