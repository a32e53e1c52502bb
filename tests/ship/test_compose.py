"""docker-compose.yml hands the bot every secret a mode needs, from `.env`, and says which.

(No YAML parser is a dependency, and none is needed: the `x-bot` environment is one
`NAME: ${NAME:-}` line per variable.)
"""

from __future__ import annotations

import re
from pathlib import Path

COMPOSE = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
# One workspace (bot token), several (OAuth: client id and secret, and the key that encrypts
# the stored tokens), Teams.
SECRETS = (
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "OUTPUTS_SECRET_KEY",
    "MICROSOFT_APP_ID",
    "MICROSOFT_APP_PASSWORD",
)


def test_the_bot_gets_every_secret_from_env_and_none_is_required() -> None:
    passed = dict(re.findall(r"^    ([A-Z_]+): (\$\{[^}]*\})", COMPOSE, re.MULTILINE))
    for name in SECRETS:
        # optional: each mode needs only some, and `serve` says which ones are missing
        assert passed.get(name) == f"${{{name}:-}}", name


def test_the_header_lists_them_and_how_to_make_a_key() -> None:
    header = COMPOSE.split("\nname:", 1)[0]
    for name in SECRETS:
        assert f"#   {name}=" in header, name
    assert "outputs-bot secret new" in header
