"""Which database failures may pass: the server unreachable or restarting, a connection
dropped, the SQLite file locked by another process, the pool exhausted for a while."""

from __future__ import annotations

import sqlalchemy.exc as sa_exc

from bot.inbox import DATABASE_AWAY


def classify(exc: BaseException) -> str | None:
    """A short reason when `exc` is a database fault that may pass, else None."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return DATABASE_AWAY
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError | sa_exc.TimeoutError):
        return DATABASE_AWAY
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | PermissionError):
        return DATABASE_AWAY
    return None
