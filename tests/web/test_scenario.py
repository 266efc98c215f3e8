"""The issue's scenario, in the browser, as the people who use it would go through it."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from playwright.sync_api import Page, expect
from sqlmodel import col, select

from models import Plan, Task
from notifications.delivery import deliver
from notifications.planner import plan_reminders
from notifications.policy import global_rules
from tests.web.conftest import (
    COMMUNE_OFFICER,
    OFFICE_LEADER,
    OFFICE_OFFICER,
    Browsing,
    Site,
    check_page,
    screenshot,
    sign_in,
)
from tracking import clock
from tracking.calendar import load_calendar

IMPORTED = [
    (
        "Rà soát, đơn giản hóa thủ tục hành chính cấp xã năm nay",
        "UBND xã Tịnh Khê",
        "",
        "10 ngày làm việc",
    ),
    (
        "Cập nhật dữ liệu dân cư lên Cổng dịch vụ công của tỉnh",
        "XA-NGHIAHANH",
        "XA-TINHKHE",
        "30 ngày",
    ),
    (
        "Tổng hợp số liệu chuyển đổi số quý IV gửi Văn phòng UBND tỉnh",
        "Xã Tịnh Khê",
        "",
        "3 ngày làm việc",
    ),
]
ASSIGNED = "Báo cáo kết quả tiếp nhận hồ sơ trực tuyến trong tháng"


def annex(folder: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    """A plan annex as the provincial office keeps it: a title block, then the table."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["PHỤ LỤC: DANH MỤC NHIỆM VỤ"])
    sheet.append([])
    sheet.append(["STT", "Nội dung nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Thời hạn"])
    for number, row in enumerate(rows, start=1):
        sheet.append([number, *row])
    path = folder / "phu-luc-ke-hoach.xlsx"
    book.save(path)
    return path


def vn(day: Any) -> str:
    return f"{day:%d/%m/%Y}"


def task_id_of(page: Page) -> int:
    found = re.search(r"/tasks/(\d+)$", page.url)
    assert found, page.url
    return int(found[1])


def done_on_time(page: Page, unit_name: str) -> int:
    """The dashboard's "Hoàn thành đúng hạn" count in a unit's row, as the page shows it."""
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name=unit_name, exact=True)
    )
    return int(row.locator("td").first.inner_text().strip())


def test_office_imports_assigns_commune_completes_leader_confirms(
    site: Site, browsing: Browsing, tmp_path: Path
) -> None:
    checked: dict[str, list[Any]] = {}
    today = clock.today()
    with site.session() as session:
        calendar = load_calendar(session)

    # The office officer follows a reminder-less path: the address of the dashboard.
    office = browsing.page()
    office.goto(site.url("/"))
    expect(office).to_have_url(re.compile(r"/login\?next=/$"))
    expect(office.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    check_page(office, checked)
    sign_in(office, OFFICE_OFFICER)
    expect(office.get_by_role("heading", name=re.compile("Tổng quan nhiệm vụ"))).to_be_visible()
    check_page(office, checked)

    # Import the plan's annex: a preview of every row, then save.
    office.get_by_role("link", name="Giao nhiệm vụ").click()
    check_page(office, checked)
    office.get_by_role("link", name=re.compile("nhập nhiều nhiệm vụ")).click()
    office.get_by_label("Kế hoạch").select_option(label=site.plan_title)
    office.get_by_label("Tệp phụ lục").set_input_files(annex(tmp_path, IMPORTED))
    with site.session() as session:
        tasks_before = len(session.exec(select(Task)).all())
    check_page(office, checked)
    office.get_by_role("button", name="Xem trước").click()
    expect(office.get_by_role("heading", name="3 dòng hợp lệ")).to_be_visible()
    for title, *_ in IMPORTED:
        expect(office.get_by_role("cell", name=title)).to_be_visible()
    expect(office.get_by_role("cell", name="10 ngày làm việc")).to_be_visible()
    expect(office.get_by_role("cell", name="UBND xã Nghĩa Hành")).to_be_visible()
    with site.session() as session:
        assert len(session.exec(select(Task)).all()) == tasks_before  # the preview saves nothing
    check_page(office, checked)
    screenshot(office, "import-preview")
    office.get_by_role("button", name="Lưu 3 nhiệm vụ").click()
    expect(office.get_by_text("Đã nhập 3 nhiệm vụ vào kế hoạch.")).to_be_visible()
    # The plan's list: its 3 new tasks, with any that another test of the run gave the plan.
    with site.session() as session:
        plan = session.exec(select(Plan).where(col(Plan.title) == site.plan_title)).one()
        in_plan = len(session.exec(select(Task).where(col(Task.plan_id) == plan.id)).all())
    assert in_plan >= 3
    expect(office.get_by_text(f"{in_plan} nhiệm vụ", exact=True)).to_be_visible()
    check_page(office, checked)

    # One more task, to the commune, within 5 working days.
    office.get_by_role("link", name="Giao nhiệm vụ").click()
    office.get_by_label("Nội dung nhiệm vụ").fill(ASSIGNED)
    office.get_by_label("Đơn vị chủ trì").select_option(label="UBND xã Tịnh Khê")
    office.get_by_label("Trong số ngày làm việc").check()
    office.get_by_label("Số ngày (khi tính theo số ngày)").fill("5")
    office.get_by_role("button", name="Giao nhiệm vụ").click()
    expect(office.get_by_text("Đã giao nhiệm vụ.")).to_be_visible()
    assigned_id = task_id_of(office)
    due = calendar.add_working_days(today, 5)
    expect(office.locator("dd").filter(has_text=vn(due)).first).to_be_visible()

    # The commune officer finds it in "Việc của tôi" and reports completion.
    commune = browsing.signed_in(COMMUNE_OFFICER)
    commune.get_by_role("link", name="Việc của tôi").click()
    expect(commune.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    card = commune.get_by_role("listitem").filter(has_text=ASSIGNED)
    expect(card).to_contain_text("còn 5 ngày làm việc")
    check_page(commune, checked)
    card.get_by_role("link", name=ASSIGNED).click()
    expect(commune).to_have_url(site.url(f"/tasks/{assigned_id}"))
    check_page(commune, checked)
    commune.get_by_label("Kết quả thực hiện").fill(
        "Đã tổng hợp và gửi báo cáo số 12/BC-UBND ngày hôm nay; tệp kèm theo: bao-cao-12.pdf"
    )
    commune.get_by_role("button", name="Gửi báo cáo hoàn thành").click()
    expect(commune.get_by_text("Đã báo cáo hoàn thành")).to_be_visible()
    expect(commune.get_by_text("Chờ xác nhận hoàn thành").first).to_be_visible()

    # The office leader confirms it; the dashboard counts change.
    leader = browsing.signed_in(OFFICE_LEADER)
    before = done_on_time(leader, "UBND xã Tịnh Khê")
    total_before = done_on_time(leader, "Toàn bộ (Ủy ban nhân dân tỉnh Quảng Ngãi)")
    leader.goto(site.url(f"/tasks/{assigned_id}"))
    check_page(leader, checked)
    leader.get_by_role("button", name="Xác nhận hoàn thành").click()
    expect(leader.get_by_text("Đã xác nhận hoàn thành.")).to_be_visible()
    expect(leader.get_by_text("Hoàn thành đúng hạn").first).to_be_visible()
    leader.get_by_role("link", name="Tổng quan").click()
    assert done_on_time(leader, "UBND xã Tịnh Khê") == before + 1
    assert done_on_time(leader, "Toàn bộ (Ủy ban nhân dân tỉnh Quảng Ngãi)") == total_before + 1
    check_page(leader, checked)
    screenshot(leader, "dashboard")
    # Drill down: the count links to the list of those tasks.
    leader.get_by_role("link", name=re.compile("hoàn thành đúng hạn – UBND xã Tịnh Khê")).click()
    expect(leader.get_by_role("link", name=ASSIGNED)).to_be_visible()
    check_page(leader, checked)

    # An extension: asked for by the commune, approved by the leader; both deadlines show.
    extended = IMPORTED[0][0]
    commune.get_by_role("link", name="Việc của tôi").click()
    commune.get_by_role("link", name=extended).click()
    old_due = calendar.add_working_days(today, 10)
    proposed = old_due + timedelta(days=14)
    commune.get_by_label("Thời hạn đề xuất").fill(vn(proposed))
    commune.get_by_label("Lý do xin gia hạn").fill(
        "Chờ Sở Tư pháp hướng dẫn danh mục thủ tục hành chính mới."
    )
    commune.get_by_role("button", name="Gửi đề nghị gia hạn").click()
    expect(commune.get_by_text("Đã gửi đề nghị gia hạn.")).to_be_visible()
    extended_url = commune.url
    leader.goto(extended_url)
    request_heading = leader.get_by_role("heading", name=f"Đề nghị gia hạn đến {vn(proposed)}")
    expect(request_heading).to_be_visible()
    check_page(leader, checked)
    leader.get_by_role("button", name="Đồng ý gia hạn", exact=True).click()
    expect(leader.get_by_text("Đã đồng ý gia hạn.")).to_be_visible()
    facts = leader.locator("dl.facts")
    expect(facts).to_contain_text(f"Hạn ban đầu{vn(old_due)}")
    expect(facts).to_contain_text(f"Hạn hiện hành{vn(proposed)}")
    check_page(leader, checked)
    screenshot(leader, "task-page")

    # A report: a draft for a period, the document previewed in the page, a DOCX download.
    office.get_by_role("link", name="Báo cáo").click()
    check_page(office, checked)
    period = office.get_by_label("Kỳ báo cáo (theo Nghị định 09/2019/NĐ-CP)")
    quarter = period.locator("option", has_text=re.compile(r"^quý")).first
    period.select_option(value=quarter.get_attribute("value"))
    office.get_by_label("Chữ viết tắt cơ quan ban hành").fill("VP")
    office.get_by_role("button", name="Tạo dự thảo").click()
    expect(office.get_by_text("Đã tạo dự thảo báo cáo.")).to_be_visible()
    expect(office.get_by_role("heading", name="Xem trước văn bản")).to_be_visible()
    expect(office.locator(".document-preview")).to_contain_text("BÁO CÁO")
    with office.expect_download() as download:
        office.get_by_role("link", name="Văn bản Word (.docx)").click()
    assert download.value.suggested_filename.endswith(".docx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"
    check_page(office, checked)
    screenshot(office, "report-page")

    # A reminder e-mail for the 3-working-day task; its link opens the task after sign-in.
    reminded = IMPORTED[2][0]
    with site.session() as session:
        task = session.exec(select(Task).where(Task.title == reminded)).one()
        assert task.due_on is not None
        plan_reminders(session=session, as_of=task.due_on)
        session.commit()
        opening = global_rules(session).send_window.next_opening(
            datetime.combine(task.due_on, time(0), tzinfo=clock.local_zone()), calendar
        )
    result = deliver(engine=site.engine, at=opening + timedelta(minutes=1))
    assert result.sent >= 1, result
    mails = site.mailbox.to(COMMUNE_OFFICER.email)
    assert mails and mails[-1].subject.startswith("[Nhắc việc]")
    body = mails[-1].text
    assert reminded in body
    link = re.search(rf"{re.escape(site.base)}/tasks/\d+", body)
    assert link, body
    stranger = browsing.page()
    stranger.goto(link[0])
    expect(stranger).to_have_url(re.compile(r"/login\?next=/tasks/\d+$"))
    sign_in(stranger, COMMUNE_OFFICER)
    expect(stranger).to_have_url(link[0])
    expect(stranger.get_by_role("heading", name=reminded)).to_be_visible()

    failures = {page: found for page, found in checked.items() if found}
    assert not failures, "\n".join(f"{page}: {found}" for page, found in failures.items())
    assert len(checked) >= 10
