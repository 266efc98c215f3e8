"""Files sent with a progress report, a completion report or an extension request, through the
pages in a real browser: chosen in the form, refused at their field when they are not what
they claim, listed on the task page and downloaded within reach only; an upload cut off midway
against the running server leaves nothing."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import func, select

from models import Attachment, ProgressUpdate, Task, TaskState
from tests import samples
from tests.web.conftest import (
    COMMUNE_OFFICER,
    OFFICE_OFFICER,
    OTHER_OFFICER,
    Browsing,
    Site,
    check_page,
    new_task,
)


def attachments_folder(site: Site) -> Path:
    """The site's data folder sits beside its SQLite database (tests/web/conftest.py)."""
    database = site.engine.url.database
    assert database is not None
    return Path(database).parent / "data" / "attachments"


def files_on_disk(site: Site) -> list[Path]:
    root = attachments_folder(site)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def attachments_of(site: Site, task_id: int) -> list[Attachment]:
    with site.session() as session:
        return list(
            session.execute(select(Attachment).where(Attachment.task_id == task_id)).scalars()
        )


def choose(page: Page | Locator, label: str, name: str, content: bytes, mime: str) -> None:
    page.get_by_label(label).set_input_files({"name": name, "mimeType": mime, "buffer": content})


def test_a_progress_report_with_its_file_is_listed_and_downloaded_within_reach(
    site: Site, browsing: Browsing
) -> None:
    checked: dict[str, list[Any]] = {}
    task_id = new_task(site, "Số hóa hồ sơ hộ tịch của xã Tịnh Khê")
    page = browsing.signed_in(COMMUNE_OFFICER)
    page.goto(site.url(f"/tasks/{task_id}"))
    check_page(page, checked)
    progress = page.locator("form[action$='/progress']")
    progress.get_by_label("Nội dung tiến độ").fill("Đã số hóa 1.200 trang sổ hộ tịch")
    choose(progress, "Tệp kèm theo", "Biên bản số hóa đợt 1.pdf", samples.PDF, "application/pdf")
    progress.get_by_role("button", name="Gửi tiến độ").click()
    expect(page.get_by_text("Đã ghi báo cáo tiến độ.")).to_be_visible()
    files = page.get_by_role("region", name="Tệp đính kèm")
    link = files.get_by_role("link", name="Biên bản số hóa đợt 1.pdf")
    expect(link).to_be_visible()
    expect(files).to_contain_text("Báo cáo tiến độ ngày")
    expect(page.get_by_role("region", name="Nhật ký thay đổi")).to_contain_text("Đính kèm tệp")
    check_page(page, checked)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "Biên-bản-số-hóa-đợt-1.pdf"
    assert Path(download.value.path()).read_bytes() == samples.PDF

    # The issuing office reads it too; another commune gets "not found", as for the task.
    [attachment] = attachments_of(site, task_id)
    address = site.url(f"/tasks/{task_id}/attachments/{attachment.id}")
    office = browsing.signed_in(OFFICE_OFFICER)
    answer = office.request.get(address)
    assert answer.status == 200
    assert answer.body() == samples.PDF
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"].startswith("attachment; ")
    outsider = browsing.signed_in(OTHER_OFFICER)
    refused = outsider.request.get(address)
    assert refused.status == 404
    assert "Biên bản" not in refused.text()
    assert not [found for found in checked.values() if found], checked


def test_a_disguised_program_is_refused_at_its_field_and_nothing_is_reported(
    site: Site, browsing: Browsing
) -> None:
    task_id = new_task(site, "Báo cáo kết quả rà soát hộ nghèo năm 2026")
    page = browsing.signed_in(COMMUNE_OFFICER)
    page.goto(site.url(f"/tasks/{task_id}"))
    completion = page.locator("form[action$='/completion']")
    completion.get_by_label("Kết quả thực hiện").fill("Đã rà soát 412 hộ, ban hành QĐ 15/QĐ-UBND")
    choose(
        completion,
        "Tệp kèm theo (văn bản đã ký, bản chụp)",
        "Quyết định 15.pdf",
        samples.EXECUTABLE,
        "application/pdf",
    )
    completion.get_by_role("button", name="Gửi báo cáo hoàn thành").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Chưa lưu được: cần sửa 1 chỗ")
    message = summary.get_by_role("link", name="Tệp phải là PDF")
    expect(message).to_be_visible()
    field = page.get_by_label("Tệp kèm theo (văn bản đã ký, bản chụp)")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field-error")).to_contain_text("Hãy chọn lại tệp")
    expect(page.get_by_label("Kết quả thực hiện")).to_have_value(
        "Đã rà soát 412 hộ, ban hành QĐ 15/QĐ-UBND"
    )
    message.click()
    expect(field).to_be_focused()
    with site.session() as session:
        task = session.get(Task, task_id)
        assert task is not None and task.state == TaskState.OPEN
    assert attachments_of(site, task_id) == []

    # The signed decision itself goes through, with the report.
    choose(
        page.locator("form[action$='/completion']"),
        "Tệp kèm theo (văn bản đã ký, bản chụp)",
        "Quyết định 15.docx",
        samples.docx("Quyết định số 15/QĐ-UBND"),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    page.get_by_role("button", name="Gửi báo cáo hoàn thành").click()
    expect(page.get_by_text("Đã báo cáo hoàn thành")).to_be_visible()
    files = page.get_by_role("region", name="Tệp đính kèm")
    expect(files.get_by_role("link", name="Quyết định 15.docx")).to_be_visible()
    expect(files).to_contain_text("Báo cáo hoàn thành")
    [attachment] = attachments_of(site, task_id)
    assert attachment.content_type.endswith("wordprocessingml.document")


def test_an_extension_request_carries_its_file(site: Site, browsing: Browsing) -> None:
    task_id = new_task(site, "Lập hồ sơ cấp giấy chứng nhận quyền sử dụng đất đợt 2")
    page = browsing.signed_in(COMMUNE_OFFICER)
    page.goto(site.url(f"/tasks/{task_id}"))
    extension = page.locator("form[action$='/extension']")
    extension.get_by_label("Thời hạn đề xuất").fill("30/12/2099")
    extension.get_by_label("Lý do xin gia hạn").fill("Chờ kết quả đo đạc của Văn phòng đăng ký")
    choose(
        extension, "Tệp kèm theo", "Lịch đo đạc.xlsx", samples.xlsx(), "application/vnd.ms-excel"
    )
    extension.get_by_role("button", name="Gửi đề nghị gia hạn").click()
    expect(page.get_by_text("Đã gửi đề nghị gia hạn.")).to_be_visible()
    files = page.get_by_role("region", name="Tệp đính kèm")
    expect(files.get_by_role("link", name="Lịch đo đạc.xlsx")).to_be_visible()
    expect(files).to_contain_text("Đề nghị gia hạn ngày")


def test_an_upload_cut_off_midway_leaves_nothing(site: Site, browsing: Browsing) -> None:
    """A browser's form post whose connection closes halfway through the file, against the
    session's running server: no report, no attachment, no file."""
    task_id = new_task(site, "Tổng hợp ý kiến cử tri trước kỳ họp")
    page = browsing.signed_in(COMMUNE_OFFICER)
    page.goto(site.url(f"/tasks/{task_id}"))
    token = page.locator("form[action$='/progress'] input[name=csrf_token]").get_attribute("value")
    version = page.locator("form[action$='/progress'] input[name=version]").get_attribute("value")
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    with site.session() as session:
        progress_before = session.execute(
            select(func.count()).select_from(ProgressUpdate)
        ).scalar_one()
    files_before = files_on_disk(site)
    boundary = "----nhiemvu-cut"
    fields = {"csrf_token": token or "", "version": version or "", "content": "Đã tổng hợp"}
    head = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        ).encode()
        + (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="y-kien.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
    )
    announced = 3 * 1024 * 1024
    port = int(site.base.rsplit(":", 1)[1])
    request = (
        f"POST /tasks/{task_id}/progress HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: {cookies}\r\nOrigin: {site.base}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(head) + announced + len(boundary) + 8}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request + head + samples.PDF + b"%" * (1536 * 1024))
        connection.settimeout(1.0)
        with pytest.raises(TimeoutError):  # the server waits for the rest of the body
            connection.recv(1)
    # The page still works, and nothing of the cut upload is anywhere.
    page.reload()
    expect(page.get_by_role("region", name="Tệp đính kèm")).to_contain_text("Chưa có tệp đính kèm.")
    with site.session() as session:
        assert (
            session.execute(select(func.count()).select_from(ProgressUpdate)).scalar_one()
            == progress_before
        )
    assert attachments_of(site, task_id) == []
    assert files_on_disk(site) == files_before
