"""A task as of a day before it was assigned did not exist yet: 404 `task.not_yet_assigned`,
in the API and on the task page alike, as the list and the statistics leave it out."""

from __future__ import annotations

import re
from datetime import date, timedelta

from fastapi.testclient import TestClient

from models import Role
from tests.api.conftest import PASSWORD, World
from tracking import clock


def _assigned_on(world: World, task_id: int) -> date:
    answer = world.client.get(
        f"/api/v1/tasks/{task_id}", headers=world.headers("lead", Role.LEADER)
    )
    assert answer.status_code == 200, answer.text
    return date.fromisoformat(answer.json()["assigned_on"])


def test_a_day_before_assignment_answers_404_and_the_day_itself_the_task(world: World) -> None:
    task_id = world.new_task()
    assigned_on = _assigned_on(world, task_id)
    assert assigned_on == clock.today() - timedelta(days=20)
    headers = world.headers("lead", Role.LEADER)
    day_before = assigned_on - timedelta(days=1)
    before = world.audit_count()

    answer = world.client.get(
        f"/api/v1/tasks/{task_id}", headers=headers, params={"as_of": day_before.isoformat()}
    )
    assert answer.status_code == 404, answer.text
    assert answer.json() == {
        "detail": [
            {
                "code": "task.not_yet_assigned",
                "message": f"Nhiệm vụ chưa được giao vào ngày {day_before:%d/%m/%Y}",
                "field": "as_of",
                "row": None,
            }
        ]
    }
    assert world.audit_count() == before
    # The list and the statistics of that day leave it out, as they did.
    listed = world.client.get(
        "/api/v1/tasks", headers=headers, params={"as_of": day_before.isoformat(), "limit": 200}
    )
    assert listed.status_code == 200, listed.text
    assert task_id not in {item["id"] for item in listed.json()["items"]}

    on_the_day = world.client.get(
        f"/api/v1/tasks/{task_id}", headers=headers, params={"as_of": assigned_on.isoformat()}
    )
    assert on_the_day.status_code == 200, on_the_day.text
    assert on_the_day.json()["id"] == task_id
    assert on_the_day.json()["category"] == "in_progress"
    assert on_the_day.json()["as_of"] == assigned_on.isoformat()
    assert world.audit_count() == before


def test_the_error_has_the_shape_of_a_missing_task(world: World) -> None:
    headers = world.headers("lead", Role.LEADER)
    missing = world.client.get("/api/v1/tasks/987654", headers=headers)
    assert missing.status_code == 404
    task_id = world.new_task()
    not_yet = world.client.get(
        f"/api/v1/tasks/{task_id}", headers=headers, params={"as_of": "2021-01-01"}
    )
    assert not_yet.status_code == 404
    assert [set(item) for item in not_yet.json()["detail"]] == [
        set(item) for item in missing.json()["detail"]
    ]
    assert not_yet.json()["detail"][0]["message"] == "Nhiệm vụ chưa được giao vào ngày 01/01/2021"
    # Out of reach stays a plain "not found": the day says nothing about a task one cannot read.
    hidden = world.client.get(
        f"/api/v1/tasks/{task_id}",
        headers=world.headers("other", Role.OFFICER),
        params={"as_of": "2021-01-01"},
    )
    assert hidden.status_code == 404
    assert hidden.json()["detail"][0]["code"] == "task.not_found"


def test_openapi_names_the_code(world: World) -> None:
    spec = world.client.get("/api/v1/openapi.json")
    if spec.status_code == 404:
        spec = world.client.get("/openapi.json")
    assert spec.status_code == 200
    operation = spec.json()["paths"]["/api/v1/tasks/{task_id}"]["get"]
    assert "task.not_yet_assigned" in operation["responses"]["404"]["description"]


def _signed_in(world: World) -> TestClient:
    client = TestClient(world.client.app)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    signed_in = client.post(
        "/login",
        data={"csrf_token": token[1], "username": "lead.officer", "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    return client


def test_the_task_page_says_the_same(world: World) -> None:
    task_id = world.new_task()
    assigned_on = _assigned_on(world, task_id)
    day_before = assigned_on - timedelta(days=1)
    with _signed_in(world) as client:
        page = client.get(f"/tasks/{task_id}", params={"as_of": day_before.isoformat()})
        assert page.status_code == 404
        assert f"Nhiệm vụ chưa được giao vào ngày {day_before:%d/%m/%Y}" in page.text
        on_the_day = client.get(f"/tasks/{task_id}", params={"as_of": assigned_on.isoformat()})
        assert on_the_day.status_code == 200
        assert client.get(f"/tasks/{task_id}").status_code == 200
        # A task out of reach is still the plain 404 page, whatever the day.
        other = world.new_task(lead_unit_id=world.unit_id("other"), coordinating_unit_ids=[])
        hidden = client.get(f"/tasks/{other}", params={"as_of": "2021-01-01"})
        assert hidden.status_code == 404
        assert "chưa được giao" not in hidden.text
