"""The forms added after the first web release: editing a task, units and users, reminder
policies of a plan and a task, and the pages with JavaScript turned off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from playwright.sync_api import expect

from models import Role, User
from notifications import policy
from tests.web.conftest import (
    ADMIN,
    COMMUNE_OFFICER,
    OFFICE_LEADER,
    OFFICE_OFFICER,
    OTHER_OFFICER,
    PASSWORD,
    SETUP,
    Browsing,
    Site,
    check_page,
    new_task,
    screenshot,
    sign_in,
)
from tests.world import WorldBuilder
from tracking import clock, periods, units
from tracking.deadlines import DeadlineRule


def test_the_office_edits_a_task_and_the_history_says_so(site: Site, browsing: Browsing) -> None:
    task_id = new_task(site, "Rà soát danh mục thủ tục hành chính cấp xã")
    page = browsing.signed_in(OFFICE_OFFICER)
    page.goto(site.url(f"/tasks/{task_id}"))
    page.get_by_text("Sửa nhiệm vụ", exact=True).click()
    title = page.get_by_label("Nội dung nhiệm vụ")
    expect(title).to_have_value("Rà soát danh mục thủ tục hành chính cấp xã")
    title.fill("Rà soát, công bố danh mục thủ tục hành chính cấp xã")
    page.get_by_label("Lãnh đạo giao (nếu có)").fill("Phó Chủ tịch Trần Văn Bình")
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.get_by_text("Đã lưu nội dung nhiệm vụ.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Rà soát, công bố danh mục thủ tục hành chính cấp xã"
    )
    expect(page.get_by_text("(Phó Chủ tịch Trần Văn Bình chỉ đạo)")).to_be_visible()
    history = page.locator("section", has=page.get_by_role("heading", name="Nhật ký thay đổi"))
    expect(history).to_contain_text(f"Sửa nội dung – {OFFICE_OFFICER.full_name}")


def test_an_empty_title_is_refused_and_a_stale_edit_says_who_changed_the_task(
    site: Site, browsing: Browsing
) -> None:
    task_id = new_task(site, "Kiểm tra việc niêm yết công khai thủ tục hành chính")
    clerk = browsing.signed_in(OFFICE_OFFICER)
    clerk.goto(site.url(f"/tasks/{task_id}"))
    clerk.get_by_text("Sửa nhiệm vụ", exact=True).click()
    clerk.get_by_label("Nội dung nhiệm vụ").fill("")
    clerk.get_by_role("button", name="Lưu thay đổi").click()
    expect(clerk.get_by_role("alert")).to_contain_text("Nhập nội dung nhiệm vụ")
    expect(clerk.get_by_label("Nội dung nhiệm vụ")).to_have_attribute("aria-invalid", "true")

    leader = browsing.signed_in(OFFICE_LEADER)
    leader.goto(site.url(f"/tasks/{task_id}"))
    leader.get_by_text("Tạm dừng", exact=True).click()
    leader.get_by_label("Lý do tạm dừng").fill("Chờ ý kiến của Sở Tư pháp")
    leader.get_by_role("button", name="Tạm dừng nhiệm vụ").click()
    expect(leader.get_by_text("Đã tạm dừng nhiệm vụ.")).to_be_visible()

    clerk.get_by_label("Nội dung nhiệm vụ").fill("Kiểm tra niêm yết thủ tục hành chính")
    clerk.get_by_role("button", name="Lưu thay đổi").click()
    summary = clerk.get_by_role("alert")
    expect(summary).to_contain_text("Nguyễn Văn Minh đã cập nhật nhiệm vụ lúc")
    expect(summary).to_contain_text("(tạm dừng)")
    expect(clerk.get_by_label("Nội dung nhiệm vụ")).to_have_value(
        "Kiểm tra niêm yết thủ tục hành chính"
    )


def test_only_the_issuer_is_offered_the_edit_form(site: Site, browsing: Browsing) -> None:
    task_id = new_task(site, "Tổng hợp số liệu hộ nghèo")
    page = browsing.signed_in(COMMUNE_OFFICER)
    page.goto(site.url(f"/tasks/{task_id}"))
    expect(page.get_by_role("heading", name="Tổng hợp số liệu hộ nghèo")).to_be_visible()
    expect(page.get_by_text("Sửa nhiệm vụ", exact=True)).to_have_count(0)


def test_the_administrator_adds_and_renames_a_unit(site: Site, browsing: Browsing) -> None:
    page = browsing.signed_in(ADMIN)
    page.goto(site.url("/admin"))
    page.get_by_label("Mã đơn vị").fill("XA-BINHSON")
    page.get_by_label("Tên đơn vị").fill("UBND xã Bình Sơn")
    page.get_by_label("Đơn vị cấp trên").select_option(label="Ủy ban nhân dân tỉnh Quảng Ngãi")
    page.get_by_role("button", name="Thêm đơn vị").click()
    # No kind chosen: refused, the input kept.
    expect(page.get_by_role("alert")).to_contain_text("Chọn loại đơn vị")
    expect(page.get_by_label("Loại đơn vị")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Mã đơn vị")).to_have_value("XA-BINHSON")
    expect(page.get_by_label("Tên đơn vị")).to_have_value("UBND xã Bình Sơn")
    page.get_by_label("Loại đơn vị").select_option(label="Xã")
    page.get_by_role("button", name="Thêm đơn vị").click()
    expect(page.get_by_text("Đã thêm đơn vị «UBND xã Bình Sơn».")).to_be_visible()

    page.get_by_role("link", name="UBND xã Bình Sơn").click()
    page.get_by_label("Tên đơn vị", exact=True).fill("")
    page.get_by_label("Tên viết tắt (nếu có)").fill("Xã Bình Sơn")
    page.get_by_role("button", name="Lưu đơn vị").click()
    expect(page.get_by_role("alert")).to_contain_text("Nhập tên đơn vị")
    expect(page.get_by_label("Tên viết tắt (nếu có)")).to_have_value("Xã Bình Sơn")
    page.get_by_label("Tên đơn vị", exact=True).fill("Ủy ban nhân dân xã Bình Sơn")
    page.get_by_role("button", name="Lưu đơn vị").click()
    expect(page.get_by_text("Đã lưu đơn vị «Ủy ban nhân dân xã Bình Sơn».")).to_be_visible()
    with site.session() as session:
        unit = units.get_by_code(session=session, code="XA-BINHSON")
        assert (unit.name, unit.short_name, unit.parent_id) == (
            "Ủy ban nhân dân xã Bình Sơn",
            "Xã Bình Sơn",
            site.units["province"].id,
        )


def test_the_administrator_edits_a_user_and_resets_the_password(
    site: Site, browsing: Browsing
) -> None:
    with site.session() as session:
        user = WorldBuilder(session, actor=SETUP).user(
            "tinhkhe.lan",
            full_name="Võ Thị Lan",
            unit=site.units["commune"],
            role=Role.VIEWER,
            password=PASSWORD,
        )
        session.commit()
        user_id = user.id
    page = browsing.signed_in(ADMIN)
    page.goto(site.url("/admin"))
    page.get_by_role("link", name="tinhkhe.lan").click()
    page.get_by_label("Họ và tên").fill("Võ Thị Ngọc Lan")
    page.get_by_label("Chức vụ (nếu có)").fill("Công chức Tư pháp - Hộ tịch")
    page.get_by_label("Vai trò").select_option(label="Chuyên viên")
    page.get_by_label("Đơn vị").select_option(label="UBND xã Nghĩa Hành")
    page.get_by_role("button", name="Lưu thông tin").click()
    expect(page.get_by_text("Đã lưu thông tin của «tinhkhe.lan».")).to_be_visible()

    page.goto(site.url(f"/admin/users/{user_id}"))
    page.get_by_label("Mật khẩu mới").fill("12345678")
    page.get_by_role("button", name="Đặt lại mật khẩu").click()
    expect(page.get_by_role("alert")).to_contain_text("Mật khẩu không được là một dãy ký tự")
    expect(page.get_by_label("Mật khẩu mới")).to_have_value("")
    expect(page.get_by_label("Họ và tên")).to_have_value("Võ Thị Ngọc Lan")
    page.get_by_label("Mật khẩu mới").fill("Song-Tra-Khuc-2026")
    page.get_by_role("button", name="Đặt lại mật khẩu").click()
    expect(page.get_by_text("Đã đặt lại mật khẩu của «tinhkhe.lan»")).to_be_visible()
    with site.session() as session:
        saved = session.get(User, user_id)
        assert saved is not None
        assert (saved.full_name, saved.title, saved.role, saved.unit_id) == (
            "Võ Thị Ngọc Lan",
            "Công chức Tư pháp - Hộ tịch",
            Role.OFFICER,
            site.units["other"].id,
        )
    signed = browsing.page()
    signed.goto(site.url("/login"))
    signed.get_by_label("Tên đăng nhập").fill("tinhkhe.lan")
    signed.get_by_label("Mật khẩu", exact=True).fill("Song-Tra-Khuc-2026")
    signed.get_by_role("button", name="Đăng nhập").click()
    expect(signed.get_by_text("Chuyên viên · UBND xã Nghĩa Hành")).to_be_visible()


def test_reminder_policies_of_a_plan_and_of_a_task(site: Site, browsing: Browsing) -> None:
    plan_title = "Kế hoạch số hóa hồ sơ, kết quả giải quyết thủ tục hành chính"
    with site.session() as session:
        # A plan of its own: the scenario counts the tasks of the shared one.
        build = WorldBuilder(session, actor=SETUP)
        plan = build.plan(plan_title, issuer=site.units["office"])
        session.flush()
        task = build.task(
            "Số hóa hồ sơ một cửa cấp xã",
            issuer=site.units["office"],
            lead=site.units["commune"],
            plan_id=plan.id,
            deadline=DeadlineRule.working_days(10),
        )
        session.commit()
        plan_id, task_id = plan.id, task.id
    # The officer who assigns sees the plan but may not set its policy nor the task's.
    clerk = browsing.signed_in(OFFICE_OFFICER)
    clerk.goto(site.url(f"/tasks/{task_id}"))
    expect(clerk.get_by_text("Chính sách nhắc việc của nhiệm vụ")).to_have_count(0)
    clerk.get_by_role("link", name=plan_title).click()
    expect(clerk.get_by_role("link", name="Số hóa hồ sơ một cửa cấp xã")).to_be_visible()
    expect(clerk.get_by_role("button", name="Lưu chính sách")).to_have_count(0)

    leader = browsing.signed_in(OFFICE_LEADER)
    leader.goto(site.url(f"/plans/{plan_id}"))
    rules = leader.get_by_label("Phần đặt riêng cho kế hoạch (JSON)")
    rules.fill('{"before_working_days": [7, 2]')
    leader.get_by_role("button", name="Lưu chính sách").click()
    expect(leader.get_by_role("alert")).to_contain_text("Chưa đúng cú pháp JSON")
    expect(rules).to_have_value('{"before_working_days": [7, 2]')
    rules.fill('{"before_working_days": [7, 2]}')
    leader.get_by_role("button", name="Lưu chính sách").click()
    expect(leader.get_by_text("Đã lưu chính sách nhắc việc của kế hoạch.")).to_be_visible()

    leader.goto(site.url(f"/tasks/{task_id}"))
    leader.get_by_text("Chính sách nhắc việc của nhiệm vụ", exact=True).click()
    leader.get_by_label("Phần đặt riêng cho nhiệm vụ (JSON)").fill('{"on_due_day": false}')
    leader.get_by_role("button", name="Lưu chính sách nhắc việc").click()
    expect(leader.get_by_text("Đã lưu chính sách nhắc việc của nhiệm vụ.")).to_be_visible()
    with site.session() as session:
        effective = policy.effective_policy(session=session, task_id=task_id or 0)
    assert effective["before_working_days"] == [7, 2]
    assert effective["on_due_day"] is False


def test_the_pages_work_without_javascript(site: Site, browsing: Browsing) -> None:
    task_id = new_task(site, "Báo cáo kết quả tiêm chủng mở rộng quý IV")
    context = browsing.browser.new_context(
        java_script_enabled=False, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    browsing.contexts.append(context)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(site.url("/login"))
    sign_in(page, COMMUNE_OFFICER)
    page.get_by_role("link", name="Việc của tôi").click()
    expect(page).to_have_url(site.url("/my-tasks"))
    page.get_by_role("link", name="Báo cáo kết quả tiêm chủng mở rộng quý IV").click()
    expect(page).to_have_url(site.url(f"/tasks/{task_id}"))
    # The form's hidden field carries the CSRF token the cookie is compared with: no script.
    page.get_by_label("Nội dung tiến độ").fill("Đã tiêm cho 95% trẻ trong độ tuổi")
    page.get_by_label("Tỷ lệ hoàn thành (%)").fill("80")
    page.get_by_role("button", name="Gửi tiến độ").click()
    expect(page).to_have_url(site.url(f"/tasks/{task_id}"))
    expect(page.get_by_text("Đã ghi báo cáo tiến độ.")).to_be_visible()
    progress = page.locator("section", has=page.get_by_role("heading", name="Tiến độ thực hiện"))
    expect(progress).to_contain_text("Đã tiêm cho 95% trẻ trong độ tuổi")
    expect(progress).to_contain_text(f"{COMMUNE_OFFICER.full_name} – 80%")


def test_a_new_report_starts_at_the_latest_finished_period_and_is_regenerated(
    site: Site, browsing: Browsing
) -> None:
    today = clock.today()
    with site.session() as session:
        latest = periods.latest_finished(session=session, today=today)
    assert latest is not None and latest.end < today
    page = browsing.signed_in(OTHER_OFFICER)
    page.goto(site.url("/reports"))
    period = page.get_by_label("Kỳ báo cáo (theo Nghị định 09/2019/NĐ-CP)")
    expect(period).to_have_value(f"{latest.kind}:{latest.code}")
    page.get_by_label("Chữ viết tắt cơ quan ban hành").fill("UBND")
    page.get_by_role("button", name="Tạo dự thảo").click()
    expect(page.get_by_text("Đã tạo dự thảo báo cáo.")).to_be_visible()
    expect(page.get_by_text(f"Số liệu đến ngày {today:%d/%m/%Y}")).to_be_visible()

    as_of = page.get_by_label("Ngày lấy số liệu")
    before = latest.start - timedelta(days=1)
    as_of.fill(f"{before:%d/%m/%Y}")
    page.get_by_role("button", name="Tính lại số liệu").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Ngày lấy số liệu phải trong kỳ báo cáo và không sau hôm nay"
    )
    expect(as_of).to_have_value(f"{before:%d/%m/%Y}")
    # The texts form of the page keeps its own values beside the refused one.
    expect(page.get_by_role("button", name="Lưu và tạo lại dự thảo")).to_be_visible()
    as_of.fill(f"{latest.end:%d/%m/%Y}")
    page.get_by_role("button", name="Tính lại số liệu").click()
    expect(
        page.get_by_text(f"Đã tạo lại dự thảo với số liệu đến {latest.end:%d/%m/%Y}.")
    ).to_be_visible()
    expect(page.get_by_text(f"Số liệu đến ngày {latest.end:%d/%m/%Y}")).to_be_visible()


def test_the_new_pages_pass_axe_and_the_keyboard(site: Site, browsing: Browsing) -> None:
    checked: dict[str, list[Any]] = {}
    task_id = new_task(site, "Kiểm tra khả năng tiếp cận của các trang mới")
    leader = browsing.signed_in(OFFICE_LEADER)
    leader.goto(site.url(f"/tasks/{task_id}"))
    leader.get_by_text("Sửa nhiệm vụ", exact=True).click()
    leader.get_by_text("Chính sách nhắc việc của nhiệm vụ", exact=True).click()
    check_page(leader, checked)
    screenshot(leader, "task-edit-policy")
    leader.goto(site.url("/plans"))
    check_page(leader, checked)
    leader.get_by_role("link", name=site.plan_title).click()
    check_page(leader, checked)
    screenshot(leader, "plan-page")
    admin = browsing.signed_in(ADMIN)
    admin.goto(site.url("/admin"))
    admin.get_by_role("link", name=COMMUNE_OFFICER.username).click()
    check_page(admin, checked)
    screenshot(admin, "admin-user")
    admin.goto(site.url(f"/admin/units/{site.units['commune'].id}"))
    check_page(admin, checked)
    assert not [found for found in checked.values() if found], checked
