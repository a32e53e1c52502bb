"""What every part of the repository shares: the database and upsert-capable inserts."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from storage.database import Database


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(self, model: Any) -> Any:
        """INSERT with ON CONFLICT support; both dialects spell it the same way."""
        if self.db.dialect == "postgresql":
            return postgresql.insert(model)
        return sqlite.insert(model)
