"""The manifest declares everything the adapter listens to and every scope its calls need."""

from __future__ import annotations

import json
from pathlib import Path

import adapters.slack
from adapters.slack import blocks
from adapters.slack.server import NEEDED_SCOPES
from bot.config import SLACK_SCOPES, SlackSettings

MANIFEST = json.loads((Path(adapters.slack.__file__).parent / "manifest.json").read_text())


def test_command_shortcut_and_urls() -> None:
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == SlackSettings().command
    [shortcut] = MANIFEST["features"]["shortcuts"]
    assert shortcut["type"] == "message" and shortcut["callback_id"] == blocks.RECORD_SHORTCUT
    settings = MANIFEST["settings"]
    urls = {
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert {u.rsplit("/", 2)[-2:] == ["slack", "events"] for u in urls} == {True}
    assert MANIFEST["oauth_config"]["redirect_urls"][0].endswith(SlackSettings().redirect_uri_path)
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"]


def test_scopes_cover_the_configured_and_needed_ones() -> None:
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == set(SLACK_SCOPES) | set(NEEDED_SCOPES)


def test_events_are_those_the_adapter_handles() -> None:
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "app_uninstalled",
        "member_joined_channel",
        "message.channels",
        "message.groups",
        "reaction_added",
        "reaction_removed",
        "tokens_revoked",
    }
