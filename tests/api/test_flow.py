"""The main path over HTTP, and the error contract."""

from __future__ import annotations

from datetime import timedelta

import jwt

from models import Role, Task
from tests.api.conftest import PASSWORD, World, today_iso
from tracking import clock


def test_login_gives_an_expiring_token_that_reads_me(world: World) -> None:
    response = world.client.post(
        "/api/v1/auth/token", data={"username": "lead.officer", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    claims = jwt.decode(body["access_token"], world.settings.secret_key, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == world.settings.access_token_minutes * 60
    assert body["expires_in"] == world.settings.access_token_minutes * 60
    me = world.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["username"] == "lead.officer"
    assert me.json()["unit_id"] == world.unit_id("lead")


def test_wrong_password_and_unknown_user_answer_the_same_401(world: World) -> None:
    wrong = world.client.post(
        "/api/v1/auth/token", data={"username": "lead.officer", "password": "sai-mat-khau"}
    )
    unknown = world.client.post(
        "/api/v1/auth/token", data={"username": "khong.ton.tai", "password": "sai-mat-khau"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["detail"][0]["code"] == "auth.bad_credentials"
    # A user without a password (created for the tests below) cannot log in either.
    nopass = world.client.post(
        "/api/v1/auth/token", data={"username": "lead.leader", "password": "bat-ky-mat-khau"}
    )
    assert nopass.status_code == 401


def test_expired_or_forged_tokens_are_refused(world: World) -> None:
    user = world.users[("lead", Role.OFFICER)]
    now = clock.now_utc()
    expired = jwt.encode(
        {"sub": str(user.id), "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
        world.settings.secret_key,
        algorithm="HS256",
    )
    forged = jwt.encode(
        {"sub": str(user.id), "exp": now + timedelta(hours=1)},
        "another-secret-key-of-32-bytes-or-more",
        algorithm="HS256",
    )
    for token in (expired, forged, "not-a-jwt"):
        response = world.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["detail"][0]["code"] == "auth.unauthorized"
    assert world.client.get("/api/v1/tasks").status_code == 401


def test_assign_report_confirm_and_stats(world: World) -> None:
    issuer_leader = world.headers("issuer", Role.LEADER)
    lead_officer = world.headers("lead", Role.OFFICER)
    before = world.client.get(
        "/api/v1/stats",
        params={"unit": world.unit_id("lead")},
        headers=world.headers("coord", Role.LEADER),
    )
    # Another department is not an ancestor of the lead unit: its statistics are out of reach
    # (the Văn phòng UBND tỉnh, `issuer`, reads them: tests/api/test_office_reach.py).
    assert before.status_code == 404
    root = world.headers("root", Role.VIEWER)
    stats_before = world.client.get(
        "/api/v1/stats", params={"unit": world.unit_id("lead")}, headers=root
    ).json()

    created = world.client.post(
        "/api/v1/tasks",
        json={
            "title": "Rà soát thủ tục hành chính năm 2025",
            "lead_unit_id": world.unit_id("lead"),
            "coordinating_unit_ids": [world.unit_id("coord")],
            "deadline": {"kind": "working_days", "amount": 10},
            "assigned_on": today_iso(-30),
        },
        headers=issuer_leader,
    )
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["issuer_unit_id"] == world.unit_id("issuer")
    assert task["coordinating_unit_ids"] == [world.unit_id("coord")]
    assert task["deadline_kind"] == "working_days"
    assert task["due_on"] is not None and task["version"] == 1

    reported = world.client.post(
        f"/api/v1/tasks/{task['id']}/completion",
        json={"version": 1, "completed_on": today_iso(-1), "result": "Đã rà soát 120 thủ tục"},
        headers=lead_officer,
    )
    assert reported.status_code == 200, reported.text
    assert reported.json()["state"] == "submitted"
    assert reported.json()["awaiting_confirmation"] is True

    confirmed = world.client.post(
        f"/api/v1/tasks/{task['id']}/completion/confirm",
        json={"version": 2},
        headers=issuer_leader,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["state"] == "done"

    stats_after = world.client.get(
        "/api/v1/stats", params={"unit": world.unit_id("lead")}, headers=root
    ).json()
    done = "done_on_time" if task["due_on"] >= today_iso(-1) else "done_late"
    assert stats_after["counts"][done] == stats_before["counts"][done] + 1
    assert stats_after["completion_rate"] is not None
    assert set(stats_after["counts"]) >= {
        "done_on_time",
        "done_late",
        "in_progress",
        "overdue",
        "no_deadline",
    }

    history = world.client.get(f"/api/v1/tasks/{task['id']}/history", headers=root).json()
    assert [event["action"] for event in history] == [
        "task.assign",
        "task.report_completion",
        "task.confirm_completion",
    ]
    assert history[1]["actor"] == "lead.officer"


def test_stale_version_answers_409_and_changes_nothing(world: World) -> None:
    task_id = world.new_task()
    audit_before = world.audit_count()
    response = world.client.post(
        f"/api/v1/tasks/{task_id}/progress",
        json={"version": 7, "content": "Đã họp triển khai", "percent": 20},
        headers=world.headers("lead", Role.OFFICER),
    )
    assert response.status_code == 409
    assert response.json()["detail"] == [
        {
            "code": "task.stale_version",
            "message": response.json()["detail"][0]["message"],
            "field": "version",
            "row": None,
        }
    ]
    assert "tải lại" in response.json()["detail"][0]["message"]
    with world.session() as session:
        task = session.get(Task, task_id)
        assert task is not None and task.version == 1
    assert world.audit_count() == audit_before


def test_bad_input_names_the_field_in_vietnamese(world: World) -> None:
    response = world.client.post(
        "/api/v1/tasks",
        json={
            "title": "",
            "lead_unit_id": 0,
            "deadline": {"kind": "weeks", "amount": 2},
        },
        headers=world.headers("issuer", Role.OFFICER),
    )
    assert response.status_code == 422
    items = response.json()["detail"]
    fields = {item["field"] for item in items}
    assert {"title", "lead_unit_id", "deadline"} <= fields
    assert all(item["code"].startswith("validation.") and item["message"] for item in items)
    assert any(item["message"] == "Loại thời hạn không hợp lệ" for item in items)


def test_domain_error_from_a_service_keeps_its_code(world: World) -> None:
    response = world.client.post(
        "/api/v1/tasks",
        json={
            "title": "Nhiệm vụ có hạn trước ngày giao",
            "lead_unit_id": world.unit_id("lead"),
            "deadline": {"kind": "date", "due_on": today_iso(-10)},
        },
        headers=world.headers("issuer", Role.OFFICER),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["code"] == "deadline.before_assigned"
    assert response.json()["detail"][0]["field"] == "due_on"


def test_malformed_json_answers_400(world: World) -> None:
    response = world.client.post(
        "/api/v1/tasks",
        content=b'{"title": "thi\xe1\xbb\x87u ngo\xe1\xba\xb7c',
        headers={**world.headers("issuer", Role.OFFICER), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["code"] == "validation.json_invalid"
    assert response.json()["detail"][0]["field"] == "body"


def test_openapi_documents_the_error_shape_and_400(world: World) -> None:
    schema = world.client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/tasks"]["post"]
    for status in ("400", "401", "403", "404", "409", "422"):
        ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/ErrorResponse"
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    assert world.client.get("/docs").status_code == 200


def test_unknown_route_and_method_keep_the_error_shape(world: World) -> None:
    missing = world.client.get("/api/v1/khong-co")
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["code"] == "http.not_found"
    wrong_method = world.client.delete(
        "/api/v1/tasks", headers=world.headers("issuer", Role.OFFICER)
    )
    assert wrong_method.status_code == 405
    assert "GET" in wrong_method.headers["allow"]
