"""PUT /tasks/{id}/assignments/{unit_id}/officer: the officer in charge of a unit's part, over
HTTP; the answer is the task with its assignments; refusals are coded and change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from models import Role
from tests.api.conftest import World


def _put(world: World, task_id: int, unit: str, who: tuple[str, Role], body: dict[str, Any]):
    return world.client.put(
        f"/api/v1/tasks/{task_id}/assignments/{world.unit_id(unit)}/officer",
        json=body,
        headers=world.headers(*who),
    )


def _officers(task: dict[str, Any]) -> dict[int, int | None]:
    return {a["unit_id"]: (a["officer"] or {}).get("id") for a in task["assignments"]}


def test_the_lead_units_leader_puts_an_officer_in_charge(world: World) -> None:
    task_id = world.new_task()
    officer = world.users[("lead", Role.OFFICER)]
    response = _put(world, task_id, "lead", ("lead", Role.LEADER), {"officer_id": officer.id})
    assert response.status_code == 200, response.text
    task = response.json()
    assert task["version"] == 2
    assert [(a["role"], a["unit_id"]) for a in task["assignments"]] == [
        ("lead", world.unit_id("lead")),
        ("coordinate", world.unit_id("coord")),
    ]
    assert task["assignments"][0]["officer"] == {"id": officer.id, "full_name": officer.full_name}
    assert task["assignments"][1]["officer"] is None
    # The task and the list read the same.
    shown = world.client.get(f"/api/v1/tasks/{task_id}", headers=world.headers("lead", Role.VIEWER))
    assert shown.json()["assignments"] == task["assignments"]
    listed = world.client.get(
        "/api/v1/tasks",
        params={"unit": world.unit_id("lead"), "limit": 200},
        headers=world.headers("lead", Role.VIEWER),
    ).json()["items"]
    assert next(t for t in listed if t["id"] == task_id)["assignments"] == task["assignments"]
    history = world.client.get(
        f"/api/v1/tasks/{task_id}/history", headers=world.headers("lead", Role.VIEWER)
    ).json()
    assert history[-1]["action"] == "task.assign_officer"
    assert history[-1]["after"]["officer_id"] == officer.id


def test_the_coordinators_leader_chooses_then_clears(world: World) -> None:
    task_id = world.new_task()
    officer = world.users[("coord", Role.OFFICER)]
    chosen = _put(world, task_id, "coord", ("coord", Role.LEADER), {"officer_id": officer.id})
    assert _officers(chosen.json()) == {
        world.unit_id("lead"): None,
        world.unit_id("coord"): officer.id,
    }
    cleared = _put(world, task_id, "coord", ("coord", Role.LEADER), {"officer_id": None})
    assert cleared.status_code == 200, cleared.text
    assert _officers(cleared.json())[world.unit_id("coord")] is None


@pytest.mark.parametrize(
    ("unit", "who", "whom", "status", "code", "field"),
    [
        (
            "lead",
            ("lead", Role.OFFICER),
            ("lead", Role.OFFICER),
            403,
            "assignment.not_unit_leader",
            "unit_id",
        ),
        (
            "lead",
            ("coord", Role.LEADER),
            ("lead", Role.OFFICER),
            403,
            "assignment.not_unit_leader",
            "unit_id",
        ),
        # The issuer (the committee's office) reads the task but does not staff the lead unit.
        (
            "lead",
            ("issuer", Role.LEADER),
            ("lead", Role.OFFICER),
            403,
            "assignment.not_unit_leader",
            "unit_id",
        ),
        ("lead", ("other", Role.LEADER), ("lead", Role.OFFICER), 404, "task.not_found", "task_id"),
        (
            "lead",
            ("lead", Role.LEADER),
            ("coord", Role.OFFICER),
            422,
            "assignment.officer_not_in_unit",
            "officer_id",
        ),
        (
            "lead",
            ("lead", Role.LEADER),
            ("lead", Role.VIEWER),
            422,
            "assignment.officer_not_in_unit",
            "officer_id",
        ),
        (
            "other",
            ("root", Role.ADMIN),
            ("other", Role.OFFICER),
            404,
            "assignment.not_found",
            "unit_id",
        ),
    ],
)
def test_refusals_are_coded_and_change_nothing(
    world: World,
    unit: str,
    who: tuple[str, Role],
    whom: tuple[str, Role],
    status: int,
    code: str,
    field: str,
) -> None:
    task_id = world.new_task()
    events = world.audit_count()
    response = _put(world, task_id, unit, who, {"officer_id": world.users[whom].id})
    assert response.status_code == status, response.text
    detail = response.json()["detail"][0]
    assert (detail["code"], detail["field"]) == (code, field)
    assert detail["message"]
    assert world.audit_count() == events
    task = world.client.get(f"/api/v1/tasks/{task_id}", headers=world.headers("root", Role.ADMIN))
    assert task.json()["version"] == 1
    assert set(_officers(task.json()).values()) == {None}


def test_a_stale_version_and_a_closed_task_answer_409(world: World) -> None:
    task_id = world.new_task()
    officer_id = world.users[("lead", Role.OFFICER)].id
    leader = ("lead", Role.LEADER)
    stale = _put(world, task_id, "lead", leader, {"officer_id": officer_id, "version": 7})
    assert stale.status_code == 409
    assert stale.json()["detail"][0]["code"] == "task.stale_version"
    cancelled = world.client.post(
        f"/api/v1/tasks/{task_id}/cancel",
        json={"version": 1, "reason": "Không còn cần thiết"},
        headers=world.headers("issuer", Role.LEADER),
    )
    assert cancelled.status_code == 200, cancelled.text
    closed = _put(world, task_id, "lead", leader, {"officer_id": officer_id})
    assert closed.status_code == 409
    assert closed.json()["detail"][0]["code"] == "task.invalid_state"
