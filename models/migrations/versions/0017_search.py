"""search that ignores diacritics and case: folded columns, backfilled, and their indexes

Revision ID: 0017_search
Revises: 0016_catch_up_indexes

Task.search_text (title and note), Unit.search_name (name and short name) and
Document.search_text (symbol) hold their text folded by models.search.fold, computed here in
Python for the existing rows. PostgreSQL: trigram GIN indexes (pg_trgm) on the three; the
extension is created here, which needs a role allowed to create it (docs/postgres-roles.sql).
SQLite: an FTS5 table with the trigram tokenizer over task.search_text (external content,
kept by triggers); units and documents are few and read whole. Tasks are found by document
through a new index on task.source_document_id.
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from models.search import (
    TASK_FTS_TABLE,
    document_search_text,
    task_search_text,
    unit_search_name,
)

revision: str = "0017_search"
down_revision: str | None = "0016_catch_up_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000

TRIGRAM_INDEXES = {
    "ix_task_search_text_trgm": ("task", "search_text"),
    "ix_unit_search_name_trgm": ("unit", "search_name"),
    "ix_document_search_text_trgm": ("document", "search_text"),
}

# External content: the FTS table stores only its index and reads the text from task.
SQLITE_FTS = [
    f"CREATE VIRTUAL TABLE {TASK_FTS_TABLE} USING fts5(search_text, content='task', "
    "content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER {TASK_FTS_TABLE}_insert AFTER INSERT ON task BEGIN "
    f"INSERT INTO {TASK_FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {TASK_FTS_TABLE}_delete AFTER DELETE ON task BEGIN "
    f"INSERT INTO {TASK_FTS_TABLE}({TASK_FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {TASK_FTS_TABLE}_update AFTER UPDATE OF search_text ON task BEGIN "
    f"INSERT INTO {TASK_FTS_TABLE}({TASK_FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {TASK_FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"INSERT INTO {TASK_FTS_TABLE}({TASK_FTS_TABLE}) VALUES ('rebuild')",
]


def _backfill(table: str, column: str, sources: Sequence[str], folder: Callable[..., str]) -> None:
    """Fold the existing rows' text, a batch of ids at a time."""
    connection = op.get_bind()
    rows_table = sa.table(table, sa.column("id"), sa.column(column), *map(sa.column, sources))
    update = (
        sa.update(rows_table)
        .where(rows_table.c.id == sa.bindparam("row_id"))
        .values({column: sa.bindparam("folded")})
    )
    last = 0
    while True:
        rows = connection.execute(
            sa.select(rows_table.c.id, *(rows_table.c[name] for name in sources))
            .where(rows_table.c.id > last)
            .order_by(rows_table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update,
            [
                {"row_id": row[0], "folded": folder(**dict(zip(sources, row[1:], strict=True)))}
                for row in rows
            ],
        )
        last = rows[-1][0]


def upgrade() -> None:
    op.add_column("task", sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.add_column(
        "unit", sa.Column("search_name", sa.String(400), nullable=False, server_default="")
    )
    op.add_column(
        "document", sa.Column("search_text", sa.String(80), nullable=False, server_default="")
    )
    op.create_index("ix_task_source_document_id", "task", ["source_document_id"])
    _backfill("task", "search_text", ("title", "note"), task_search_text)
    _backfill("unit", "search_name", ("name", "short_name"), unit_search_name)
    _backfill("document", "search_text", ("symbol",), document_search_text)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, (table, column) in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")
    else:
        for statement in SQLITE_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX {name}")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {TASK_FTS_TABLE}_{trigger}")
        op.execute(f"DROP TABLE {TASK_FTS_TABLE}")
    op.drop_index("ix_task_source_document_id", table_name="task")
    # ALTER TABLE … DROP COLUMN on both (SQLite since 3.35): a batch copy of the table would
    # drop tables other rows refer to.
    op.drop_column("document", "search_text")
    op.drop_column("unit", "search_name")
    op.drop_column("task", "search_text")
