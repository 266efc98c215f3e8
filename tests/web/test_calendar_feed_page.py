"""The private calendar address from the web: created, subscribed to with no session,
revoked; in Chromium against the real server."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import icalendar
from playwright.sync_api import expect

from tests.web.conftest import COMMUNE_OFFICER, Browsing, Site, check_page, new_task


def test_an_officer_subscribes_to_the_units_deadlines_then_revokes(
    site: Site, browsing: Browsing
) -> None:
    task_id = new_task(site, "Kiểm tra an toàn hồ chứa nước trước mùa mưa bão")
    page = browsing.signed_in(COMMUNE_OFFICER)
    page.get_by_role("link", name="Lịch trên điện thoại").click()
    expect(page.get_by_role("heading", name="Lịch hạn nhiệm vụ trên điện thoại")).to_be_visible()
    expect(page.get_by_text("Bạn chưa có địa chỉ lịch.")).to_be_visible()

    page.get_by_role("button", name="Tạo địa chỉ lịch").click()
    address = page.get_by_label("Địa chỉ lịch của bạn")
    url = address.input_value()
    checked: dict[str, list[object]] = {}
    check_page(page, checked)
    assert checked == {"/account/calendar": []}
    feed = site.url(urlsplit(url).path)  # the site runs on its own port, not the public one

    # A calendar application has no session: the address alone opens the calendar.
    answer = httpx.get(feed)
    assert answer.status_code == 200
    calendar = icalendar.Calendar.from_ical(answer.content)
    assert str(calendar["x-wr-calname"]) == "Hạn nhiệm vụ — UBND xã Tịnh Khê"
    assert f"task-{task_id}@127.0.0.1" in {str(e["uid"]) for e in calendar.walk("VEVENT")}

    page.goto(site.url("/account/calendar"))
    expect(page.get_by_label("Địa chỉ lịch của bạn")).to_have_count(0)  # shown once only
    page.get_by_role("button", name="Thu hồi địa chỉ lịch").click()
    expect(page.get_by_text("Đã thu hồi địa chỉ lịch")).to_be_visible()
    expect(page.get_by_role("button", name="Tạo địa chỉ lịch")).to_be_visible()
    assert httpx.get(feed).status_code == 404
