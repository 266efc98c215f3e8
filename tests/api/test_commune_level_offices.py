"""Since 01/7/2025 a province has communes, wards and special zones directly below it: each is a
People's Committee whose office (Văn phòng HĐND và UBND) follows everything it does, as the
office of a commune does."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from models import Role, UnitKind
from tests.api.conftest import World


@dataclass(frozen=True)
class Body:
    key: str
    kind: UnitKind
    name: str
    office: str


BODIES = (
    Body(
        "zone",
        UnitKind.SPECIAL_ZONE,
        "Ủy ban nhân dân đặc khu Lý Sơn",
        "Văn phòng HĐND và UBND đặc khu",
    ),
    Body(
        "ward", UnitKind.WARD, "Ủy ban nhân dân phường Cẩm Thành", "Văn phòng HĐND và UBND phường"
    ),
    Body("commune", UnitKind.COMMUNE, "Ủy ban nhân dân xã Bình Sơn", "Văn phòng HĐND và UBND xã"),
)


def _add_body(world: World, body: Body) -> None:
    world.add_units(
        [
            (body.key, "root", body.kind, body.name),
            (f"{body.key}_office", body.key, UnitKind.OFFICE, body.office),
            (f"{body.key}_room", body.key, UnitKind.OTHER, f"Phòng Kinh tế, {body.name}"),
        ]
    )
    world.add_users([(f"{body.key}_office", Role.OFFICER), (f"{body.key}_room", Role.OFFICER)])


@pytest.mark.parametrize("body", BODIES, ids=[b.key for b in BODIES])
def test_the_office_reaches_and_assigns_for_its_body(world: World, body: Body) -> None:
    _add_body(world, body)
    task_id = world.new_task(
        issuer_unit_id=world.unit_id(body.key),
        lead_unit_id=world.unit_id(f"{body.key}_room"),
        coordinating_unit_ids=[],
    )
    office = world.headers(f"{body.key}_office", Role.OFFICER)
    read = world.client.get(f"/api/v1/tasks/{task_id}", headers=office)
    assert read.status_code == 200, read.text
    listed = world.client.get("/api/v1/tasks", headers=office, params={"limit": 200})
    assert task_id in {item["id"] for item in listed.json()["items"]}
    stats = world.client.get(
        "/api/v1/stats", headers=office, params={"unit": world.unit_id(body.key)}
    )
    assert stats.status_code == 200, stats.text

    # The office enters the tasks its People's Committee assigns.
    created = world.client.post(
        "/api/v1/tasks",
        headers=office,
        json={
            "title": f"Nhiệm vụ {body.name} giao",
            "issuer_unit_id": world.unit_id(body.key),
            "lead_unit_id": world.unit_id(f"{body.key}_room"),
            "deadline": {"kind": "days", "amount": 15},
        },
    )
    assert created.status_code == 201, created.text

    # A room of the body is no office: it reads only what it is party to.
    other_task = world.new_task()
    room = world.headers(f"{body.key}_room", Role.OFFICER)
    assert world.client.get(f"/api/v1/tasks/{other_task}", headers=room).status_code == 404


@pytest.mark.parametrize("kind", [UnitKind.WARD, UnitKind.SPECIAL_ZONE])
def test_the_api_takes_the_new_kinds(world: World, kind: UnitKind) -> None:
    admin = world.headers("root", Role.ADMIN)
    created = world.client.post(
        "/api/v1/units",
        headers=admin,
        json={
            "code": f"KIND-{kind.value.upper().replace('_', '-')}",
            "name": f"Ủy ban nhân dân {kind.value}",
            "kind": kind.value,
            "parent_id": world.unit_id("root"),
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == kind.value
    refused = world.client.post(
        "/api/v1/units",
        headers=admin,
        json={"code": "KIND-BAD", "name": "Thị trấn", "kind": "town", "parent_id": None},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "kind"
