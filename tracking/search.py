"""The task list's text filter: words matched without diacritics or case (models.search.fold).

A query matches a task when its folded text is part of one of:
- the task's title or note (Task.search_text);
- the name or short name of its lead unit or of a coordinating unit (Unit.search_name);
- the symbol of its source document or of its plan's document (Document.search_text).
Units and documents are matched in their own rows and their tasks found by id, so a renamed
unit is found under its new name at once without rewriting its tasks.

The task's own text is searched through an index: on PostgreSQL a trigram GIN index, by LIKE;
on SQLite the FTS5 trigram table, by a phrase query. Both need three characters (a trigram),
so a shorter query is refused (`search.too_short`) rather than read the whole table.
"""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, or_, select, union
from sqlmodel import col

from models import AssignmentRole, Document, Plan, Task, TaskAssignment, Unit
from models.search import TASK_FTS_TABLE, fold
from tracking.errors import InvalidInput

MIN_LENGTH = 3
TOO_SHORT = "search.too_short"

_task_fts = sa.table(TASK_FTS_TABLE, sa.column("rowid"), sa.column(TASK_FTS_TABLE))


def folded_query(text: str | None, *, field: str = "q") -> str | None:
    """The query folded; None when it holds no word (no filter). InvalidInput when shorter
    than MIN_LENGTH characters once folded."""
    folded = fold(text or "")
    if not folded:
        return None
    if len(folded) < MIN_LENGTH:
        raise InvalidInput(
            TOO_SHORT,
            f"Từ khóa tìm kiếm cần ít nhất {MIN_LENGTH} ký tự",
            field=field,
        )
    return folded


def _contains(column: Any, folded: str) -> ColumnElement[bool]:
    """column LIKE '%folded%' with the query's own % _ \\ taken literally (the stored text is
    folded, so LIKE's case rules do not matter)."""
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return cast(ColumnElement[bool], column.like(f"%{escaped}%", escape="\\"))


def _own_text(folded: str, *, postgres: bool) -> Select[Any]:
    """The ids of the tasks whose title or note contains the query, from the index."""
    if postgres:
        return select(col(Task.id)).where(_contains(col(Task.search_text), folded))
    # An FTS5 phrase: the trigram tokenizer matches it as a substring; inside it every
    # character is literal except the quote, doubled.
    phrase = '"' + folded.replace('"', '""') + '"'
    return select(_task_fts.c.rowid).where(_task_fts.c[TASK_FTS_TABLE].match(phrase))


def matching_units(folded: str) -> Select[Any]:
    return select(col(Unit.id)).where(_contains(col(Unit.search_name), folded))


def matching_documents(folded: str) -> Select[Any]:
    return select(col(Document.id)).where(_contains(col(Document.search_text), folded))


def task_text_condition(folded: str, *, postgres: bool, row_test: bool) -> ColumnElement[bool]:
    """Whether a task matches the folded query (see the module's docstring).

    By default the task ids found from the indexes (every task whose text matches, the tasks
    of every matching unit or document), the other filters applied to those. With `row_test`,
    for a caller whose other filters leave an index range of a few hundred tasks (one unit's),
    each of those is tested instead: its folded text by LIKE, units and documents matched once.
    """
    units = matching_units(folded)
    documents = matching_documents(folded)
    coordinated = select(col(TaskAssignment.task_id)).where(
        col(TaskAssignment.unit_id).in_(units),
        col(TaskAssignment.role) == AssignmentRole.COORDINATE.value,
    )
    in_plans = select(col(Plan.id)).where(col(Plan.document_id).in_(documents))
    if row_test:
        return or_(
            _contains(col(Task.search_text), folded),
            col(Task.lead_unit_id).in_(units),
            col(Task.id).in_(coordinated),
            col(Task.source_document_id).in_(documents),
            col(Task.plan_id).in_(in_plans),
        )
    ids = union(
        _own_text(folded, postgres=postgres),
        select(col(Task.id)).where(col(Task.lead_unit_id).in_(units)),
        coordinated,
        select(col(Task.id)).where(col(Task.source_document_id).in_(documents)),
        select(col(Task.id)).where(col(Task.plan_id).in_(in_plans)),
    )
    return col(Task.id).in_(ids)
