"""Report figures in SQL: subtree, as-of history, overdue in working days, extensions."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from reports import figures
from tests.world import seed_world
from tracking import units
from tracking.status import Category


def _scope(session: Session, code: str, as_of: date, plan_id: int | None = None) -> figures.Scope:
    unit = units.get_by_code(session=session, code=code)
    return figures.Scope(unit=unit, as_of=as_of, period_start=date(2020, 12, 15), plan_id=plan_id)


def test_counts_by_unit_section_and_issuer_as_of_the_cut_off(session: Session) -> None:
    world = seed_world(session)
    province = _scope(session, "QNG", date(2021, 12, 14), world.plan.id)
    computed = figures.compute(province, session=session)
    totals = computed.totals
    # Province subtree: the district's 5 tasks and the department's 2.
    assert totals.total == 7
    assert totals.counts[Category.DONE_ON_TIME] == 3
    # Overdue: the security task (extended to 30/11), the department's 30/9 task and its
    # 20-working-day task of 26/10; only the district's plan (due 15/12) is not due yet.
    assert totals.counts[Category.OVERDUE] == 3
    assert totals.counts[Category.IN_PROGRESS] == 1
    assert totals.completion_rate == 3 / 6

    by_unit = {row["code"]: row for row in computed.by_unit}
    assert set(by_unit) == {"QNG-STTTT", "QNG-LYSON"}
    assert by_unit["QNG-LYSON"]["completed"] == 3 and by_unit["QNG-LYSON"]["due"] == 4
    assert by_unit["QNG-STTTT"]["counts"]["overdue"] == 2

    by_issuer = computed.by_issuer
    assert [(row["short_name"], row["total"]) for row in by_issuer] == [("UBND tỉnh", 7)]
    sections = computed.by_section
    assert [row["ordinal"] for row in sections] == [1, 2, 3, 4]
    assert sum(row["total"] for row in sections) == 7


def test_overdue_in_working_days_and_extensions_with_both_deadlines(session: Session) -> None:
    seed_world(session)
    district = _scope(session, "QNG-LYSON", date(2021, 12, 14))
    tasks = figures.compute(district, session=session).tasks
    overdue = [t for t in tasks if t["category"] == Category.OVERDUE]
    assert len(overdue) == 1
    # Due 30/11/2021 (Tue); 01–03/12, 06–10/12, 13–14/12 are 10 working days.
    assert overdue[0]["due_on"] == "2021-11-30"
    assert overdue[0]["working_days_overdue"] == 10
    assert overdue[0]["original_due_on"] == "2021-11-01" and overdue[0]["extensions"] == 1

    # Before the extension was approved (28/10), the task ran on its original deadline.
    before = figures.compute(
        _scope(session, "QNG-LYSON", date(2021, 10, 27)), session=session
    ).tasks
    security = next(t for t in before if t["task_id"] == overdue[0]["task_id"])
    assert security["due_on"] == "2021-11-01" and security["extensions"] == 0


def test_history_as_of_an_earlier_date(session: Session) -> None:
    seed_world(session)
    # On 01/6/2021 only two tasks existed; one was finished (14/5) and confirmed (20/5).
    early = figures.totals(_scope(session, "QNG-LYSON", date(2021, 6, 1)), session=session)
    assert early.total == 2
    assert early.completed == 1 and early.counts[Category.IN_PROGRESS] == 1
    # A unit outside the subtree sees none of the district's tasks.
    office = figures.totals(_scope(session, "QNG-VP", date(2021, 12, 14)), session=session)
    assert office.total == 0 and office.completion_rate is None
