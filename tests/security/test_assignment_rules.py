"""Issue 9, item 9: task creation had no bounds. Each attack goes through the API, on SQLite
and PostgreSQL, and must now fail leaving every row, version and statistic as it was.

World (tests/api/conftest.py) plus two districts: root (UBND tỉnh) > {issuer (its Văn phòng),
lead (Sở Nội vụ) > {lead_child, lead_room}, coord, other, district > district_room,
other_district > other_district_room}.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from models import (
    AssignmentRole,
    AuditEvent,
    DeadlineKind,
    ExtensionRequest,
    ExtensionStatus,
    Obligation,
    Plan,
    ProgressUpdate,
    Role,
    Task,
    TaskAssignment,
    TaskState,
    UnitKind,
)
from settings import get_settings, overridden
from tests.api import conftest as api_fixtures
from tests.api.conftest import SETUP, World
from tracking import clock
from tracking import documents as documents_service
from tracking import plans as plans_service
from tracking import units as units_service

# The API tests' world (one per module and database), reused: pytest registers a fixture
# under the module attribute that holds it.
api_world = api_fixtures.world
module_db_url = api_fixtures.module_db_url
cheap_password_hashing = api_fixtures.cheap_password_hashing
TASKS = "/api/v1/tasks"
EXTRA_UNITS = (
    ("lead_room", "lead", UnitKind.OFFICE, "Phòng Công chức, Sở Nội vụ"),
    ("district", "root", UnitKind.DISTRICT, "UBND huyện Lý Sơn"),
    ("district_room", "district", UnitKind.DEPARTMENT, "Phòng Văn hóa và Thông tin huyện"),
    ("other_district", "root", UnitKind.DISTRICT, "UBND huyện Sơn Tịnh"),
    ("other_district_room", "other_district", UnitKind.DEPARTMENT, "Phòng Nội vụ huyện Sơn Tịnh"),
)

DISTRICT_USERS = (
    ("district", Role.LEADER),
    ("district", Role.OFFICER),
    ("district_room", Role.OFFICER),
)


@pytest.fixture(scope="module")
def districts(api_world: World) -> World:
    """The module's world with the districts, their rooms and a leader for each district."""
    world = api_world
    world.add_units(EXTRA_UNITS)
    world.add_users(DISTRICT_USERS)
    return world


@dataclass(frozen=True)
class Snapshot:
    """Everything an attack could have changed."""

    rows: dict[str, int]
    tasks: dict[int, tuple[int, str]]  # id → (version, state)
    extensions: dict[int, str]  # id → status
    district_stats: dict[str, Any]


def snapshot(world: World) -> Snapshot:
    with world.session() as session:
        rows = {
            model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (
                Task,
                TaskAssignment,
                ExtensionRequest,
                ProgressUpdate,
                AuditEvent,
                Plan,
                Obligation,
            )
        }
        tasks = {
            task_id: (version, str(state))
            for task_id, version, state in session.execute(
                select(col(Task.id), col(Task.version), col(Task.state))
            ).all()
        }
        extensions = {
            extension_id: str(status)
            for extension_id, status in session.execute(
                select(col(ExtensionRequest.id), col(ExtensionRequest.status))
            ).all()
        }
    stats = world.client.get(
        "/api/v1/stats",
        headers=world.headers("root", Role.VIEWER),
        params={"unit": world.unit_id("district")},
    )
    assert stats.status_code == 200, stats.text
    return Snapshot(rows, tasks, extensions, stats.json())


def assert_refused(
    world: World, response: Any, status: int, code: str, field: str | None, before: Snapshot
) -> None:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert [(d["code"], d["field"]) for d in detail] == [(code, field)]
    assert detail[0]["message"]
    assert snapshot(world) == before


def task_body(world: World, lead: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": f"Nhiệm vụ thử số {world.next()}",
        "lead_unit_id": world.unit_id(lead),
        "deadline": {"kind": "days", "amount": 30},
        **extra,
    }


def province_plan(world: World) -> tuple[int, int]:
    """A plan of UBND tỉnh with one section: (plan id, section id)."""
    with world.session() as session:
        plan = plans_service.create(
            session=session,
            actor=SETUP,
            title=f"Kế hoạch chuyển đổi số của tỉnh số {world.next()}",
            issuer=units_service.get(session=session, unit_id=world.unit_id("root")),
            section_titles=["Mục I"],
        )
        session.commit()
        section = plans_service.sections(session=session, plan_id=plan.id or 0)[0]
        return plan.id or 0, section.id or 0


# --- Assigning: in whose name and to whom ------------------------------------------------


def test_a_department_officer_cannot_assign_to_its_parent_province(districts: World) -> None:
    world, officer = districts, districts.headers("lead", Role.OFFICER)
    before = snapshot(world)

    upward = world.client.post(TASKS, json=task_body(world, "root"), headers=officer)
    assert_refused(world, upward, 422, "assignment.out_of_scope", "lead_unit_id", before)

    as_the_province = world.client.post(
        TASKS,
        json=task_body(world, "lead_child", issuer_unit_id=world.unit_id("root")),
        headers=officer,
    )
    assert_refused(world, as_the_province, 403, "access.not_issuer", "issuer_unit_id", before)

    to_itself = world.client.post(TASKS, json=task_body(world, "lead"), headers=officer)
    assert_refused(world, to_itself, 422, "assignment.to_issuer", "lead_unit_id", before)


def test_a_department_officer_cannot_assign_another_districts_unit_in_the_provinces_plan(
    districts: World,
) -> None:
    world, officer = districts, districts.headers("lead", Role.OFFICER)
    plan_id, section_id = province_plan(world)
    before = snapshot(world)

    across = world.client.post(
        TASKS,
        json=task_body(world, "other_district_room", plan_id=plan_id, section_id=section_id),
        headers=officer,
    )
    assert_refused(world, across, 422, "assignment.out_of_scope", "lead_unit_id", before)

    coordinating = world.client.post(
        TASKS,
        json=task_body(
            world,
            "lead_child",
            coordinating_unit_ids=[world.unit_id("lead_room"), world.unit_id("district")],
        ),
        headers=officer,
    )
    assert_refused(
        world, coordinating, 422, "assignment.out_of_scope", "coordinating_unit_ids[1]", before
    )

    # Its own units, but inside the province's plan (named by plan, or by section alone).
    in_their_plan = world.client.post(
        TASKS, json=task_body(world, "lead_child", plan_id=plan_id), headers=officer
    )
    assert_refused(world, in_their_plan, 422, "assignment.plan_not_issuers", "plan_id", before)
    in_their_section = world.client.post(
        TASKS, json=task_body(world, "lead_child", section_id=section_id), headers=officer
    )
    assert_refused(
        world, in_their_section, 422, "assignment.plan_not_issuers", "section_id", before
    )


def test_a_source_document_must_be_one_the_issuer_receives(districts: World) -> None:
    """A unit cites its own acts, those from above and those of its units, not a stranger's."""
    world, officer = districts, districts.headers("lead", Role.OFFICER)
    with world.session() as session:

        def document(issuer: str, symbol: str) -> int:
            row = documents_service.create(
                session=session,
                actor=SETUP,
                symbol=f"{world.next()}/{symbol}",
                issued_on=clock.today(),
                summary="Văn bản kiểm thử",
                issuer=units_service.get(session=session, unit_id=world.unit_id(issuer)),
            )
            session.commit()
            return row.id or 0

        strangers, from_above = document("other_district", "KH-UBND"), document("root", "QĐ-UBND")
    before = snapshot(world)

    cited = world.client.post(
        TASKS, json=task_body(world, "lead_child", source_document_id=strangers), headers=officer
    )
    assert_refused(
        world, cited, 422, "assignment.document_not_visible", "source_document_id", before
    )
    accepted = world.client.post(
        TASKS, json=task_body(world, "lead_child", source_document_id=from_above), headers=officer
    )
    assert accepted.status_code == 201, accepted.text


def test_a_plan_import_cannot_assign_outside_the_issuers_tree(districts: World) -> None:
    """The spreadsheet import assigns through the same rules, and reports every bad row."""
    world, officer = districts, districts.headers("lead", Role.OFFICER)
    with world.session() as session:
        plan = plans_service.create(
            session=session,
            actor=SETUP,
            title=f"Kế hoạch của Sở Nội vụ số {world.next()}",
            issuer=units_service.get(session=session, unit_id=world.unit_id("lead")),
        )
        session.commit()
    content = (
        "nội dung nhiệm vụ,đơn vị chủ trì,đơn vị phối hợp,thời hạn\n"
        "Rà soát biên chế,LEAD-CHILD,,30 ngày\n"
        "Báo cáo tỉnh,ROOT,,30 ngày\n"
        "Phối hợp với huyện,LEAD-CHILD,OTHER-DISTRICT-ROOM,30 ngày\n"
    ).encode()
    before = snapshot(world)

    response = world.client.post(
        f"/api/v1/plans/{plan.id}/tasks/import",
        headers=officer,
        files={"file": ("nhiem-vu.csv", content, "text/csv")},
    )

    assert response.status_code == 422, response.text
    rows = [(d["row"], d["field"], d["code"]) for d in response.json()["detail"]]
    assert rows == [
        (3, "đơn vị chủ trì", "assignment.out_of_scope"),
        (4, "đơn vị phối hợp", "assignment.out_of_scope"),
    ]
    assert snapshot(world) == before


def test_the_office_assigns_for_its_body_but_no_further(districts: World) -> None:
    """The Văn phòng UBND tỉnh enters the province's tasks (in the province's plan); a room of
    the office is not the body's office."""
    world = districts
    plan_id, _ = province_plan(world)
    created = world.client.post(
        TASKS,
        json=task_body(world, "district", issuer_unit_id=world.unit_id("root"), plan_id=plan_id),
        headers=world.headers("issuer", Role.OFFICER),
    )
    assert created.status_code == 201, created.text
    assert created.json()["issuer_unit_id"] == world.unit_id("root")

    before = snapshot(world)
    room = world.client.post(
        TASKS,
        json=task_body(world, "district", issuer_unit_id=world.unit_id("root")),
        headers=world.headers("issuer_child", Role.OFFICER),
    )
    assert_refused(world, room, 403, "access.not_issuer", "issuer_unit_id", before)
    to_its_body = world.client.post(
        TASKS, json=task_body(world, "root"), headers=world.headers("issuer", Role.OFFICER)
    )
    assert_refused(world, to_its_body, 422, "assignment.to_issuer", "lead_unit_id", before)


def test_a_district_leader_cannot_lead_its_own_task(districts: World) -> None:
    world, leader = districts, districts.headers("district", Role.LEADER)
    before = snapshot(world)

    response = world.client.post(TASKS, json=task_body(world, "district"), headers=leader)

    assert_refused(world, response, 422, "assignment.to_issuer", "lead_unit_id", before)


def test_a_recurring_duty_cannot_make_the_system_assign_upward(districts: World) -> None:
    """A duty's tasks are assigned later by the scheduled flow (a system action): the rules
    hold when the duty is defined, so no duty can make the flow assign against them."""
    world, leader = districts, districts.headers("district", Role.LEADER)
    before = snapshot(world)
    duty = {
        "title": f"Báo cáo tháng gửi tỉnh số {world.next()}",
        "report_kind": "month",
        "send_deadline_working_days": 3,
    }

    upward = world.client.post(
        "/api/v1/obligations", json={**duty, "lead_unit_id": world.unit_id("root")}, headers=leader
    )
    assert_refused(world, upward, 422, "assignment.out_of_scope", "lead_unit_id", before)
    across = world.client.post(
        "/api/v1/obligations",
        json={**duty, "lead_unit_id": world.unit_id("other_district_room")},
        headers=leader,
    )
    assert_refused(world, across, 422, "assignment.out_of_scope", "lead_unit_id", before)


# --- Deciding: no unit decides on its own work ---------------------------------------------


@dataclass(frozen=True)
class OldRows:
    submitted: int
    with_extension: int
    extension: int


@pytest.fixture
def old_self_assigned(districts: World) -> Iterator[OldRows]:
    """Rows as an old database may hold them: the district issued them to itself (one reported
    done, one asking for more time), written directly, without the use cases."""
    world, today = districts, clock.today()
    district = world.unit_id("district")
    with world.session() as session:

        def row(state: TaskState, **dates: Any) -> int:
            task = Task(
                title=f"Nhiệm vụ tự giao số {world.next()}",
                issuer_unit_id=district,
                lead_unit_id=district,
                assigned_on=today - timedelta(days=20),
                deadline_kind=DeadlineKind.DATE,
                original_due_on=today + timedelta(days=5),
                due_on=today + timedelta(days=5),
                state=state,
                **dates,
            )
            session.add(task)
            session.flush()
            session.add(
                TaskAssignment(
                    task_id=task.id or 0,
                    unit_id=district,
                    role=AssignmentRole.LEAD,
                    assigned_on=task.assigned_on,
                )
            )
            return task.id or 0

        submitted = row(
            TaskState.SUBMITTED,
            completed_on=today - timedelta(days=2),
            completion_reported_on=today - timedelta(days=1),
            result="Đã xong",
        )
        with_extension = row(TaskState.OPEN)
        extension = ExtensionRequest(
            task_id=with_extension,
            requested_on=today - timedelta(days=1),
            old_due_on=today + timedelta(days=5),
            proposed_due_on=today + timedelta(days=60),
            reason="Tự xin thêm thời gian",
        )
        session.add(extension)
        session.commit()
        yield OldRows(submitted, with_extension, extension.id or 0)


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN])
def test_no_unit_confirms_or_returns_its_own_completion(
    districts: World, old_self_assigned: OldRows, role: Role
) -> None:
    world, task_id = districts, old_self_assigned.submitted
    headers = world.headers("district" if role == Role.LEADER else "root", role)
    before = snapshot(world)
    assert before.tasks[task_id] == (1, TaskState.SUBMITTED.value)

    confirm = world.client.post(
        f"{TASKS}/{task_id}/completion/confirm", json={"version": 1}, headers=headers
    )
    assert_refused(world, confirm, 403, "task.self_decision", "task_id", before)
    back = world.client.post(
        f"{TASKS}/{task_id}/completion/return",
        json={"version": 1, "reason": "Trả lại thử"},
        headers=headers,
    )
    assert_refused(world, back, 403, "task.self_decision", "task_id", before)


@pytest.mark.parametrize("role", [Role.LEADER, Role.ADMIN])
def test_no_unit_decides_its_own_extension(
    districts: World, old_self_assigned: OldRows, role: Role
) -> None:
    world = districts
    task_id, extension_id = old_self_assigned.with_extension, old_self_assigned.extension
    headers = world.headers("district" if role == Role.LEADER else "root", role)
    before = snapshot(world)
    assert before.extensions[extension_id] == ExtensionStatus.REQUESTED.value

    approve = world.client.post(
        f"{TASKS}/{task_id}/extensions/{extension_id}/approve",
        json={"version": 1},
        headers=headers,
    )
    assert_refused(world, approve, 403, "task.self_decision", "task_id", before)
    reject = world.client.post(
        f"{TASKS}/{task_id}/extensions/{extension_id}/reject",
        json={"version": 1, "note": "Không đồng ý"},
        headers=headers,
    )
    assert_refused(world, reject, 403, "task.self_decision", "task_id", before)


# --- Back-dating ---------------------------------------------------------------------------


def test_an_event_dated_beyond_the_limit_is_refused_and_one_within_it_is_marked(
    districts: World,
) -> None:
    world, leader = districts, districts.headers("district", Role.LEADER)
    limit = get_settings().backdate_max_days
    today = clock.today()
    before = snapshot(world)

    # The attack: a task "assigned" in 2021.
    long_ago = world.client.post(
        TASKS,
        json=task_body(world, "district_room", assigned_on="2021-03-15"),
        headers=leader,
    )
    assert_refused(world, long_ago, 422, "task.date_too_far_back", "assigned_on", before)
    assert "2021" in long_ago.json()["detail"][0]["message"]
    just_beyond = world.client.post(
        TASKS,
        json=task_body(
            world, "district_room", assigned_on=(today - timedelta(days=limit + 1)).isoformat()
        ),
        headers=leader,
    )
    assert_refused(world, just_beyond, 422, "task.date_too_far_back", "assigned_on", before)

    at_the_limit = world.client.post(
        TASKS,
        json=task_body(
            world, "district_room", assigned_on=(today - timedelta(days=limit)).isoformat()
        ),
        headers=leader,
    )
    assert at_the_limit.status_code == 201, at_the_limit.text
    task_id = at_the_limit.json()["id"]
    history = world.client.get(f"{TASKS}/{task_id}/history", headers=leader).json()
    assert history[-1]["action"] == "task.assign"
    assert history[-1]["after"]["backdated_days"] == limit

    # A later event dated within the limit is marked too; one dated today is not.
    report = world.client.post(
        f"{TASKS}/{task_id}/completion",
        json={
            "version": 1,
            "completed_on": (today - timedelta(days=4)).isoformat(),
            "reported_on": (today - timedelta(days=3)).isoformat(),
            "result": "Đã ban hành kế hoạch",
        },
        headers=world.headers("district_room", Role.OFFICER),
    )
    assert report.status_code == 200, report.text
    confirmed_today = world.client.post(
        f"{TASKS}/{task_id}/completion/confirm", json={"version": 2}, headers=leader
    )
    assert confirmed_today.status_code == 200, confirmed_today.text
    history = world.client.get(f"{TASKS}/{task_id}/history", headers=leader).json()
    marks = {event["action"]: event["after"].get("backdated_days") for event in history}
    assert marks == {
        "task.assign": limit,
        "task.report_completion": 4,
        "task.confirm_completion": None,
    }


def test_the_limit_is_a_setting_and_holds_for_every_event_date(districts: World) -> None:
    world, leader = districts, districts.headers("district", Role.LEADER)
    room = world.headers("district_room", Role.OFFICER)
    today = clock.today()
    nine_days_ago, eight_days_ago = ((today - timedelta(days=days)).isoformat() for days in (9, 8))

    def new_task() -> int:
        created = world.client.post(
            TASKS, json=task_body(world, "district_room", assigned_on=nine_days_ago), headers=leader
        )
        assert created.status_code == 201, created.text
        return int(created.json()["id"])

    # Under the default limit: one task reported done 9 days ago, one asking for more time.
    task_id, submitted_id, extended_id = new_task(), new_task(), new_task()
    reported = world.client.post(
        f"{TASKS}/{submitted_id}/completion",
        json={
            "version": 1,
            "completed_on": nine_days_ago,
            "reported_on": nine_days_ago,
            "result": "Đã xong",
        },
        headers=room,
    )
    assert reported.status_code == 200, reported.text
    requested = world.client.post(
        f"{TASKS}/{extended_id}/extensions",
        json={
            "version": 1,
            "proposed_due_on": (today + timedelta(days=90)).isoformat(),
            "reason": "Chờ hướng dẫn",
            "requested_on": nine_days_ago,
        },
        headers=room,
    )
    assert requested.status_code == 201, requested.text
    extension_id = requested.json()["id"]

    attempts: list[tuple[str, str, dict[str, Any], dict[str, str]]] = [
        (
            f"{TASKS}/{task_id}/pause",
            "paused_on",
            {"version": 1, "reason": "Chờ vốn", "on": eight_days_ago},
            leader,
        ),
        (
            f"{TASKS}/{task_id}/cancel",
            "cancelled_on",
            {"version": 1, "reason": "Không còn phù hợp", "on": eight_days_ago},
            leader,
        ),
        (
            f"{TASKS}/{task_id}/progress",
            "reported_on",
            {"version": 1, "content": "Đã họp", "reported_on": eight_days_ago},
            room,
        ),
        (
            f"{TASKS}/{task_id}/extensions",
            "requested_on",
            {
                "version": 1,
                "proposed_due_on": (today + timedelta(days=90)).isoformat(),
                "reason": "Chờ hướng dẫn",
                "requested_on": eight_days_ago,
            },
            room,
        ),
        (
            f"{TASKS}/{task_id}/completion",
            "completed_on",
            {"version": 1, "completed_on": eight_days_ago, "result": "Đã xong từ lâu"},
            room,
        ),
        (
            f"{TASKS}/{submitted_id}/completion/confirm",
            "confirmed_on",
            {"version": 2, "confirmed_on": eight_days_ago},
            leader,
        ),
        (
            f"{TASKS}/{extended_id}/extensions/{extension_id}/approve",
            "decided_on",
            {"version": 2, "decided_on": eight_days_ago},
            leader,
        ),
        (
            f"{TASKS}/{extended_id}/extensions/{extension_id}/reject",
            "decided_on",
            {"version": 2, "note": "Không đồng ý", "decided_on": eight_days_ago},
            leader,
        ),
    ]
    with overridden(backdate_max_days="5"):
        assert get_settings().backdate_max_days == 5
        before = snapshot(world)
        for url, field, body, headers in attempts:
            response = world.client.post(url, json=body, headers=headers)
            assert_refused(world, response, 422, "task.date_too_far_back", field, before)

        # Administrators record past history (onboarding a unit's old tracker), marked.
        admin = world.client.post(
            TASKS,
            json=task_body(
                world,
                "district_room",
                assigned_on="2021-03-15",
                issuer_unit_id=world.unit_id("district"),
            ),
            headers=world.headers("root", Role.ADMIN),
        )
        assert admin.status_code == 201, admin.text
        history = world.client.get(f"{TASKS}/{admin.json()['id']}/history", headers=leader)
        assert history.json()[-1]["after"]["backdated_days"] == (today - date(2021, 3, 15)).days
