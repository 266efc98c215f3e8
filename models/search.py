"""Search text that ignores diacritics and case: one folding rule for stored text and queries.

A task's own words (title and note) are folded into Task.search_text, a unit's names into
Unit.search_name, a document's number and symbol into Document.search_text: by the mapper
listeners below on every ORM insert and update, by the columns' defaults on a Core insert
that leaves them out, and by the same functions where rows are written through the driver
(the benchmark world). Unit and document names stay in their own rows: a renamed unit
rewrites one row, not the tasks it leads (tracking.search matches them by id).

Indexes (migration 0017_search): on PostgreSQL trigram GIN indexes (pg_trgm) on the three
folded columns, searched by LIKE; on SQLite the FTS5 table `task_search` with the trigram
tokenizer over Task.search_text, kept by triggers. Neither is declared on the models (an
operator class and a virtual table); SEARCH_SCHEMA_NAMES lets schema comparisons skip them.
"""

from __future__ import annotations

import unicodedata
from typing import Any

# The FTS5 table and its shadow tables (SQLite), and the trigram indexes (PostgreSQL).
TASK_FTS_TABLE = "task_search"
SEARCH_SCHEMA_NAMES = frozenset(
    {
        TASK_FTS_TABLE,
        *(f"{TASK_FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config")),
        "ix_task_search_text_trgm",
        "ix_unit_search_name_trgm",
        "ix_document_search_text_trgm",
    }
)
# The folded columns, derived from their rows' text (left out of audit snapshots).
SEARCH_COLUMNS = ("search_text", "search_name")


def outside_the_models(name: str | None, _type: str, _parents: object) -> bool:
    """Alembic's include_name: whether a schema object is compared with the models (the
    search index objects are not declared on them)."""
    return name not in SEARCH_SCHEMA_NAMES


def fold(text: str) -> str:
    """Lower case without diacritics, đ as d, runs of white space as one space:
    "Đặc khu  Lý Sơn" → "dac khu ly son"."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    bare = bare.replace("đ", "d").replace("Đ", "d")
    return " ".join(bare.lower().split())


def _joined(*parts: str) -> str:
    # One line per field: a phrase never runs from the end of one field into the next.
    return "\n".join(folded for folded in (fold(part) for part in parts) if folded)


def task_search_text(*, title: str, note: str) -> str:
    return _joined(title, note)


def unit_search_name(*, name: str, short_name: str) -> str:
    return _joined(name, short_name)


def document_search_text(*, symbol: str) -> str:
    return _joined(symbol)


def fill_task(_mapper: Any, _connection: Any, task: Any) -> None:
    task.search_text = task_search_text(title=task.title, note=task.note or "")


def fill_unit(_mapper: Any, _connection: Any, unit: Any) -> None:
    unit.search_name = unit_search_name(name=unit.name, short_name=unit.short_name or "")


def fill_document(_mapper: Any, _connection: Any, document: Any) -> None:
    document.search_text = document_search_text(symbol=document.symbol)


def _row(context: Any) -> dict[str, Any]:
    parameters: dict[str, Any] = context.get_current_parameters()
    return parameters


def task_default(context: Any) -> str:
    row = _row(context)
    return task_search_text(title=row.get("title") or "", note=row.get("note") or "")


def unit_default(context: Any) -> str:
    row = _row(context)
    return unit_search_name(name=row.get("name") or "", short_name=row.get("short_name") or "")


def document_default(context: Any) -> str:
    return document_search_text(symbol=_row(context).get("symbol") or "")
