"""Editing a recurring duty (PATCH, versioned, audited) and reading a unit's report-number
counter (GET, changes nothing), through the API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from models import AuditEvent, Role
from models.reports import ReportNumberCounter
from tests.api.conftest import World
from tests.world import SETUP
from tracking import obligations


def new_duty(world: World, title: str) -> dict[str, Any]:
    with world.session() as session:
        duty = obligations.create(
            session=session,
            actor=SETUP,
            title=title,
            report_kind="month",
            issuer_unit_id=world.unit_id("issuer"),
            lead_unit_id=world.unit_id("lead"),
            starts_on=date(2026, 1, 1),
        )
        session.commit()
        return {"id": duty.id, "version": duty.version}


def last_event(world: World) -> AuditEvent:
    with world.session() as session:
        return session.execute(
            select(AuditEvent).order_by(col(AuditEvent.id).desc()).limit(1)
        ).scalar_one()


def test_a_duty_is_edited_with_its_version_and_audited(world: World) -> None:
    duty = new_duty(world, f"Báo cáo tháng về chuyển đổi số {world.next()}")
    other = new_duty(world, f"Báo cáo tháng về an toàn thông tin {world.next()}")
    leader = world.headers("issuer", Role.LEADER)
    url = f"/api/v1/obligations/{duty['id']}"
    edited = world.client.patch(
        url,
        json={
            "version": duty["version"],
            "recipient": "Sở Khoa học và Công nghệ",
            "send_deadline_working_days": 5,
            "ends_on": "2026-12-31",
            "note": "Gửi kèm phụ lục số liệu",
        },
        headers=leader,
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["version"] == duty["version"] + 1
    assert (body["recipient"], body["send_deadline_working_days"], body["ends_on"]) == (
        "Sở Khoa học và Công nghệ",
        5,
        "2026-12-31",
    )
    event = last_event(world)
    assert (event.action, event.entity_id) == ("obligation.update", duty["id"])
    assert event.before is not None and event.after is not None
    assert (
        event.before["recipient"] == "" and event.after["recipient"] == "Sở Khoa học và Công nghệ"
    )
    assert event.after["version"] == body["version"]

    # null puts back the report kind's deadline and removes the end.
    reset = world.client.patch(
        url,
        json={"version": body["version"], "send_deadline_working_days": None, "ends_on": None},
        headers=leader,
    )
    assert reset.status_code == 200, reset.text
    assert (reset.json()["send_deadline_working_days"], reset.json()["ends_on"]) == (None, None)

    before = world.audit_count()
    for payload, status, code, field in (
        ({"version": duty["version"], "note": "cũ"}, 409, "obligation.stale_version", "version"),
        (
            {"version": reset.json()["version"], "note": "Gửi kèm phụ lục số liệu"},
            409,
            "obligation.unchanged",
            "version",
        ),
        (
            {"version": reset.json()["version"], "ends_on": "2025-12-31"},
            422,
            "obligation.ends_before_start",
            "ends_on",
        ),
        (
            {"version": reset.json()["version"], "title": other_title(world, other)},
            409,
            "obligation.duplicate",
            "title",
        ),
        (
            {"version": reset.json()["version"], "send_deadline_working_days": 61},
            422,
            "validation.less_than_equal",
            "send_deadline_working_days",
        ),
    ):
        refused = world.client.patch(url, json=payload, headers=leader)
        assert refused.status_code == status, refused.text
        [item] = refused.json()["detail"]
        assert (item["code"], item["field"]) == (code, field)
    assert world.audit_count() == before
    current = world.client.get(url, headers=leader).json()
    assert current["version"] == reset.json()["version"]


def other_title(world: World, duty: dict[str, Any]) -> str:
    answer = world.client.get(
        f"/api/v1/obligations/{duty['id']}", headers=world.headers("issuer", Role.LEADER)
    )
    title: str = answer.json()["title"]
    return title


def counters(world: World) -> int:
    with world.session() as session:
        return session.execute(select(func.count()).select_from(ReportNumberCounter)).scalar_one()


def test_the_report_number_counter_is_read_without_changing_it(world: World) -> None:
    url = f"/api/v1/units/{world.unit_id('lead')}/report-numbers/2093"
    reader = world.headers("root", Role.VIEWER)
    before = (counters(world), world.audit_count())
    fresh = world.client.get(url, headers=reader)
    assert fresh.status_code == 200, fresh.text
    assert fresh.json() == {
        "unit_id": world.unit_id("lead"),
        "year": 2093,
        "last_number": 0,
        "next_number": 1,
    }
    assert (counters(world), world.audit_count()) == before

    set_to = world.client.put(
        url, json={"next_number": 15}, headers=world.headers("lead", Role.LEADER)
    )
    assert set_to.status_code == 200, set_to.text
    after = world.client.get(url, headers=reader).json()
    assert (after["last_number"], after["next_number"]) == (14, 15)
    assert world.client.get(url, headers=world.headers("other", Role.LEADER)).status_code == 404


def test_a_document_is_corrected_with_its_version_and_audited(world: World) -> None:
    writer = world.headers("issuer", Role.OFFICER)
    created = world.client.post(
        "/api/v1/documents",
        json={
            "symbol": f"{world.next()}/KH-UBND",
            "issued_on": date.today().isoformat(),
            "summary": "Kế hoạch chuyển đổi số năm 2026",
            "issuer_unit_id": world.unit_id("issuer"),
        },
        headers=writer,
    ).json()
    url = f"/api/v1/documents/{created['id']}"
    edited = world.client.patch(
        url,
        json={
            "version": created["version"],
            "summary": "Kế hoạch chuyển đổi số tỉnh Quảng Ngãi năm 2026",
            "signer": "Trần Phước Hiền",
            # The symbol identifies the document: not a field of the edit.
        },
        headers=writer,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == created["version"] + 1
    assert edited.json()["symbol"] == created["symbol"]
    event = last_event(world)
    assert (event.action, event.entity_id) == ("document.update", created["id"])
    assert event.before == {
        "summary": "Kế hoạch chuyển đổi số năm 2026",
        "signer": "",
        "version": created["version"],
    }

    before = world.audit_count()
    for payload, status, code in (
        ({"version": created["version"], "signer": "Ai đó"}, 409, "document.stale_version"),
        ({"version": edited.json()["version"], "signer": "Trần Phước Hiền"}, 409,
         "document.unchanged"),
        ({"version": edited.json()["version"], "symbol": "1/KH-UBND"}, 422,
         "validation.extra_forbidden"),
    ):  # fmt: skip
        refused = world.client.patch(url, json=payload, headers=writer)
        assert refused.status_code == status, refused.text
        assert refused.json()["detail"][0]["code"] == code
    outsider = world.client.patch(
        url,
        json={"version": edited.json()["version"], "signer": "Người ngoài"},
        headers=world.headers("other", Role.LEADER),
    )
    assert outsider.status_code == 403
    assert world.audit_count() == before


def test_a_plan_and_its_sections_share_one_version(world: World) -> None:
    writer = world.headers("issuer", Role.LEADER)
    plan = world.client.post(
        "/api/v1/plans",
        json={
            "title": "Kế hoạch cải cách hành chính 2026",
            "issuer_unit_id": world.unit_id("issuer"),
            "sections": ["Cải cách thể chế", "Cải cách thủ tục hành chính"],
        },
        headers=writer,
    ).json()
    _first, second = plan["sections"]
    renamed = world.client.patch(
        f"/api/v1/plans/{plan['id']}/sections/{second['id']}",
        json={"version": plan["version"], "title": "Cải cách thủ tục hành chính, một cửa"},
        headers=writer,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["version"] == plan["version"] + 1
    titles = [(s["ordinal"], s["title"]) for s in renamed.json()["sections"]]
    assert titles == [(1, "Cải cách thể chế"), (2, "Cải cách thủ tục hành chính, một cửa")]
    event = last_event(world)
    assert (event.action, event.entity_id) == ("plan.update_section", plan["id"])

    # A second clerk who loaded the plan before the section's edit is refused, for the plan
    # itself too: the version guards the plan and its sections together.
    before = world.audit_count()
    stale = world.client.patch(
        f"/api/v1/plans/{plan['id']}",
        json={"version": plan["version"], "title": "Kế hoạch CCHC 2026"},
        headers=writer,
    )
    assert stale.status_code == 409 and stale.json()["detail"][0]["code"] == "plan.stale_version"
    elsewhere = world.client.patch(
        f"/api/v1/plans/{plan['id']}/sections/999999",
        json={"version": renamed.json()["version"], "title": "Mục khác"},
        headers=writer,
    )
    assert elsewhere.status_code == 404
    assert world.audit_count() == before
    retitled = world.client.patch(
        f"/api/v1/plans/{plan['id']}",
        json={"version": renamed.json()["version"], "title": "Kế hoạch CCHC 2026"},
        headers=writer,
    )
    assert retitled.status_code == 200, retitled.text
    assert (retitled.json()["title"], retitled.json()["version"]) == (
        "Kế hoạch CCHC 2026",
        plan["version"] + 2,
    )
