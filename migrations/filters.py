"""What Alembic's models-vs-database comparison must ignore.

The search plumbing is dialect-specific and created only by the migrations: SQLite's FTS5
virtual table (and the shadow tables FTS5 makes for it), PostgreSQL's generated tsvector
column and its GIN index. The ORM never touches them, so the models do not declare them.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "deliverables_fts"
CHARTER_FTS_TABLE = "charters_fts"  # migration 0010: the directory's search
SEARCH_COLUMN = "search_vector"
SEARCH_INDEX = "ix_deliverables_search"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "table" and name is not None:
        return not name.startswith((FTS_TABLE, CHARTER_FTS_TABLE))
    if type_ == "column":
        return name != SEARCH_COLUMN
    if type_ == "index":
        return name != SEARCH_INDEX
    return True


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return include_name(name, type_, None)
