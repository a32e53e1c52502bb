"""`config check --online` for Slack: does Slack accept the bot token (`auth.test`)?"""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.directory import api_error

TIMEOUT_SECONDS = 10


async def check_token(token: str, api_base_url: str) -> tuple[bool, str]:
    """(accepted, what Slack said): the workspace and bot user, or the error code."""
    client = AsyncWebClient(token=token, base_url=api_base_url, timeout=TIMEOUT_SECONDS)
    try:
        resp = await client.auth_test()
    except Exception as exc:  # the reason is what the operator needs, not a traceback
        return False, api_error(exc)
    return (
        True,
        f"workspace {resp.get('team') or '?'} ({resp.get('team_id')}), bot user {resp.get('user_id')}",
    )
