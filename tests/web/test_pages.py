"""The pages around the scenario: the filtered list with htmx, reminders, administration."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import expect

from tests.web.conftest import (
    ADMIN,
    COMMUNE_OFFICER,
    OFFICE_LEADER,
    OFFICE_OFFICER,
    OTHER_OFFICER,
    PASSWORD,
    Browsing,
    Person,
    Site,
    check_page,
    new_task,
    sign_in,
)


def test_filters_refresh_the_results_in_place_and_the_address_keeps_them(
    site: Site, browsing: Browsing
) -> None:
    new_task(site, "Thống kê diện tích lúa bị ngập úng")
    new_task(site, "Lập danh sách hộ cần hỗ trợ sau bão", lead="other")
    page = browsing.signed_in(OFFICE_OFFICER)
    page.goto(site.url("/tasks"))
    page.evaluate("() => { window.samePage = true; }")
    page.get_by_text("Lọc danh sách").click()
    page.get_by_label("Đơn vị thực hiện").select_option(label="UBND xã Nghĩa Hành")
    expect(page).to_have_url(re.compile(r"unit=\d+"))
    expect(page.get_by_role("link", name="Lập danh sách hộ cần hỗ trợ sau bão")).to_be_visible()
    expect(page.get_by_role("link", name="Thống kê diện tích lúa bị ngập úng")).to_have_count(0)
    assert page.evaluate("() => window.samePage === true")  # htmx swapped, no reload
    # The search box ignores diacritics and case; under three letters it says why.
    page.get_by_label("Từ khóa").fill("LAP DANH SACH ho")
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(page.get_by_role("link", name="Lập danh sách hộ cần hỗ trợ sau bão")).to_be_visible()
    page.get_by_label("Từ khóa").fill("ab")
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(page.get_by_text("Từ khóa tìm kiếm cần ít nhất 3 ký tự").first).to_be_visible()
    page.get_by_label("Từ khóa").fill("không có nhiệm vụ này")
    page.get_by_role("button", name="Lọc", exact=True).click()
    expect(page.get_by_text("Không có nhiệm vụ nào khớp với điều kiện lọc.")).to_be_visible()
    # The same address, opened anew (no JavaScript state), shows the same filtered list.
    again = browsing.signed_in(OFFICE_OFFICER)
    again.goto(page.url)
    expect(again.get_by_text("Không có nhiệm vụ nào khớp với điều kiện lọc.")).to_be_visible()
    with again.expect_download() as download:
        again.get_by_role("link", name="Tải danh sách (Excel)").click()
    assert download.value.suggested_filename == "nhiem-vu.xlsx"


def test_an_officer_tests_their_own_channel_and_the_mail_arrives(
    site: Site, browsing: Browsing
) -> None:
    checked: dict[str, list[Any]] = {}
    page = browsing.signed_in(COMMUNE_OFFICER)
    page.get_by_role("link", name="Nhắc việc").click()
    expect(page.get_by_role("heading", name="Kênh nhận nhắc việc của tôi")).to_be_visible()
    check_page(page, checked)
    before = len(site.mailbox.to(COMMUNE_OFFICER.email))
    page.get_by_role("button", name="Gửi thử").click()
    expect(page.get_by_text(re.compile("Đã gửi tin thử tới"))).to_be_visible()
    received = site.mailbox.to(COMMUNE_OFFICER.email)
    assert len(received) == before + 1
    assert received[-1].subject == "[Nhắc việc] Thử kênh nhắc việc"
    # A bad address is told next to the field, the input kept.
    page.get_by_label("Địa chỉ nhận nhắc việc (mỗi dòng một địa chỉ)").fill("không-phải-địa-chỉ")
    page.get_by_role("button", name="Lưu các kênh").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("Địa chỉ nhận nhắc việc (mỗi dòng một địa chỉ)")).to_have_value(
        "không-phải-địa-chỉ"
    )
    assert not [found for found in checked.values() if found], checked


def test_the_administrator_sets_a_day_and_the_reminder_policy(
    site: Site, browsing: Browsing
) -> None:
    checked: dict[str, list[Any]] = {}
    page = browsing.signed_in(ADMIN)
    page.get_by_role("link", name="Quản trị").click()
    expect(page.get_by_role("heading", name="Đơn vị", exact=True)).to_be_visible()
    expect(page.locator(".tree")).to_contain_text("UBND xã Tịnh Khê")
    expect(page.get_by_role("cell", name=COMMUNE_OFFICER.username, exact=True)).to_be_visible()
    check_page(page, checked)
    page.get_by_label("Tên đăng nhập").fill("tinhkhe.an")
    page.get_by_label("Họ và tên").fill("Huỳnh Văn An")
    page.get_by_role("combobox", name="Đơn vị", exact=True).select_option(label="UBND xã Tịnh Khê")
    page.get_by_label("Mật khẩu ban đầu").fill("tinhkhe.an-2026")
    page.get_by_role("button", name="Thêm người dùng").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Mật khẩu không được trùng hoặc chứa tên đăng nhập"
    )
    expect(page.get_by_label("Họ và tên")).to_have_value("Huỳnh Văn An")
    page.get_by_label("Mật khẩu ban đầu").fill(PASSWORD)
    page.get_by_role("button", name="Thêm người dùng").click()
    expect(page.get_by_text("Đã thêm người dùng «tinhkhe.an».")).to_be_visible()
    expect(page.get_by_role("row", name="tinhkhe.an")).to_contain_text("Đang dùng")
    newcomer = browsing.signed_in(Person("tinhkhe.an", "Huỳnh Văn An"))
    expect(newcomer.get_by_text("tinhkhe.an · Chuyên viên · UBND xã Tịnh Khê")).to_be_visible()
    page.get_by_role("button", name="Khóa tinhkhe.an").click()
    expect(page.get_by_text("Đã khóa tài khoản «tinhkhe.an».")).to_be_visible()
    newcomer.goto(site.url("/my-tasks"))
    expect(newcomer).to_have_url(re.compile(r"/login\?next=/my-tasks$"))
    year = date.today().year + 1
    saturday = date(year, 3, 7) + timedelta(days=(5 - date(year, 3, 7).weekday()) % 7)
    page.get_by_label("Ngày", exact=True).fill(f"{saturday:%d/%m/%Y}")
    page.get_by_label("Ngày làm việc (làm bù)").check()
    page.get_by_role("button", name="Lưu ngày").click()
    expect(page.get_by_role("alert")).to_contain_text("Nhập ghi chú")
    expect(page.get_by_label("Ngày làm việc (làm bù)")).to_be_checked()
    page.get_by_label("Ghi chú").fill("Làm bù cho ngày nghỉ Giỗ Tổ")
    page.get_by_role("button", name="Lưu ngày").click()
    expect(page.get_by_text(f"Đã lưu ngày {saturday:%d/%m/%Y}.")).to_be_visible()
    expect(page.get_by_role("row", name=f"{saturday:%d/%m/%Y}")).to_contain_text(
        "Làm việc (làm bù)"
    )
    check_page(page, checked)

    page.get_by_role("link", name="Nhắc việc").first.click()
    rules = page.get_by_label("Phần đặt riêng (JSON)")
    rules.fill('{"before_working_days": [5, 3, 1')
    page.get_by_role("button", name="Lưu chính sách").click()
    expect(page.get_by_role("alert")).to_contain_text("Chưa đúng cú pháp JSON")
    expect(rules).to_have_value('{"before_working_days": [5, 3, 1')
    rules.fill('{"before_working_days": [5, 3, 1]}')
    page.get_by_role("button", name="Lưu chính sách").click()
    expect(page.get_by_text("Đã lưu chính sách nhắc việc chung.")).to_be_visible()
    expect(page.locator("pre.code")).to_contain_text("5,")
    check_page(page, checked)
    assert not [found for found in checked.values() if found], checked


def test_changing_the_password_ends_the_other_sessions(site: Site, browsing: Browsing) -> None:
    elsewhere = browsing.signed_in(OTHER_OFFICER)
    page = browsing.signed_in(OTHER_OFFICER)
    page.get_by_role("link", name="Đổi mật khẩu").click()
    page.get_by_label("Mật khẩu hiện tại").fill(PASSWORD)
    page.get_by_label("Mật khẩu mới", exact=True).fill("ngan")
    page.get_by_label("Nhập lại mật khẩu mới").fill("ngan")
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_role("alert")).to_contain_text("Mật khẩu phải có từ 8")
    new_password = "Nghia-Hanh-doi-mat-khau-2026"
    page.get_by_label("Mật khẩu hiện tại").fill(PASSWORD)
    page.get_by_label("Mật khẩu mới", exact=True).fill(new_password)
    page.get_by_label("Nhập lại mật khẩu mới").fill(new_password)
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_text("Đã đổi mật khẩu.")).to_be_visible()
    page.get_by_role("link", name="Việc của tôi").click()
    expect(page.get_by_role("heading", name="Việc của tôi")).to_be_visible()
    # The other browser's session ended with the old password.
    elsewhere.goto(site.url("/my-tasks"))
    expect(elsewhere).to_have_url(re.compile(r"/login\?next=/my-tasks$"))
    # Put the shared test password back for the other tests.
    page.get_by_role("link", name="Đổi mật khẩu").click()
    page.get_by_label("Mật khẩu hiện tại").fill(new_password)
    page.get_by_label("Mật khẩu mới", exact=True).fill(PASSWORD)
    page.get_by_label("Nhập lại mật khẩu mới").fill(PASSWORD)
    page.get_by_role("button", name="Đổi mật khẩu").click()
    expect(page.get_by_text("Đã đổi mật khẩu.")).to_be_visible()
    sign_in(elsewhere, OTHER_OFFICER)
    expect(elsewhere.get_by_role("heading", name="Việc của tôi")).to_be_visible()


def test_the_office_leader_issues_a_draft_report(site: Site, browsing: Browsing) -> None:
    officer = browsing.signed_in(OFFICE_OFFICER)
    officer.get_by_role("link", name="Báo cáo").click()
    period = officer.get_by_label("Kỳ báo cáo (theo Nghị định 09/2019/NĐ-CP)")
    month = period.locator("option", has_text=re.compile(r"^tháng")).first
    period.select_option(value=month.get_attribute("value"))
    officer.get_by_label("Chữ viết tắt cơ quan ban hành").fill("VP")
    officer.get_by_role("button", name="Tạo dự thảo").click()
    officer.get_by_label("Kiến nghị, đề xuất").fill("Đề nghị bổ sung biên chế công chức cấp xã.")
    officer.get_by_label("Tồn tại, hạn chế, khó khăn").fill("Một số xã cập nhật tiến độ chậm.")
    officer.get_by_label("Định hướng nhiệm vụ, giải pháp").fill("Đôn đốc các xã báo cáo đúng hạn.")
    officer.get_by_label("Chức vụ người ký (ví dụ: PHÓ CHỦ TỊCH)").fill("CHÁNH VĂN PHÒNG")
    officer.get_by_label("Họ và tên người ký").fill("Nguyễn Văn Minh")
    officer.get_by_role("button", name="Lưu và tạo lại dự thảo").click()
    expect(officer.get_by_text("Đã lưu các phần của báo cáo.")).to_be_visible()
    expect(officer.locator(".document-preview")).to_contain_text(
        "Đề nghị bổ sung biên chế công chức cấp xã."
    )
    # Officers draft; only a leader sees the issuing form.
    expect(officer.get_by_role("button", name="Ban hành báo cáo")).to_have_count(0)
    leader = browsing.signed_in(OFFICE_LEADER)
    leader.goto(officer.url)
    leader.get_by_role("button", name="Ban hành báo cáo").click()
    expect(leader.get_by_text("Đã ban hành báo cáo.")).to_be_visible()
    expect(leader.get_by_text(re.compile(r"Số \d+/BC-VP"))).to_be_visible()
    expect(leader.get_by_role("button", name="Lưu và tạo lại dự thảo")).to_have_count(0)
