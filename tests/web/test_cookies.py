"""Behind HTTPS (a public address starting with https://) both cookies are Secure."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from api.app import create_app
from models import Role, UnitKind
from settings import get_settings
from tests.web.conftest import PASSWORD
from tests.world import SETUP, WorldBuilder


def test_cookies_are_secure_httponly_and_lax_behind_https(engine: Engine) -> None:
    with Session(engine) as session:
        build = WorldBuilder(session, actor=SETUP)
        unit = build.unit("XA-AN-PHU", "UBND xã An Phú", UnitKind.COMMUNE)
        build.user(
            "anphu.lan", full_name="Trần Thị Lan", unit=unit, role=Role.OFFICER, password=PASSWORD
        )
        session.commit()
    settings = get_settings().model_copy(
        update={"public_base_url": "https://nhiemvu.quangngai.gov.vn"}
    )
    client = TestClient(
        create_app(settings=settings, engine=engine), base_url="https://nhiemvu.quangngai.gov.vn"
    )
    page = client.get("/login")
    csrf_cookie = page.headers["set-cookie"].lower()
    assert csrf_cookie.startswith("nhiemvu_csrf=")
    assert "secure" in csrf_cookie and "httponly" in csrf_cookie and "samesite=lax" in csrf_cookie
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    signed_in = client.post(
        "/login",
        data={"csrf_token": token[1], "username": "anphu.lan", "password": PASSWORD},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    session_cookie = next(
        value.lower()
        for name, value in signed_in.headers.multi_items()
        if name == "set-cookie" and value.startswith("nhiemvu_session=")
    )
    assert "secure" in session_cookie and "httponly" in session_cookie
    assert "samesite=lax" in session_cookie
    assert client.get("/my-tasks").status_code == 200
