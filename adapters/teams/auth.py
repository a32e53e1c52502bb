"""Bot Framework authentication from our settings (`[teams]`, `MICROSOFT_APP_*`).

With an app id every request must carry a token the Bot Framework signed for it; without
one, requests are accepted anonymously, which `serve` allows only when
`teams.allow_unauthenticated` is set, and then warns about.
"""

from __future__ import annotations

from dataclasses import dataclass

from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication

from bot.config import TeamsSettings


@dataclass(frozen=True)
class _Configuration:
    """The attribute names ConfigurationBotFrameworkAuthentication reads."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str


def authenticated(settings: TeamsSettings) -> bool:
    return bool(settings.app_id)


def authentication(settings: TeamsSettings) -> ConfigurationBotFrameworkAuthentication:
    password = settings.app_password.get_secret_value() if settings.app_password else ""
    return ConfigurationBotFrameworkAuthentication(
        _Configuration(
            APP_ID=settings.app_id,
            APP_PASSWORD=password,
            APP_TYPE=settings.app_type,
            APP_TENANTID=settings.tenant_id,
        )
    )
