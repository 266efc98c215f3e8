"""The task page's "Cán bộ theo dõi": every reader sees who follows each unit's part; the
unit's leader chooses one of its officers, and a refused choice comes back as the error
summary and the error by the field."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from models import Role, User
from tests.web.conftest import (
    COMMUNE_OFFICER,
    PASSWORD,
    SETUP,
    Browsing,
    Person,
    Site,
    check_page,
    new_task,
)
from tests.world import WorldBuilder
from tracking import units

COMMUNE_LEADER = Person("tinhkhe.phong", "Huỳnh Văn Phong")
SECOND_OFFICER = Person("tinhkhe.mai", "Đặng Thị Mai")


def _add_commune_people(site: Site) -> None:
    with site.session() as session:
        build = WorldBuilder(session, actor=SETUP)
        for person, role, title in [
            (COMMUNE_LEADER, Role.LEADER, "Chủ tịch UBND xã"),
            (SECOND_OFFICER, Role.OFFICER, "Công chức Tư pháp - Hộ tịch"),
        ]:
            build.user(
                person.username,
                full_name=person.full_name,
                unit=site.units["commune"],
                role=role,
                title=title,
                password=PASSWORD,
            )
        session.commit()


def test_the_communes_leader_puts_an_officer_in_charge(site: Site, browsing: Browsing) -> None:
    _add_commune_people(site)
    task_id = new_task(site, "Rà soát hộ nghèo, hộ cận nghèo trên địa bàn xã")
    leader = browsing.signed_in(COMMUNE_LEADER)
    leader.goto(site.url(f"/tasks/{task_id}"))
    facts = leader.locator("dl.facts")
    expect(facts).to_contain_text("Cán bộ theo dõi")
    expect(facts).to_contain_text("UBND xã Tịnh Khê: chưa phân công")
    choice = leader.get_by_label("Cán bộ theo dõi phần việc chủ trì")
    expect(choice.locator("option")).to_have_text(
        [
            "Chưa phân công",
            f"{COMMUNE_OFFICER.full_name} (Công chức Văn phòng - Thống kê)",
            f"{SECOND_OFFICER.full_name} (Công chức Tư pháp - Hộ tịch)",
            f"{COMMUNE_LEADER.full_name} (Chủ tịch UBND xã)",
        ]
    )
    checked: dict[str, list[Any]] = {}
    check_page(leader, checked)
    assert all(found == [] for found in checked.values()), checked

    choice.select_option(label=f"{COMMUNE_OFFICER.full_name} (Công chức Văn phòng - Thống kê)")
    leader.get_by_role("button", name="Phân công").click()
    expect(leader.get_by_text("Đã phân công cán bộ theo dõi.")).to_be_visible()
    expect(facts).to_contain_text(f"UBND xã Tịnh Khê: {COMMUNE_OFFICER.full_name}")
    history = leader.locator("section", has=leader.get_by_role("heading", name="Nhật ký thay đổi"))
    expect(history).to_contain_text(f"Phân công cán bộ theo dõi – {COMMUNE_LEADER.full_name}")

    # The officer reads who follows the task, and is offered no choice.
    officer = browsing.signed_in(COMMUNE_OFFICER)
    officer.goto(site.url(f"/tasks/{task_id}"))
    expect(officer.locator("dl.facts")).to_contain_text(
        f"UBND xã Tịnh Khê: {COMMUNE_OFFICER.full_name}"
    )
    expect(officer.get_by_role("button", name="Phân công")).to_have_count(0)

    # Mai leaves the commune while the leader's page is open: the choice is refused by its
    # field, and nothing changes.
    leader.reload()
    leader.get_by_label("Cán bộ theo dõi phần việc chủ trì").select_option(
        label=f"{SECOND_OFFICER.full_name} (Công chức Tư pháp - Hộ tịch)"
    )
    with site.session() as session:
        mai = units.find_user(session=session, username=SECOND_OFFICER.username)
        assert isinstance(mai, User)
        units.update_user(session=session, actor=SETUP, user=mai, active=False)
        session.commit()
    leader.get_by_role("button", name="Phân công").click()
    summary = leader.locator(".error-summary")
    expect(summary).to_contain_text("không phải cán bộ hoặc lãnh đạo đang làm việc tại đơn vị")
    field = leader.locator(f"#e-officer{site.units['commune'].id}officer_id")
    expect(field).to_contain_text("không phải cán bộ hoặc lãnh đạo")
    summary.get_by_role("link").click()
    expect(leader.get_by_label("Cán bộ theo dõi phần việc chủ trì")).to_be_focused()
    leader.goto(site.url(f"/tasks/{task_id}"))
    expect(leader.locator("dl.facts")).to_contain_text(
        f"UBND xã Tịnh Khê: {COMMUNE_OFFICER.full_name}"
    )
