"""Full-text search over charters: the directory's `channels <words>` and the dashboard's.

What is searched is what a person looking for a space reads: the purpose, and each output
type's key, label and description (not emoji, field names or targets: "week" would match
every charter with a weekly target). SQLite keeps it in the FTS5 table `charters_fts`
(rowid = charters.id), filled by triggers from the charter's JSON; PostgreSQL in a
generated `search_vector` column. Neither is in the models (see migrations/filters.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS = ("charters_fts_ai", "charters_fts_ad", "charters_fts_au")
# One document per charter: its purpose, then "key label description" for each type.
_TYPES_TEXT = (
    "(SELECT group_concat(coalesce(json_extract(t.value, '$.key'), '') || ' ' || "
    "coalesce(json_extract(t.value, '$.label'), '') || ' ' || "
    "coalesce(json_extract(t.value, '$.description'), ''), ' ') "
    "FROM json_each({row}.data, '$.types') AS t)"
)
_ROW = "{row}.id, coalesce(json_extract({row}.data, '$.purpose'), ''), " + _TYPES_TEXT


def _vector_of(path: str, weight: str) -> str:
    # jsonb_path_query_array and the json -> jsonb cast are immutable, as a generated column needs
    return (
        f"setweight(jsonb_to_tsvector('simple'::regconfig, "
        f"jsonb_path_query_array(data::jsonb, '{path}'), '[\"string\"]'), '{weight}')"
    )


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        vector = " || ".join(
            [
                "setweight(to_tsvector('simple'::regconfig, coalesce(data->>'purpose', '')), 'A')",
                _vector_of("$.types[*].label", "A"),
                _vector_of("$.types[*].key", "B"),
                _vector_of("$.types[*].description", "B"),
            ]
        )
        op.execute(
            f"ALTER TABLE charters ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE charters_fts USING fts5(purpose, types, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    insert = "INSERT INTO charters_fts (rowid, purpose, types) VALUES ({})"
    new = _ROW.format(row="new")
    op.execute(f"CREATE TRIGGER charters_fts_ai AFTER INSERT ON charters BEGIN {insert.format(new)}; END")
    op.execute("CREATE TRIGGER charters_fts_ad AFTER DELETE ON charters BEGIN "
               "DELETE FROM charters_fts WHERE rowid = old.id; END")  # fmt: skip
    op.execute(
        "CREATE TRIGGER charters_fts_au AFTER UPDATE OF data ON charters BEGIN "
        f"DELETE FROM charters_fts WHERE rowid = old.id; {insert.format(new)}; END"
    )
    op.execute(
        "INSERT INTO charters_fts (rowid, purpose, types) SELECT "
        + _ROW.format(row="charters")
        + " FROM charters"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE charters DROP COLUMN search_vector")
        return
    for trigger in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS charters_fts")
