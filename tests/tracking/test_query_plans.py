"""The hot read queries keep searching their indexes (issue 12), on SQLite and PostgreSQL.

Each test runs the real service call, captures the statements it sends, and asks the
database for their plan: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (FORMAT JSON) on PostgreSQL.
On PostgreSQL the plans are taken with enable_seqscan off: on a test-sized table a
sequential scan is the planner's right choice, so the test asks whether the index can serve
the condition (an index search whose condition names the indexed columns), which is what
breaks when a query is rewritten into a form no index serves (LIKE on the path, a function
around the column, a condition moved out of the index's reach). What the planner chooses at a
million rows is measured by the benchmarks (bench/), not here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, insert, text
from sqlmodel import Session

from models import (
    AssignmentRole,
    DeadlineKind,
    ExtensionRequest,
    ExtensionStatus,
    Role,
    Task,
    TaskAssignment,
    Unit,
    UnitKind,
    User,
)
from models.db import is_postgres, table_of
from tracking import units
from tracking.access import Principal
from tracking.audit import SYSTEM
from tracking.queries import count_by_category
from tracking.status import Category
from tracking.task_queries import TaskFilter, list_tasks

AS_OF = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, tzinfo=UTC)


def _world(session: Session) -> tuple[Unit, Unit, Principal]:
    """Two provinces of 80 communes each (the planner weighs a unit's share of the tasks, so the
    tree is shaped like a real one), 3,000 tasks over two years, one in ten extended."""
    province = units.create(
        session=session, actor=SYSTEM, code="T1", name="Tỉnh 1", kind=UnitKind.PROVINCE
    )
    other = units.create(
        session=session, actor=SYSTEM, code="T2", name="Tỉnh 2", kind=UnitKind.PROVINCE
    )
    below = [
        units.create(
            session=session,
            actor=SYSTEM,
            code=f"T{p.id}-X{i}",
            name=f"Xã {i}",
            kind=UnitKind.COMMUNE,
            parent=p,
        )
        for p in (province, other)
        for i in range(80)
    ]
    admin = User(username="admin", full_name="Quản trị", unit_id=province.id or 0, role=Role.ADMIN)
    session.add(admin)
    session.flush()
    tasks: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    extensions: list[dict[str, Any]] = []
    for n in range(3000):
        lead = below[n % len(below)]
        assigned = AS_OF - timedelta(days=n % 700)
        due = assigned + timedelta(days=30)
        done = n % 10 != 0
        tasks.append(
            {
                "id": n + 1,
                "title": f"Nhiệm vụ {n}",
                "issuer_unit_id": lead.parent_id,
                "lead_unit_id": lead.id,
                "assigned_on": assigned,
                "deadline_kind": DeadlineKind.DATE.value,
                "original_due_on": due,
                "due_on": due,
                "extended_on": None,
                "state": "done" if done else "open",
                "completed_on": due if done else None,
                "completion_reported_on": due if done else None,
                "confirmed_on": due if done else None,
                "result": "",
                "note": "",
                "version": 1,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
        if n % 10 == 5:  # one task in ten extended, some of them after AS_OF
            extended_on = assigned + timedelta(days=20)
            tasks[-1].update(due_on=due + timedelta(days=30), extended_on=extended_on)
            extensions.append(
                {
                    "task_id": n + 1,
                    "requested_on": assigned,
                    "old_due_on": due,
                    "proposed_due_on": due + timedelta(days=30),
                    "reason": "Gia hạn",
                    "status": ExtensionStatus.APPROVED.value,
                    "decided_on": extended_on,
                    "approved_due_on": due + timedelta(days=30),
                    "decision_note": "",
                }
            )
        coordinator = below[(n + 1) % len(below)]
        for unit, role in ((lead, AssignmentRole.LEAD), (coordinator, AssignmentRole.COORDINATE)):
            assignments.append(
                {"task_id": n + 1, "unit_id": unit.id, "role": role.value, "assigned_on": assigned}
            )
    session.execute(insert(table_of(Task)), tasks)
    session.execute(insert(table_of(TaskAssignment)), assignments)
    session.execute(insert(table_of(ExtensionRequest)), extensions)
    session.commit()
    if is_postgres(session.get_bind()):
        # Vacuumed as the autovacuum would: index-only scans rely on the visibility map.
        with session.get_bind().connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
    else:
        session.execute(text("ANALYZE"))
        session.commit()
    principal = Principal.of(user=admin, unit=province)
    return province, below[0], principal


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def capture(*args: Any) -> None:
        _connection, _cursor, statement, parameters = args[:4]
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _index_searches(session: Session, statement: str, parameters: Any) -> set[tuple[str, str]]:
    """(index, what its search condition says) for each index the plan searches; a full
    scan of a table appears as ("SCAN", table)."""
    connection = session.connection().connection
    cursor = connection.cursor()
    if not is_postgres(session.get_bind()):
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        searches = set()
        for *_, detail in cursor.fetchall():
            words = detail.split()
            if words[0] == "SCAN" and words[1] in {"task", "unit", "taskassignment"}:
                searches.add(("SCAN", words[1]))
            if "INDEX" in words and words[0] == "SEARCH":
                searches.add((words[words.index("INDEX") + 1], detail.partition("(")[2]))
        return searches
    cursor.execute("SET LOCAL enable_seqscan = off")
    cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
    row = cursor.fetchone()
    assert row is not None
    plan: list[dict[str, Any]] = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    found: set[tuple[str, str]] = set()

    def walk(node: dict[str, Any]) -> None:
        if node["Node Type"] == "Seq Scan":
            found.add(("SCAN", node["Relation Name"]))
        if "Index Name" in node:
            found.add((node["Index Name"], node.get("Index Cond", "")))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def _searches_of(session: Session, sent: list[tuple[str, Any]], table: str) -> set[tuple[str, str]]:
    """The index searches of every statement sent that reads `table`."""
    reading = [(s, p) for s, p in sent if f"FROM {table}" in s and s.lstrip().startswith("SELECT")]
    assert reading, f"no statement read {table}"
    searches: set[tuple[str, str]] = set()
    for statement, parameters in reading:
        searches |= _index_searches(session, statement, parameters)
    return searches


def _searched(searches: set[tuple[str, str]], index: str, *columns: str) -> bool:
    return any(name == index and all(c in cond for c in columns) for name, cond in searches)


def test_a_subtree_is_one_search_of_the_path_index(session: Session, engine: Engine) -> None:
    province, _, _ = _world(session)
    with _statements(engine) as sent:
        found = units.subtree(session=session, unit=province)
    assert len(found) == 81
    searches = _searches_of(session, sent, "unit")
    assert _searched(searches, "ix_unit_path", "path", ">", "<"), searches


def test_the_subtree_list_by_deadline_searches_the_path_and_the_lead_deadline_index(
    session: Session, engine: Engine
) -> None:
    province, _, principal = _world(session)
    flt = TaskFilter(
        as_of=AS_OF,
        categories=(Category.IN_PROGRESS, Category.OVERDUE),
        unit=province,
        include_subtree=True,
        due_from=AS_OF,
        due_to=AS_OF + timedelta(days=7),
        limit=100,
    )
    with _statements(engine) as sent:
        page = list_tasks(session=session, principal=principal, flt=flt)
    assert page.total > 0
    searches = _searches_of(session, sent, "task")
    assert not {s for s in searches if s[0] == "SCAN"}, searches
    if is_postgres(session.get_bind()):
        # At this size PostgreSQL drives from the deadline alone (ix_task_due_on or the lead
        # index); either way the deadline range is an index condition.
        assert any("due_on >=" in cond for _, cond in searches), searches
        return
    assert _searched(searches, "ix_unit_path", "path")
    assert _searched(searches, "ix_task_lead_due", "lead_unit_id", "due_on")
    assert _searched(searches, "ix_task_lead_extended", "lead_unit_id", "extended_on")
    assert _searched(searches, "ix_taskassignment_unit_role", "unit_id", "role")


def test_one_units_list_searches_the_lead_deadline_index(session: Session, engine: Engine) -> None:
    _, commune, principal = _world(session)
    flt = TaskFilter(as_of=AS_OF, unit=commune, due_from=AS_OF - timedelta(days=60), limit=100)
    with _statements(engine) as sent:
        page = list_tasks(session=session, principal=principal, flt=flt)
    assert page.total > 0
    searches = _searches_of(session, sent, "task")
    assert _searched(searches, "ix_task_lead_due", "lead_unit_id", "due_on"), searches
    assert not {s for s in searches if s[0] == "SCAN"}, searches


# Both hold every column the status rule reads, led by the lead unit: either serves a count.
COVERING_LEAD_INDEXES = ("ix_task_lead_due", "ix_task_lead_confirmed")


def _led_search(searches: set[tuple[str, str]]) -> bool:
    return any(_searched(searches, index, "lead_unit_id") for index in COVERING_LEAD_INDEXES)


def test_the_counts_per_category_read_the_covering_index_of_the_subtree(
    session: Session, engine: Engine
) -> None:
    province, commune, _ = _world(session)
    with _statements(engine) as sent:
        counts = count_by_category(session=session, as_of=AS_OF, unit=province)
    assert counts.total > 0
    searches = _searches_of(session, sent, "task")
    assert _searched(searches, "ix_unit_path", "path")
    assert not {s for s in searches if s[0] == "SCAN"}, searches
    if is_postgres(session.get_bind()):
        # At this size PostgreSQL may reach a province's tasks by assigned_on; one unit's
        # counts show the lead index serves the count.
        with _statements(engine) as sent:
            count_by_category(session=session, as_of=AS_OF, unit=commune)
        searches = _searches_of(session, sent, "task")
        assert _led_search(searches), searches
        return
    assert _led_search(searches), searches
    # The count reads the index alone: every column of the status rule is in it.
    plans = " ".join(
        detail
        for statement, parameters in sent
        if "FROM task" in statement
        for *_, detail in session.connection()
        .connection.cursor()
        .execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        .fetchall()
    )
    assert any(f"COVERING INDEX {index}" in plans for index in COVERING_LEAD_INDEXES), plans


def test_open_tasks_search_the_unconfirmed_range_of_the_lead_index(
    session: Session, engine: Engine
) -> None:
    """Overdue tasks (no deadline range): the never-confirmed and the confirmed-later ranges
    of ix_task_lead_confirmed, not every task the unit ever led."""
    province, commune, principal = _world(session)
    for unit, include_subtree in ((commune, False), (province, True)):
        flt = TaskFilter(
            as_of=AS_OF - timedelta(days=200),
            categories=(Category.OVERDUE,),
            unit=unit,
            include_subtree=include_subtree,
            limit=100,
        )
        with _statements(engine) as sent:
            page = list_tasks(session=session, principal=principal, flt=flt)
        assert page.total > 0
        searches = _searches_of(session, sent, "task")
        assert not {s for s in searches if s[0] == "SCAN"}, searches
        assert _searched(searches, "ix_task_lead_confirmed", "lead_unit_id", "confirmed_on"), (
            searches
        )


def test_the_text_search_reads_its_index(session: Session, engine: Engine) -> None:
    """A province's list searched for a phrase: the task's own text by its index (trigram GIN
    on PostgreSQL, the FTS5 trigram table on SQLite), never by reading every task; the tasks
    of a matching unit or document by their indexes (here no unit or document matches)."""
    province, _, principal = _world(session)
    flt = TaskFilter(
        as_of=AS_OF, unit=province, include_subtree=True, text="NHIỆM VỤ 1300", limit=100
    )
    with _statements(engine) as sent:
        page = list_tasks(session=session, principal=principal, flt=flt)
    # Task 1300 is led by a commune of the province.
    assert [item.task.title for item in page.items] == ["Nhiệm vụ 1300"]
    searches = _searches_of(session, sent, "task")
    assert ("SCAN", "task") not in searches, searches
    if is_postgres(session.get_bind()):
        assert _searched(searches, "ix_task_search_text_trgm", "search_text", "nhiem vu 1300")
        return
    plans = " ".join(
        detail
        for statement, parameters in sent
        if "FROM task" in statement and statement.lstrip().startswith("SELECT")
        for *_, detail in session.connection()
        .connection.cursor()
        .execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        .fetchall()
    )
    assert "SCAN task_search VIRTUAL TABLE INDEX" in plans, plans
    assert _searched(searches, "ix_task_source_document_id", "source_document_id"), searches


def test_one_units_text_search_tests_its_own_tasks(session: Session, engine: Engine) -> None:
    """One unit's list searched for a phrase: its led tasks from the lead index and its
    coordinated ones by their ids, each tested for the text; the task table is never read
    whole (on PostgreSQL a semi-join against every match did that at province scale)."""
    _, commune, principal = _world(session)
    flt = TaskFilter(as_of=AS_OF, unit=commune, text="nhiem vu", limit=100)
    with _statements(engine) as sent:
        page = list_tasks(session=session, principal=principal, flt=flt)
    assert page.total > 0
    assert all("Nhiệm vụ" in item.task.title for item in page.items)
    searches = _searches_of(session, sent, "task")
    assert ("SCAN", "task") not in searches, searches
    assert any(_searched(searches, index, "lead_unit_id") for index in LEAD_INDEXES), searches


# The indexes led by the lead unit that one unit's list may start from.
LEAD_INDEXES = ("ix_task_lead_due", "ix_task_lead_confirmed", "ix_task_lead_extended")
