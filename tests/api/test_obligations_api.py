"""Recurring duties over HTTP on both databases: the provincial office defines a monthly duty
for a commune, the daily step creates one task per period, the duty is stopped and restarted;
bad definitions name the field and change nothing. Report numbering: the unit's leader aligns
the year's counter with the register of outgoing documents and the next report takes it."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from models import AuditEvent, Obligation, Role, UnitKind
from reports import service as reports_service
from tests.api.conftest import SETUP, World
from tracking import clock
from tracking import obligations as obligations_service
from tracking import units as units_service

DUTY = "/api/v1/obligations"


def _commune(world: World) -> int:
    """Xã Tịnh Khê, below the province: not within reach of the office or any department."""
    if "commune" not in world.units:
        with world.session() as session:
            world.units["commune"] = units_service.create(
                session=session,
                actor=SETUP,
                code="XA-TINH-KHE",
                name="UBND xã Tịnh Khê",
                kind=UnitKind.COMMUNE,
                parent=units_service.get(session=session, unit_id=world.unit_id("root")),
            )
            session.commit()
    return world.unit_id("commune")


def _obligations(world: World) -> int:
    with world.session() as session:
        return session.execute(select(func.count()).select_from(Obligation)).scalar_one()


def _run_occurrences(world: World, as_of: date) -> list[dict[str, Any]]:
    with world.session() as session:
        run = obligations_service.create_due_occurrences(session=session, as_of=as_of)
        session.commit()
    return run.created


def test_a_monthly_duty_for_a_commune_creates_its_tasks_until_stopped(world: World) -> None:
    client, commune = world.client, _commune(world)
    leader = world.headers("issuer", Role.LEADER)  # Văn phòng UBND tỉnh
    body = {
        "title": "Báo cáo tình hình thực hiện nhiệm vụ UBND tỉnh giao",
        "report_kind": "month",
        "lead_unit_id": commune,
        "recipient": "Văn phòng UBND tỉnh",
        "report_issuer_code": "UBND",
        "send_deadline_working_days": 3,
        "starts_on": "2025-01-01",
    }

    before = world.audit_count()
    refused = client.post(DUTY, json=body, headers=world.headers("issuer", Role.OFFICER))
    assert refused.status_code == 403 and refused.json()["detail"][0]["field"] == "issuer_unit_id"
    not_theirs = client.post(
        DUTY,
        json={**body, "issuer_unit_id": world.unit_id("issuer")},
        headers=world.headers("lead", Role.LEADER),
    )
    assert not_theirs.status_code == 403
    assert world.audit_count() == before

    created = client.post(DUTY, json=body, headers=leader)
    assert created.status_code == 201, created.text
    duty = created.json()
    assert duty["issuer_unit_id"] == world.unit_id("issuer")  # the caller's unit by default
    assert (duty["lead_unit_id"], duty["active"], duty["version"]) == (commune, True, 1)
    assert world.audit_count() == before + 1
    again = client.post(DUTY, json=body, headers=leader)
    assert again.status_code == 409 and again.json()["detail"][0]["code"] == "obligation.duplicate"
    url = f"{DUTY}/{duty['id']}"

    # Readers: the issuing office, the province (ancestor of both); others see nothing.
    assert client.get(url, headers=world.headers("root", Role.VIEWER)).status_code == 200
    assert client.get(url, headers=world.headers("issuer", Role.VIEWER)).status_code == 200
    assert client.get(url, headers=world.headers("lead", Role.LEADER)).status_code == 404
    by_unit = client.get(
        DUTY, params={"unit_id": commune}, headers=world.headers("root", Role.LEADER)
    )
    assert [d["id"] for d in by_unit.json()] == [duty["id"]]
    # The Văn phòng UBND tỉnh reads with the province's reach; another department does not.
    assert client.get(DUTY, params={"unit_id": commune}, headers=leader).status_code == 200
    outside = client.get(
        DUTY, params={"unit_id": commune}, headers=world.headers("other", Role.LEADER)
    )
    assert outside.status_code == 404  # the commune is not below Sở Y tế
    mine = client.get(DUTY, headers=leader).json()
    assert duty["id"] in {d["id"] for d in mine}
    assert duty["id"] not in {
        d["id"] for d in client.get(DUTY, headers=world.headers("other", Role.LEADER)).json()
    }

    # The daily step for 20/3/2025: one task per monthly period begun since 1/1/2025.
    created_tasks = _run_occurrences(world, date(2025, 3, 20))
    tasks = client.get(f"{url}/tasks", headers=leader)
    assert tasks.status_code == 200, tasks.text
    listed = tasks.json()
    assert [t["id"] for t in listed] == [c["task_id"] for c in created_tasks]
    keys = [t["occurrence_key"] for t in listed]
    # NĐ 09/2019: a month runs from the 15th to the 14th; due 3 working days after the cut-off.
    assert keys == ["2025-M01", "2025-M02", "2025-M03", "2025-M04"]
    assert listed[0]["due_on"] == "2025-01-17" and listed[0]["assigned_on"] == "2025-01-01"
    assert all(t["lead_unit_id"] == commune and t["state"] == "open" for t in listed)
    assert (
        client.get(f"{url}/tasks", headers=world.headers("coord", Role.LEADER)).status_code == 404
    )

    # Stopping: the issuer's leader only, with the version seen; nothing new is created.
    assert (
        client.post(
            f"{url}/stop", json={"version": 1}, headers=world.headers("root", Role.LEADER)
        ).status_code
        == 403
    )
    stopped = client.post(f"{url}/stop", json={"version": 1}, headers=leader)
    assert stopped.status_code == 200, stopped.text
    assert (stopped.json()["active"], stopped.json()["version"]) == (False, 2)
    stale = client.post(f"{url}/stop", json={"version": 1}, headers=leader)
    assert stale.status_code == 409
    assert stale.json()["detail"][0] == {
        "code": "obligation.stale_version",
        "message": "Nghĩa vụ báo cáo đã được người khác cập nhật "
        "(phiên bản hiện tại 2, bạn gửi 1); hãy tải lại rồi thử lại",
        "field": "version",
        "row": None,
    }
    before_again = world.audit_count()
    again = client.post(f"{url}/stop", json={"version": 2}, headers=leader)
    assert again.status_code == 409
    assert again.json()["detail"][0]["code"] == "obligation.unchanged"
    assert world.audit_count() == before_again
    assert _run_occurrences(world, date(2025, 6, 20)) == []
    assert len(client.get(f"{url}/tasks", headers=leader).json()) == len(listed)
    inactive = client.get(DUTY, params={"active": False}, headers=leader).json()
    assert duty["id"] in {d["id"] for d in inactive}
    assert duty["id"] not in {
        d["id"] for d in client.get(DUTY, params={"active": True}, headers=leader).json()
    }

    # Restarted until the end of June: the months missed are created, none after June.
    restarted = client.post(
        f"{url}/restart", json={"version": 2, "ends_on": "2025-06-30"}, headers=leader
    )
    assert restarted.status_code == 200, restarted.text
    assert restarted.json()["active"] is True and restarted.json()["ends_on"] == "2025-06-30"
    later = [c["occurrence_key"] for c in _run_occurrences(world, date(2025, 9, 20))]
    assert later == ["2025-M05", "2025-M06", "2025-M07"]  # M07 begins on 15/6
    with world.session() as session:
        events = session.exec(
            select(AuditEvent.action)
            .where(AuditEvent.entity == "obligation", AuditEvent.entity_id == duty["id"])
            .order_by(col(AuditEvent.id))
        ).all()
    assert list(events) == ["obligation.create", "obligation.set_active", "obligation.set_active"]


BAD_DEFINITIONS = [
    pytest.param(
        {"report_kind": "weekly"}, "report_kind", "report.kind_unknown", id="unknown-kind"
    ),
    pytest.param(
        {"report_kind": "tháng"},
        "report_kind",
        "validation.string_pattern_mismatch",
        id="kind-not-a-code",
    ),
    pytest.param(
        {"send_deadline_working_days": 0},
        "send_deadline_working_days",
        "validation.greater_than_equal",
        id="send-days-0",
    ),
    pytest.param(
        {"send_deadline_working_days": 61},
        "send_deadline_working_days",
        "validation.less_than_equal",
        id="send-days-61",
    ),
    pytest.param(
        {"lead_unit_id": 2_000_000_000}, "lead_unit_id", "unit.not_found", id="unknown-unit"
    ),
    pytest.param(
        {"issuer_unit_id": 2_000_000_000}, "issuer_unit_id", "unit.not_found", id="unknown-issuer"
    ),
    pytest.param({"plan_id": 2_000_000_000}, "plan_id", "plan.not_found", id="unknown-plan"),
    pytest.param(
        {"source_document_id": 2_000_000_000},
        "source_document_id",
        "document.not_found",
        id="unknown-document",
    ),
    pytest.param({"title": "   "}, "title", "obligation.title_required", id="blank-title"),
    pytest.param(
        {"ends_on": "2024-12-31"}, "ends_on", "obligation.ends_before_start", id="ends-before-start"
    ),
    pytest.param(
        {"report_issuer_code": "BC/UBND"},
        "report_issuer_code",
        "document.issuer_code_invalid",
        id="issuer-code-slash",
    ),
]


@pytest.mark.parametrize(("change", "field", "code"), BAD_DEFINITIONS)
def test_a_bad_definition_names_the_field_and_changes_nothing(
    world: World, change: dict[str, Any], field: str, code: str
) -> None:
    body = {
        "title": f"Báo cáo quý về chuyển đổi số {world.next()}",
        "report_kind": "quarter",
        "lead_unit_id": world.unit_id("lead"),
        "starts_on": "2025-01-01",
        **change,
    }
    obligations, audit = _obligations(world), world.audit_count()

    # The office's administrator: Sở Nội vụ is within the office's reach (a duty goes down).
    response = world.client.post(DUTY, json=body, headers=world.headers("issuer", Role.ADMIN))

    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert [(d["field"], d["code"]) for d in detail] == [(field, code)]
    assert detail[0]["message"]
    assert (_obligations(world), world.audit_count()) == (obligations, audit)


def test_the_next_number_is_the_one_the_register_says(world: World) -> None:
    client, lead = world.client, world.unit_id("lead")
    year = clock.today().year
    numbers = f"/api/v1/units/{lead}/report-numbers/{year}"
    with world.session() as session:
        report = reports_service.create_draft(
            session=session,
            actor=SETUP,
            kind="year",
            period_code=str(year),
            unit_id=lead,
            as_of=clock.today(),
            issuer_code="SNV",
            texts={
                "shortcomings": "Còn chậm.",
                "recommendations": "Bổ sung kinh phí.",
                "orientation": "Tiếp tục triển khai.",
                "signature": {"title": "GIÁM ĐỐC", "name": "Nguyễn Văn A"},
            },
        )
        session.commit()

    audit = world.audit_count()
    officer = client.put(
        numbers, json={"next_number": 555}, headers=world.headers("lead", Role.OFFICER)
    )
    assert officer.status_code == 403
    sibling = client.put(
        numbers, json={"next_number": 555}, headers=world.headers("other", Role.LEADER)
    )
    assert sibling.status_code == 404
    assert world.audit_count() == audit
    leader = world.headers("lead", Role.LEADER)
    aligned = client.put(numbers, json={"next_number": 555}, headers=leader)
    assert aligned.status_code == 200, aligned.text
    assert aligned.json() == {"unit_id": lead, "year": year, "last_number": 554, "next_number": 555}
    assert world.audit_count() == audit + 1

    url = f"/api/v1/reports/{report.id}"
    stale = client.post(f"{url}/issue", json={"version": report.version + 1}, headers=leader)
    assert stale.status_code == 409
    assert [(d["code"], d["field"]) for d in stale.json()["detail"]] == [
        ("report.version_conflict", "version")
    ]
    issued = client.post(f"{url}/issue", json={"version": report.version}, headers=leader)
    assert issued.status_code == 200, issued.text
    assert (issued.json()["number"], issued.json()["symbol"]) == (555, "555/BC-SNV")

    backwards = client.put(numbers, json={"next_number": 555}, headers=leader)
    assert backwards.status_code == 422
    assert [(d["code"], d["field"]) for d in backwards.json()["detail"]] == [
        ("report.number_invalid", "next_number")
    ]
    out_of_range = client.put(numbers, json={"next_number": 0}, headers=leader)
    assert (
        out_of_range.status_code == 422
        and out_of_range.json()["detail"][0]["field"] == "next_number"
    )


def test_a_stale_task_version_names_the_field_sent(world: World) -> None:
    task_id = world.new_task()
    stale = world.client.patch(
        f"/api/v1/tasks/{task_id}",
        json={"version": 2, "note": "Ghi chú"},
        headers=world.headers("issuer", Role.OFFICER),
    )
    assert stale.status_code == 409
    assert [(d["code"], d["field"]) for d in stale.json()["detail"]] == [
        ("task.stale_version", "version")
    ]
