"""`config check --online` for Teams: does the Microsoft identity platform give the bot a token?

It is the request the Bot Framework SDK makes before the bot's first call to the Connector
(`MicrosoftAppCredentials`, with msal): client credentials for MICROSOFT_APP_ID and
MICROSOFT_APP_PASSWORD, from the tenant `teams.tenant_id` (a single-tenant app) or
`botframework.com`, for the Bot Framework's scope. It asks `teams.login_url` (by default
https://login.microsoftonline.com, the one the SDK asks), so a test can point it at a local
fake; msal's instance discovery is off, so nothing else is asked.

Every outcome is one line for the operator: which id or secret to fix, or what stood between
the bot and the login endpoint. The secret itself is never shown.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import requests

from bot.config import TeamsSettings

SCOPE = "https://api.botframework.com/.default"
CHANNEL_TENANT = "botframework.com"  # the SDK's authority for a multi-tenant app
TIMEOUT_SECONDS = 10.0

# What the AADSTS codes an operator can fix mean (learn.microsoft.com, "AADSTS error codes").
_WRONG_SECRET = {7000215: "the app password was refused", 7000222: "the app password has expired"}
_UNKNOWN_APP = {700016, 700038, 90002}  # app not in the tenant, not a GUID; tenant not found
_AADSTS = re.compile(r"\bAADSTS(\d+)\b")


class NotJson(Exception):
    """The login endpoint answered with something other than JSON (a proxy's error page)."""

    def __init__(self, status: int, content_type: str) -> None:
        super().__init__(f"HTTP {status}, {content_type or 'no content type'}")
        self.status = status


class _Http:
    """requests for msal, refusing an answer that is not JSON: msal would log it as an error
    with a traceback and raise a bare ValueError, and the operator needs to hear that
    something other than the identity platform answered."""

    def __init__(self, timeout: float) -> None:
        self.session = requests.Session()
        self.timeout = timeout

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self._json(self.session.get(url, **kwargs))

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self._json(self.session.post(url, **kwargs))

    def close(self) -> None:
        self.session.close()

    @staticmethod
    def _json(resp: requests.Response) -> requests.Response:
        try:
            json.loads(resp.text)
        except ValueError:
            raise NotJson(resp.status_code, resp.headers.get("Content-Type", "")) from None
        return resp


def check_token(settings: TeamsSettings, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """(accepted, what to tell the operator). Blocking: run it in a thread."""
    import msal  # a botframework-connector dependency, as for the SDK's own credentials

    login_url = settings.login_url.rstrip("/")
    host = urlsplit(login_url).hostname or login_url
    tenant = settings.tenant_id or CHANNEL_TENANT
    password = settings.app_password.get_secret_value() if settings.app_password else ""
    http = _Http(timeout)
    try:
        app = msal.ConfidentialClientApplication(
            settings.app_id,
            client_credential=password,
            authority=f"{login_url}/{tenant}",
            instance_discovery=False,
            http_client=http,
        )
        result = app.acquire_token_for_client(scopes=[SCOPE])
    except NotJson as exc:
        return False, f"{host} did not answer as the Microsoft identity platform does ({exc})"
    except (requests.ConnectionError, requests.Timeout) as exc:
        return False, f"could not reach {host} ({type(exc).__name__})"
    except requests.HTTPError as exc:
        status = getattr(exc.response, "status_code", "?")
        return False, f"{host} answered HTTP {status}: try again later"
    except ValueError as exc:  # msal: the tenant's configuration could not be read
        return False, _discovery_refused(exc, tenant, host)
    finally:
        http.close()
    if isinstance(result, dict) and result.get("access_token"):
        return True, f"the Microsoft identity platform issued a token for app {settings.app_id} ({tenant})"
    return False, _refused(result if isinstance(result, dict) else {}, settings, tenant)


def _codes(result: dict[str, Any]) -> tuple[list[int], str]:
    """The AADSTS codes of an OAuth error answer, and the label to show for it."""
    codes = [c for c in result.get("error_codes") or [] if isinstance(c, int)]
    if not codes:
        codes = [int(c) for c in _AADSTS.findall(str(result.get("error_description") or ""))[:1]]
    return codes, f"AADSTS{codes[0]}" if codes else str(result.get("error") or "no answer")


def _refused(result: dict[str, Any], settings: TeamsSettings, tenant: str) -> str:
    codes, code = _codes(result)
    for c in codes:
        if c in _WRONG_SECRET:
            return f"{_WRONG_SECRET[c]} ({code}): set MICROSOFT_APP_PASSWORD to a current client secret"
        if c in _UNKNOWN_APP:
            return (
                f"app id {settings.app_id} is not known in tenant {tenant} ({code}): check "
                "MICROSOFT_APP_ID (and MICROSOFT_APP_TENANT_ID for a single-tenant app)"
            )
    return f"Microsoft refused the token request ({code})"


def _discovery_refused(exc: ValueError, tenant: str, host: str) -> str:
    """msal reads the tenant's OpenID configuration first; a 4xx there (its JSON kept in the
    chained error) is most often a tenant that does not exist."""
    chain = " ".join(str(e) for e in (exc, exc.__context__, exc.__cause__) if e is not None)
    if "AADSTS90002" in chain or "HTTP status: 400" in chain:
        return f"tenant {tenant} is not known to {host}: check MICROSOFT_APP_TENANT_ID"
    return f"{host} did not give the configuration of tenant {tenant}"
