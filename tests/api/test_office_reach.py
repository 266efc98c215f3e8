"""The office of a People's Committee (Văn phòng UBND) follows everything its body does: its
users read with the body's reach; what they may change stays their own unit's."""

from models import Role
from tests.api.conftest import World


def test_the_provincial_office_reads_tasks_and_stats_it_is_not_party_to(world: World) -> None:
    # Issued by UBND tỉnh to Sở Y tế: the Văn phòng UBND tỉnh is neither issuer nor lead.
    task_id = world.new_task(
        issuer_unit_id=world.unit_id("root"),
        lead_unit_id=world.unit_id("other"),
        coordinating_unit_ids=[],
    )
    office = world.headers("issuer", Role.OFFICER)
    read = world.client.get(f"/api/v1/tasks/{task_id}", headers=office)
    assert read.status_code == 200, read.text
    listed = world.client.get("/api/v1/tasks", headers=office, params={"limit": 200})
    assert task_id in {item["id"] for item in listed.json()["items"]}
    stats = world.client.get(
        "/api/v1/stats", headers=office, params={"unit": world.unit_id("other")}
    )
    assert stats.status_code == 200, stats.text
    # Reading is not deciding: the task is visible, so a change is forbidden, not hidden.
    before = world.audit_count()
    edit = world.client.patch(
        f"/api/v1/tasks/{task_id}", headers=office, json={"version": 1, "note": "Văn phòng sửa"}
    )
    assert edit.status_code == 403, edit.text
    assert world.audit_count() == before


def test_other_offices_keep_their_own_reach(world: World) -> None:
    task_id = world.new_task(
        issuer_unit_id=world.unit_id("root"),
        lead_unit_id=world.unit_id("other"),
        coordinating_unit_ids=[],
    )
    # A room inside the provincial office, and a room of a department, are not the body's
    # office: they read only their own subtree.
    for unit in ("issuer_child", "lead_child"):
        answer = world.client.get(
            f"/api/v1/tasks/{task_id}", headers=world.headers(unit, Role.OFFICER)
        )
        assert answer.status_code == 404, (unit, answer.text)
