"""Issue 9, items 3 and 4: two busy clerks (here eight) must never lose an update or share an
official number. Every race runs on SQLite and PostgreSQL with real threads, each with its own
session and connection, released together by a barrier, 20 rounds."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any, TypeVar

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from models import (
    AuditEvent,
    ExtensionRequest,
    Obligation,
    Report,
    ReportState,
    Role,
    Task,
    TaskState,
)
from models.db import session_scope
from models.migrate import alembic_config
from models.reports import ReportNumberCounter
from reports import demo as report_demo
from reports import service as report_service
from reports.content import REQUIRED_TO_ISSUE
from tests.api.conftest import World, module_db_url, world  # noqa: F401  (fixtures)
from tests.servers import running_uvicorn
from tests.world import ACTOR, make_task, make_world
from tests.world import World as SmallWorld
from tracking import clock, obligations
from tracking import tasks as tasks_service
from tracking.errors import Conflict

CONTENDERS = 8
ROUNDS = 20

T = TypeVar("T")
M = TypeVar("M")


def race(contender: Callable[[int], T], n: int = CONTENDERS) -> list[T | Exception]:
    """Run `contender(0..n-1)` in n threads released at once; each outcome or its error."""
    barrier = threading.Barrier(n)

    def run(index: int) -> T | Exception:
        barrier.wait()
        try:
            return contender(index)
        except Exception as error:  # the outcome under test, asserted by the caller
            return error

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def winners_and_conflicts(
    outcomes: list[T | Exception], code: str, *, also: tuple[str, str] | None = None
) -> tuple[list[T], list[Conflict]]:
    """Exactly one winner; every other contender refused with `code` on field version (or
    `also`, a (code, field) refusal of a rule that saw the winner's committed change)."""
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    unexpected = [o for o in outcomes if isinstance(o, Exception) and o not in conflicts]
    assert unexpected == []
    assert len(winners) == 1, outcomes
    assert len(conflicts) == len(outcomes) - 1
    allowed = {(code, "version"), *([also] if also else [])}
    assert {(c.code, c.field) for c in conflicts} <= allowed
    assert all("tải lại" in c.message for c in conflicts if c.code == code)
    return winners, conflicts


def count(engine: Engine, model: type[Any], *where: Any) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def audit_count(engine: Engine, action: str, entity_id: int) -> int:
    return count(engine, AuditEvent, AuditEvent.action == action, AuditEvent.entity_id == entity_id)


def load(engine: Engine, model: type[M], row_id: int) -> M:
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(model, row_id)
        assert row is not None
        return row


# --- tasks --------------------------------------------------------------------------------


def test_same_version_task_edits_exactly_one_wins(engine: Engine) -> None:
    with Session(engine) as session:
        task_id = make_task(session, make_world(session)).id or 0
    for round_number in range(ROUNDS):
        seen = load(engine, Task, task_id).version
        events_before = count(engine, AuditEvent)

        def edit(index: int, round_number: int = round_number, seen: int = seen) -> str:
            with session_scope(engine) as session:
                title = f"Nội dung vòng {round_number} của cán bộ {index}"
                tasks_service.update(
                    session=session,
                    actor=ACTOR,
                    task_id=task_id,
                    expected_version=seen,
                    title=title,
                )
                return title

        (title,), _ = winners_and_conflicts(race(edit), "task.stale_version")
        task = load(engine, Task, task_id)
        assert (task.version, task.title) == (seen + 1, title)
        assert count(engine, AuditEvent) == events_before + 1


def test_parallel_completion_reports_make_one_audit_event(engine: Engine) -> None:
    with Session(engine) as session:
        world = make_world(session)
        task_ids = [make_task(session, world).id or 0 for _ in range(ROUNDS)]
    for task_id in task_ids:

        def report(index: int, task_id: int = task_id) -> int:
            with session_scope(engine) as session:
                tasks_service.report_completion(
                    session=session,
                    actor=ACTOR,
                    task_id=task_id,
                    expected_version=1,
                    completed_on=date(2021, 5, index + 1),
                    result=f"Hoàn thành theo báo cáo của cán bộ {index}",
                )
                return index

        (winner,), _ = winners_and_conflicts(race(report), "task.stale_version")
        task = load(engine, Task, task_id)
        assert (task.state, task.version) == (TaskState.SUBMITTED, 2)
        assert task.completed_on == date(2021, 5, winner + 1)
        assert task.result == f"Hoàn thành theo báo cáo của cán bộ {winner}"
        assert audit_count(engine, "task.report_completion", task_id) == 1


def test_parallel_extension_requests_leave_one_pending(engine: Engine) -> None:
    with Session(engine) as session:
        world = make_world(session)
        task_ids = [make_task(session, world).id or 0 for _ in range(ROUNDS)]
    for task_id in task_ids:

        def request(index: int, task_id: int = task_id) -> int:
            with session_scope(engine) as session:
                tasks_service.request_extension(
                    session=session,
                    actor=ACTOR,
                    task_id=task_id,
                    expected_version=1,
                    proposed_due_on=date(2021, 7, index + 1),
                    reason=f"Chờ số liệu của cán bộ {index}",
                    requested_on=date(2021, 6, 1),
                )
                return index

        # On PostgreSQL a clerk whose task read came before the winner's commit may read the
        # winner's request afterwards: refused as already pending, equally without writing.
        (winner,), _ = winners_and_conflicts(
            race(request),
            "task.stale_version",
            also=("extension.already_pending", "task_id"),
        )
        pending = ExtensionRequest.task_id == task_id
        assert count(engine, ExtensionRequest, pending) == 1
        with Session(engine) as session:
            stored = session.execute(select(ExtensionRequest).where(pending)).scalar_one()
        assert stored.proposed_due_on == date(2021, 7, winner + 1)
        assert load(engine, Task, task_id).version == 2


def test_a_stale_read_is_refused_by_the_conditional_update(engine: Engine) -> None:
    """The Python check passes on a copy read before another clerk's commit; the write itself
    (UPDATE … WHERE version = :seen) refuses it, and nothing of it is stored."""
    with Session(engine) as session:
        task_id = make_task(session, make_world(session)).id or 0
    with Session(engine, expire_on_commit=False) as slow:
        stale = slow.get(Task, task_id)
        assert stale is not None and stale.version == 1
        with session_scope(engine) as fast:
            tasks_service.update(
                session=fast, actor=ACTOR, task_id=task_id, expected_version=1, title="Nhanh"
            )
        events_before = count(engine, AuditEvent)
        with pytest.raises(Conflict) as refused:
            tasks_service.update(
                session=slow, actor=ACTOR, task_id=task_id, expected_version=1, title="Chậm"
            )
        slow.rollback()
    assert (refused.value.code, refused.value.field) == ("task.stale_version", "version")
    assert "phiên bản hiện tại 2, bạn gửi 1" in refused.value.message
    task = load(engine, Task, task_id)
    assert (task.version, task.title) == (2, "Nhanh")
    assert count(engine, AuditEvent) == events_before


# --- confirm racing return, through a real HTTP server ------------------------------------


@pytest.fixture(scope="module")
def server_url(world: World) -> Iterator[str]:  # noqa: F811  (the imported fixture)
    """The app behind a real uvicorn on an ephemeral local port, requests in its threadpool."""
    with running_uvicorn(world.client.app) as port:
        yield f"http://127.0.0.1:{port}/api/v1"


def test_confirm_racing_return_leaves_a_consistent_task(
    world: World,  # noqa: F811  (the imported fixture)
    server_url: str,
) -> None:
    lead = world.headers("lead", Role.OFFICER)
    issuer = world.headers("issuer", Role.LEADER)
    yesterday = (clock.today() - timedelta(days=1)).isoformat()
    with httpx.Client(base_url=server_url, timeout=60) as setup:
        for _ in range(ROUNDS):
            task_id = world.new_task()
            reported = setup.post(
                f"/tasks/{task_id}/completion",
                json={"version": 1, "completed_on": yesterday, "result": "Đã rà soát"},
                headers=lead,
            )
            assert reported.status_code == 200, reported.text
            events_before = world.audit_count()

            def decide(index: int, task_id: int = task_id) -> httpx.Response:
                # Each clerk has their own connection (client) to the server.
                with httpx.Client(base_url=server_url, timeout=60) as client:
                    if index % 2:
                        return client.post(
                            f"/tasks/{task_id}/completion/confirm",
                            json={"version": 2},
                            headers=issuer,
                        )
                    return client.post(
                        f"/tasks/{task_id}/completion/return",
                        json={"version": 2, "reason": "Chưa đủ hồ sơ"},
                        headers=issuer,
                    )

            outcomes = race(decide)
            responses = [o for o in outcomes if isinstance(o, httpx.Response)]
            assert len(responses) == CONTENDERS
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200] + [409] * (CONTENDERS - 1), [r.text for r in responses]
            assert {r.json()["detail"][0]["code"] for r in responses if r.status_code == 409} == {
                "task.stale_version"
            }
            assert world.audit_count() == events_before + 1

            shown = setup.get(f"/tasks/{task_id}", headers=issuer)
            assert shown.status_code == 200, shown.text
            task = shown.json()
            assert task["version"] == 3
            if task["state"] == "done":
                assert task["confirmed_on"] and task["completed_on"]
            else:
                assert task["state"] == "open"
                assert task["confirmed_on"] is None and task["completed_on"] is None


# --- reports ------------------------------------------------------------------------------


# What issuing requires (the three texts and the signer), from the seed's texts: the others
# quote the plan's indicators, and these drafts report on no plan.
READY_TEXTS = {key: report_demo.TEXTS[key] for key in (*REQUIRED_TO_ISSUE, "signature")}


def _drafts(engine: Engine, how_many: int) -> list[int]:
    """Drafts of one district's yearly report, texts complete, ready to issue (a small world:
    the snapshot each draft and issue computes stays cheap)."""
    with Session(engine) as session:
        district = make_world(session).district
        ids = [
            report_service.create_draft(
                session=session,
                actor=ACTOR,
                kind=report_demo.REPORT_KIND,
                period_code=report_demo.REPORT_PERIOD,
                unit_id=district.id or 0,
                as_of=report_demo.AS_OF,
                issuer_code="UBND",
                texts=READY_TEXTS,
            ).id
            or 0
            for _ in range(how_many)
        ]
        session.commit()
    return ids


def test_parallel_issuing_gives_distinct_numbers_without_gaps(engine: Engine) -> None:
    drafts = _drafts(engine, CONTENDERS * ROUNDS)
    year = clock.today().year
    for start in range(0, len(drafts), CONTENDERS):
        batch = drafts[start : start + CONTENDERS]

        def issue(index: int, batch: list[int] = batch) -> int:
            with session_scope(engine) as session:
                report = report_service.issue(
                    session=session, actor=ACTOR, report_id=batch[index], expected_version=1
                )
                return report.number or 0

        outcomes = race(issue)
        assert all(isinstance(o, int) for o in outcomes), outcomes
    with Session(engine) as session:
        issued = session.execute(select(Report).where(col(Report.id).in_(drafts))).scalars().all()
        numbers = sorted(r.number or 0 for r in issued)
        unit_id = issued[0].unit_id
        counter = session.get(ReportNumberCounter, (unit_id, year))
    assert {r.state for r in issued} == {ReportState.ISSUED}
    assert numbers == list(range(1, len(drafts) + 1))
    assert counter is not None and counter.last_number == len(drafts)


def test_same_version_report_changes_exactly_one_wins(engine: Engine) -> None:
    (report_id,) = _drafts(engine, 1)
    for round_number in range(ROUNDS):
        before = load(engine, Report, report_id)
        events_before = count(engine, AuditEvent)

        def edit(
            index: int,
            round_number: int = round_number,
            seen: int = before.version,
            kept: str = before.texts["orientation"],
        ) -> str:
            with session_scope(engine) as session:
                orientation = f"Định hướng vòng {round_number} của cán bộ {index}"
                if index == 0:  # a regenerate racing the edits, with the same version
                    report_service.regenerate(
                        session=session, actor=ACTOR, report_id=report_id, expected_version=seen
                    )
                    return kept
                report_service.edit_texts(
                    session=session,
                    actor=ACTOR,
                    report_id=report_id,
                    expected_version=seen,
                    changes={"orientation": orientation},
                )
                return orientation

        (orientation,), _ = winners_and_conflicts(race(edit), "report.version_conflict")
        report = load(engine, Report, report_id)
        assert report.version == before.version + 1
        assert report.texts["orientation"] == orientation
        assert count(engine, AuditEvent) == events_before + 1


def test_issuing_one_draft_twice_at_once_takes_one_number(engine: Engine) -> None:
    drafts = _drafts(engine, ROUNDS)
    for report_id in drafts:

        def issue(index: int, report_id: int = report_id) -> int:
            with session_scope(engine) as session:
                report = report_service.issue(
                    session=session, actor=ACTOR, report_id=report_id, expected_version=1
                )
                return report.number or 0

        winners_and_conflicts(race(issue), "report.version_conflict")
    with Session(engine) as session:
        numbers = sorted(
            session.execute(select(col(Report.number)).where(col(Report.id).in_(drafts))).scalars()
        )
    assert numbers == list(range(1, ROUNDS + 1))  # a lost race burns no number


def test_the_database_refuses_a_second_report_with_an_issued_number(engine: Engine) -> None:
    """Even a path that bypasses the counter cannot give one number twice."""
    first, second = _drafts(engine, 2)
    with session_scope(engine) as session:
        issued = report_service.issue(
            session=session, actor=ACTOR, report_id=first, expected_version=1
        )
    with pytest.raises(sa.exc.IntegrityError), session_scope(engine) as session:
        session.execute(
            sa.update(Report)
            .where(col(Report.id) == second)
            .values(number=issued.number, number_year=issued.number_year)
        )
    assert load(engine, Report, second).number is None


# --- recurring duties ---------------------------------------------------------------------


def _duty(session: Session, units: SmallWorld, title: str) -> int:
    created = obligations.create(
        session=session,
        actor=ACTOR,
        title=title,
        report_kind="month",
        issuer_unit_id=units.province.id or 0,
        lead_unit_id=units.district.id or 0,
        starts_on=date(2026, 3, 2),
        recipient="Văn phòng UBND tỉnh",
        report_issuer_code="UBND",
    )
    return created.id or 0


def test_the_same_duty_defined_at_once_is_created_once(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        units = make_world(session)
    for round_number in range(ROUNDS):
        title = f"Báo cáo chuyên đề số {round_number}"

        def define(index: int, title: str = title) -> int:
            with session_scope(engine) as session:
                return _duty(session, units, title)

        outcomes = race(define)
        created = [o for o in outcomes if isinstance(o, int)]
        refused = [o for o in outcomes if isinstance(o, Conflict)]
        assert len(created) == 1 and len(refused) == CONTENDERS - 1, outcomes
        assert {(c.code, c.field) for c in refused} == {("obligation.duplicate", "title")}
        assert count(engine, Obligation, Obligation.title == title) == 1
        assert count(engine, AuditEvent, AuditEvent.action == "obligation.create") == (
            round_number + 1
        )


def test_same_version_duty_stop_and_restart_exactly_one_wins(engine: Engine) -> None:
    with Session(engine) as session:
        obligation_id = _duty(session, make_world(session), "Báo cáo kinh tế - xã hội")
        session.commit()
    for round_number in range(ROUNDS):
        before = load(engine, Obligation, obligation_id)
        events_before = count(engine, AuditEvent)
        wanted = round_number % 2 == 1  # stop, restart, stop, …

        def flip(index: int, seen: int = before.version, wanted: bool = wanted) -> bool:
            with session_scope(engine) as session:
                obligations.set_active(
                    session=session,
                    actor=ACTOR,
                    obligation_id=obligation_id,
                    expected_version=seen,
                    active=wanted,
                )
                return wanted

        winners_and_conflicts(race(flip), "obligation.stale_version")
        duty = load(engine, Obligation, obligation_id)
        assert (duty.active, duty.version) == (wanted, before.version + 1)
        assert count(engine, AuditEvent) == events_before + 1


def _migrate(engine: Engine, command: Callable[[Config, str], None], revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command(config, revision)


def test_the_upgrade_catches_counters_up_and_refuses_duplicate_numbers(engine: Engine) -> None:
    """Migration 0005 on a database issued before it: the counter moves up to the highest
    number issued, and two reports sharing a number stop the upgrade (people must decide)."""
    first, second, third = _drafts(engine, 3)
    numbered = sa.update(Report).where(col(Report.id) == sa.bindparam("report_id"))
    _migrate(engine, command.downgrade, "0004")
    try:
        with engine.begin() as connection:
            connection.execute(
                numbered.values(number=sa.bindparam("number"), number_year=2025),
                [{"report_id": first, "number": 7}, {"report_id": second, "number": 9}],
            )
        _migrate(engine, command.upgrade, "0005")
        with Session(engine) as session:
            district = load(engine, Report, first).unit_id
            counter = session.get(ReportNumberCounter, (district, 2025))
            assert counter is not None and counter.last_number == 9

        _migrate(engine, command.downgrade, "0004")
        with engine.begin() as connection:
            connection.execute(numbered.values(number=9, number_year=2025), {"report_id": third})
        with pytest.raises(RuntimeError, match=r"trùng số.*năm 2025, số 9: 2 báo cáo"):
            _migrate(engine, command.upgrade, "0005")
        with engine.begin() as connection:
            connection.execute(numbered.values(number=None, number_year=None), {"report_id": third})
    finally:
        _migrate(engine, command.upgrade, "head")
    assert count(engine, Report, col(Report.number).is_not(None)) == 2
