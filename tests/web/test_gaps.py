"""The forms added after the first web release: editing a task, units and users, reminder
policies of a plan and a task, and the pages with JavaScript turned off."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import (
    COMMUNE_OFFICER,
    OFFICE_LEADER,
    OFFICE_OFFICER,
    Browsing,
    Site,
    new_task,
)


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
