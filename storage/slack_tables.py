"""slack-sdk's installation, bot and OAuth-state tables, declared in our metadata.

slack-sdk's `AsyncSQLAlchemyInstallationStore` and `AsyncSQLAlchemyOAuthStateStore` read and
write these tables; they are built here with slack-sdk's own table builders so the columns
are exactly the ones the stores expect, and created by our migration `0003` (never by the
stores' `create_tables`), so Alembic's models-vs-migrations check covers them too.

The token columns are widened to Text (migration `0007`): they hold the tokens encrypted
(storage.secrets), and a Fernet token of a long rotated Slack token is longer than the
String(200) slack-sdk declares.
"""

from __future__ import annotations

import sqlalchemy as sa
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import Base

INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name
BOTS = SQLAlchemyInstallationStore.default_bots_table_name
OAUTH_STATES = SQLAlchemyOAuthStateStore.default_table_name

installations = SQLAlchemyInstallationStore.build_installations_table(Base.metadata, INSTALLATIONS)
bots = SQLAlchemyInstallationStore.build_bots_table(Base.metadata, BOTS)
oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(Base.metadata, OAUTH_STATES)

# Every column that holds a token, by table: encrypted at rest (storage.slack_tokens).
TOKEN_COLUMNS: dict[str, tuple[str, ...]] = {
    INSTALLATIONS: ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
    BOTS: ("bot_token", "bot_refresh_token"),
}
for _table in (installations, bots):
    for _name in TOKEN_COLUMNS[_table.name]:
        _table.c[_name].type = sa.Text()


async def enterprise_of(engine: AsyncEngine, client_id: str, team_id: str) -> str | None:
    """The Enterprise Grid org a workspace's newest bot installation belongs to, if any:
    slack-sdk's stores find a bot by (enterprise, team), and a poster only knows the team."""
    c = bots.c
    stmt = (
        sa.select(c.enterprise_id)
        .where(c.client_id == client_id, c.team_id == team_id)
        .order_by(c.installed_at.desc())
        .limit(1)
    )
    async with engine.connect() as conn:
        return (await conn.execute(stmt)).scalar_one_or_none()
