"""`nhiemvu demo` ends by saying how to open the pages and sign in as each demo user."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from api.app import create_app
from cli import app


def test_demo_prints_the_address_and_a_password_that_signs_in(engine: Engine) -> None:
    result = CliRunner().invoke(app, ["demo"])
    assert result.exit_code == 0, result.output
    assert "Giao diện web: chạy «make serve» (hoặc «nhiemvu serve») rồi mở http://" in result.output
    assert "/?as_of=02/11/2021" in result.output
    found = re.search(r"mật khẩu của lần chạy này: (\S+)", result.output)
    assert found, result.output
    assert re.search(r"^  vp\.tinh +Trần Thị Hoa — Chuyên viên, Văn phòng", result.output, re.M)
    assert re.search(
        r"^  ninh\.lv +Lê Văn Ninh — Lãnh đạo, Ủy ban nhân dân huyện Lý Sơn", result.output, re.M
    )
    client = TestClient(create_app(engine=engine))
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    signed_in = client.post(
        "/login",
        data={"csrf_token": token[1], "username": "ninh.lv", "password": found[1], "next": "/"},
        follow_redirects=True,
    )
    assert signed_in.status_code == 200
    assert "Tổng quan nhiệm vụ – Ủy ban nhân dân huyện Lý Sơn" in signed_in.text
    on_report_day = client.get("/?as_of=02/11/2021")
    # The report's five tasks and the three of the district's own plan the demo's reminders
    # are about (notifications.demo.add_fortnight_tasks).
    assert "Tính đến ngày 02/11/2021: <strong>8</strong> nhiệm vụ" in on_report_day.text
