"""Bad input: the error next to its field in Vietnamese, a summary at the top, input kept."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from sqlalchemy import func, select
from sqlmodel import select as sqlmodel_select

from models import Task
from tests.web.conftest import (
    COMMUNE_OFFICER,
    OFFICE_LEADER,
    OFFICE_OFFICER,
    Browsing,
    Site,
    new_task,
)
from tests.web.test_scenario import annex


def test_wrong_password_is_told_next_to_the_field_and_the_username_kept(
    site: Site, browsing: Browsing
) -> None:
    page = browsing.page()
    page.goto(site.url("/login"))
    page.get_by_label("Tên đăng nhập").fill(OFFICE_OFFICER.username)
    page.get_by_label("Mật khẩu", exact=True).fill("không-phải-mật-khẩu")
    page.get_by_role("button", name="Đăng nhập").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Tên đăng nhập hoặc mật khẩu không đúng")
    expect(page.locator(".field-error")).to_have_text("Lỗi: Tên đăng nhập hoặc mật khẩu không đúng")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value(OFFICE_OFFICER.username)
    expect(page.get_by_label("Mật khẩu", exact=True)).to_have_value("")


def test_assign_form_errors_sit_next_to_their_fields_and_keep_the_input(
    site: Site, browsing: Browsing
) -> None:
    page = browsing.signed_in(OFFICE_OFFICER)
    page.goto(site.url("/assign"))
    page.get_by_label("Nội dung nhiệm vụ").fill("Kiểm tra công tác phòng, chống thiên tai")
    page.get_by_label("Trong số ngày làm việc").check()
    page.get_by_label("Số ngày (khi tính theo số ngày)").fill("không")
    page.get_by_role("button", name="Giao nhiệm vụ").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Chưa lưu được: cần sửa 2 chỗ")
    expect(summary.get_by_role("link", name="Chọn đơn vị chủ trì")).to_be_visible()
    amount = "Số ngày phải là số nguyên từ 1 đến 3650"
    expect(summary.get_by_role("link", name=amount)).to_be_visible()
    expect(page.get_by_label("Đơn vị chủ trì")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Nội dung nhiệm vụ")).to_have_value(
        "Kiểm tra công tác phòng, chống thiên tai"
    )
    expect(page.get_by_label("Trong số ngày làm việc")).to_be_checked()
    # The summary's link takes the keyboard to the field.
    summary.get_by_role("link", name="Chọn đơn vị chủ trì").click()
    expect(page.get_by_label("Đơn vị chủ trì")).to_be_focused()
    with site.session() as session:
        titles = [task.title for task in session.exec(sqlmodel_select(Task)).all()]
    assert "Kiểm tra công tác phòng, chống thiên tai" not in titles


def test_a_stale_form_says_who_changed_the_task_and_offers_to_reload(
    site: Site, browsing: Browsing
) -> None:
    task_id = new_task(site, "Báo cáo tình hình dịch bệnh trên gia súc")
    first = browsing.signed_in(COMMUNE_OFFICER)
    first.goto(site.url(f"/tasks/{task_id}"))
    leader = browsing.signed_in(OFFICE_LEADER)
    leader.goto(site.url(f"/tasks/{task_id}"))
    leader.get_by_text("Tạm dừng", exact=True).click()
    leader.get_by_label("Lý do tạm dừng").fill("Chờ hướng dẫn của Sở Nông nghiệp")
    leader.get_by_role("button", name="Tạm dừng nhiệm vụ").click()
    expect(leader.get_by_text("Đã tạm dừng nhiệm vụ.")).to_be_visible()
    leader.get_by_role("button", name="Tiếp tục thực hiện").click()
    expect(leader.get_by_text("Nhiệm vụ tiếp tục được thực hiện.")).to_be_visible()
    # The commune's page still shows the old version.
    first.get_by_label("Nội dung tiến độ").fill("Đã tiêm phòng cho 300 con gia súc")
    first.get_by_role("button", name="Gửi tiến độ").click()
    summary = first.get_by_role("alert")
    expect(summary).to_contain_text("Nguyễn Văn Minh đã cập nhật nhiệm vụ lúc")
    expect(summary).to_contain_text("(tiếp tục)")
    expect(summary.get_by_role("link", name="tải lại trang")).to_have_attribute(
        "href", f"/tasks/{task_id}"
    )
    expect(first.get_by_label("Nội dung tiến độ")).to_have_value(
        "Đã tiêm phòng cho 300 con gia súc"
    )


def test_an_annex_with_bad_rows_shows_every_error_and_saves_nothing(
    site: Site, browsing: Browsing, tmp_path: Path
) -> None:
    with site.session() as session:
        before = session.execute(select(func.count()).select_from(Task)).scalar_one()
    page = browsing.signed_in(OFFICE_OFFICER)
    page.goto(site.url("/import"))
    page.get_by_label("Kế hoạch").select_option(label=site.plan_title)
    page.get_by_label("Tệp phụ lục").set_input_files(
        annex(
            tmp_path,
            [
                ("Tuyên truyền phòng, chống cháy rừng", "UBND xã Tịnh Khê", "", "15 ngày"),
                ("", "UBND xã Tịnh Khê", "", "5 ngày làm việc"),
                ("Kiểm tra an toàn đập thủy lợi", "Xã Không Có", "", "31/02/2026"),
            ],
        )
    )
    page.get_by_role("button", name="Xem trước").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Tệp có 2 dòng lỗi; chưa nhiệm vụ nào được lưu")
    expect(summary).to_contain_text(
        "Dòng 5, cột «nội dung nhiệm vụ»: Nội dung nhiệm vụ không được để trống"
    )
    expect(summary).to_contain_text("không tìm thấy đơn vị «Xã Không Có»")
    expect(summary).to_contain_text("Ngày «31/02/2026» không tồn tại")
    expect(page.get_by_role("cell", name="Tuyên truyền phòng, chống cháy rừng")).to_be_visible()
    expect(page.get_by_role("button", name="Lưu 1 nhiệm vụ")).to_have_count(0)
    with site.session() as session:
        assert session.execute(select(func.count()).select_from(Task)).scalar_one() == before


def test_a_date_that_does_not_exist_is_told_and_kept(site: Site, browsing: Browsing) -> None:
    page = browsing.signed_in(OFFICE_LEADER)
    page.get_by_label("Tính đến ngày").fill("31/02/2026")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Ngày tính phải là một ngày có thật, ví dụ 25/12/2026"
    )
    expect(page.get_by_label("Tính đến ngày")).to_have_value("31/02/2026")
    page.get_by_label("Tính đến ngày").fill("30/06/2026")
    page.get_by_role("button", name="Xem").click()
    expect(page.get_by_text("Tính đến ngày 30/06/2026:")).to_be_visible()
