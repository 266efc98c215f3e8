"""Reach, forged posts and CSRF through the pages; the session cookie's flags."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from models import AuditEvent, ProgressUpdate, Task
from tests.web.conftest import (
    COMMUNE_OFFICER,
    OTHER_OFFICER,
    Browsing,
    Site,
    new_task,
)


def _state(site: Site, task_id: int) -> tuple[int, int, int, str]:
    """Row counts and the task's version and state: what a refused post must leave alone."""
    with site.session() as session:
        task = session.get(Task, task_id)
        assert task is not None
        return (
            session.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
            session.execute(select(func.count()).select_from(ProgressUpdate)).scalar_one(),
            task.version,
            task.state.value,
        )


def test_another_units_task_is_not_found_and_a_forged_post_changes_nothing(
    site: Site, browsing: Browsing
) -> None:
    task_id = new_task(site, "Kiểm tra hồ sơ đất đai tồn đọng của xã Tịnh Khê")
    page = browsing.signed_in(OTHER_OFFICER)
    response = page.goto(site.url(f"/tasks/{task_id}"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    expect(page.get_by_text("Kiểm tra hồ sơ đất đai")).to_have_count(0)

    # A forged post with a valid CSRF token of the officer's own session: still not found.
    page.goto(site.url("/account/password"))
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    before = _state(site, task_id)
    for path, form in [
        ("completion", {"completed_on": "2026-01-02", "result": "Giả mạo"}),
        ("progress", {"content": "Giả mạo"}),
        ("extension", {"proposed_due_on": "2099-01-01", "reason": "Giả mạo"}),
        ("cancel", {"reason": "Giả mạo"}),
    ]:
        answer = page.request.post(
            site.url(f"/tasks/{task_id}/{path}"),
            form={"csrf_token": token or "", "version": str(before[2]), **form},
            max_redirects=0,
        )
        assert answer.status == 404, (path, answer.status)
    assert _state(site, task_id) == before


def test_a_form_without_its_csrf_token_is_refused(site: Site, browsing: Browsing) -> None:
    task_id = new_task(site, "Cập nhật danh sách hộ nghèo năm nay")
    page = browsing.signed_in(COMMUNE_OFFICER)
    page.goto(site.url(f"/tasks/{task_id}"))
    before = _state(site, task_id)
    # The officer may report progress; the same post without the token is refused.
    answer = page.request.post(
        site.url(f"/tasks/{task_id}/progress"),
        form={"version": str(before[2]), "content": "Đã rà soát 120 hộ"},
        max_redirects=0,
    )
    assert answer.status == 403
    assert "Biểu mẫu đã hết hạn" in answer.text()
    wrong = page.request.post(
        site.url(f"/tasks/{task_id}/progress"),
        form={"csrf_token": "sai", "version": str(before[2]), "content": "Đã rà soát 120 hộ"},
        max_redirects=0,
    )
    assert wrong.status == 403
    assert _state(site, task_id) == before
    # With the page's own form, the same report goes through.
    page.get_by_label("Nội dung tiến độ").fill("Đã rà soát 120 hộ")
    page.get_by_role("button", name="Gửi tiến độ").click()
    expect(page.get_by_text("Đã ghi báo cáo tiến độ.")).to_be_visible()
    expect(page.get_by_text("Đã rà soát 120 hộ")).to_be_visible()


def test_session_cookie_is_httponly_lax_and_sign_out_ends_it(
    site: Site, browsing: Browsing
) -> None:
    page = browsing.signed_in(COMMUNE_OFFICER)
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["nhiemvu_session"]
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert cookies["nhiemvu_csrf"]["httpOnly"]
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(site.url("/my-tasks"))
    expect(page).to_have_url(re.compile(r"/login\?next=/my-tasks$"))


def test_unknown_and_malformed_addresses_are_the_404_page(site: Site, browsing: Browsing) -> None:
    page = browsing.signed_in(COMMUNE_OFFICER)
    for path in ("/khong-co-trang-nay", "/tasks/abc", "/tasks/99999999"):
        response = page.goto(site.url(path))
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    api = page.request.get(site.url("/api/v1/khong-co"))
    assert api.status == 404 and api.headers["content-type"].startswith("application/json")
