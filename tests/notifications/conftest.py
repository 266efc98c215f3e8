"""Fixtures: a real SMTP server (aiosmtpd), a fake-but-real Zalo HTTP API, and a small world."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from models import ReminderItem, Role, Task, TaskState, Unit, UnitKind, User
from settings import get_settings
from tests.servers import SmtpServer, free_port
from tests.world import WorldBuilder


@pytest.fixture
def smtp_port(monkeypatch: pytest.MonkeyPatch) -> int:
    port = free_port()
    monkeypatch.setenv("NHIEMVU_SMTP_PORT", str(port))
    monkeypatch.setenv("NHIEMVU_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NHIEMVU_SMTP_FROM", "nhacviec@ubnd.example.vn")
    monkeypatch.setenv("NHIEMVU_ADMIN_EMAILS", "quantri@ubnd.example.vn")
    monkeypatch.setenv("NHIEMVU_NOTIFY_BACKOFF_SECONDS", "60")
    get_settings.cache_clear()
    return port


@pytest.fixture
def smtp(smtp_port: int) -> Iterator[SmtpServer]:
    server = SmtpServer(port=smtp_port)
    server.start()
    yield server
    server.release.set()
    server.stop()


# --- a fake Zalo API, behaving as docs/domain.md#zalo documents it --------------------------


@dataclass
class ZaloState:
    access_tokens: set[str] = field(default_factory=lambda: {"AT-1"})
    refresh_tokens: set[str] = field(default_factory=lambda: {"RT-1"})
    secret_key: str = "SECRET"
    app_id: str = "APP"
    refuse_refresh: bool = False
    error_for_user: dict[str, tuple[int, str]] = field(default_factory=dict)
    # Who does not follow the Official Account (Zalo answers -213 to any message to them),
    # and the days since a person last messaged it, when that matters: a consultation
    # message (…/message/cs) more than 7 days after it is refused with -230.
    not_following: set[str] = field(default_factory=set)
    days_since_interaction: dict[str, int] = field(default_factory=dict)
    status_for_user: dict[str, int] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    refreshes: int = 0
    counter: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)


class _ZaloHandler(BaseHTTPRequestHandler):
    state: ZaloState

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _answer(self, status: int, data: Any) -> None:
        raw = json.dumps(data).encode() if not isinstance(data, bytes) else data
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        state = self.state
        with state.lock:
            if self.path == "/v4/oa/access_token":
                form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                ok = (
                    not state.refuse_refresh
                    and self.headers.get("secret_key") == state.secret_key
                    and form.get("app_id") == state.app_id
                    and form.get("grant_type") == "refresh_token"
                    and form.get("refresh_token") in state.refresh_tokens
                )
                if not ok:
                    self._answer(
                        200,
                        {
                            "error": -14014,
                            "error_name": "Invalid refresh token",
                            "error_description": "refresh token is invalid",
                        },
                    )
                    return
                state.refreshes += 1
                state.counter += 1
                state.refresh_tokens.discard(form["refresh_token"])  # single use
                state.access_tokens.clear()
                access, refresh = f"AT-{state.counter}", f"RT-{state.counter}"
                state.access_tokens.add(access)
                state.refresh_tokens.add(refresh)
                self._answer(
                    200, {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}
                )
                return
            if self.path not in (
                "/v3.0/oa/message/cs",
                "/v3.0/oa/message/transaction",
                "/message/template",
            ):
                self._answer(404, {"error": 404, "message": "not found"})
                return
            if self.headers.get("access_token") not in state.access_tokens:
                self._answer(200, {"error": -216, "message": "Access token is invalid"})
                return
            body = json.loads(raw)
            who = body.get("recipient", {}).get("user_id") or body.get("phone")
            if who in state.status_for_user:
                self._answer(state.status_for_user[who], b"<html>server error</html>")
                return
            if who in state.not_following and self.path != "/message/template":
                self._answer(200, {"error": -213, "message": "User has not followed the OA"})
                return
            if self.path == "/v3.0/oa/message/cs" and state.days_since_interaction.get(who, 0) > 7:
                self._answer(
                    200,
                    {
                        "error": -230,
                        "message": "User has not interacted with the OA in the last 7 days",
                    },
                )
                return
            if who in state.error_for_user:
                code, message = state.error_for_user[who]
                self._answer(200, {"error": code, "message": message})
                return
            state.messages.append({"path": self.path, **body})
            self._answer(
                200,
                {
                    "error": 0,
                    "message": "Success",
                    "data": {"message_id": f"m{len(state.messages)}"},
                },
            )


@pytest.fixture
def zalo_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, ZaloState]]:
    state = ZaloState()
    handler = type("Handler", (_ZaloHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("NHIEMVU_ZALO_API_BASE", base)
    monkeypatch.setenv("NHIEMVU_ZALO_OAUTH_BASE", base)
    monkeypatch.setenv("NHIEMVU_ZNS_API_BASE", base)
    monkeypatch.setenv("NHIEMVU_ZALO_APP_SECRET", state.secret_key)
    get_settings.cache_clear()
    yield base, state
    server.shutdown()
    server.server_close()


# --- a small world: a province, its office, two departments, people with email channels ----

AS_OF = date(2026, 3, 9)  # a Monday


def planned_steps(session: Session, as_of: date) -> set[tuple[str, str, str]]:
    """(task title, step, recipient's name) of the items planned on as_of, as written (a real
    run keeps no list of them)."""
    rows = session.exec(
        select(Task.title, ReminderItem.step, User.full_name)
        .join(Task, col(Task.id) == col(ReminderItem.task_id))
        .join(User, col(User.id) == col(ReminderItem.recipient_user_id))
        .where(col(ReminderItem.planned_on) == as_of)
    ).all()
    return {(title, step, name) for title, step, name in rows}


@dataclass
class World:
    province: Unit
    office: Unit
    dept_a: Unit
    dept_b: Unit
    officer_a: User
    leader_a: User
    officer_b: User
    office_officer: User
    tasks: dict[str, Task]


ASSIGNED_ON = date(2026, 1, 5)


@pytest.fixture
def world(engine: Engine, smtp_port: int) -> World:
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session)
        province = build.unit("UBND", "Ủy ban nhân dân tỉnh Quảng Ngãi", UnitKind.PROVINCE)
        office = build.unit("VP", "Văn phòng UBND tỉnh", UnitKind.OFFICE, parent=province)
        dept_a = build.unit(
            "SKHCN", "Sở Khoa học và Công nghệ", UnitKind.DEPARTMENT, parent=province
        )
        dept_b = build.unit("STC", "Sở Tài chính", UnitKind.DEPARTMENT, parent=province)
        officer_a = build.user(
            "an",
            full_name="Nguyễn Văn An",
            unit=dept_a,
            role=Role.OFFICER,
            email="an@skhcn.example.vn",
            title="Chuyên viên",
        )
        leader_a = build.user(
            "binh",
            full_name="Trần Thị Bình",
            unit=dept_a,
            role=Role.LEADER,
            email="binh@skhcn.example.vn",
            title="Giám đốc Sở",
        )
        officer_b = build.user(
            "cuong",
            full_name="Lê Văn Cường",
            unit=dept_b,
            role=Role.OFFICER,
            email="cuong@stc.example.vn",
        )
        office_officer = build.user(
            "dung",
            full_name="Phạm Thị Dung",
            unit=office,
            role=Role.OFFICER,
            email="dung@vp.example.vn",
        )

        def task(title: str, due: date, **more: Any) -> Task:
            return build.task(
                title, due=due, lead=dept_a, issuer=province, assigned_on=ASSIGNED_ON, **more
            )

        tasks = {
            "before3": task(
                "Xây dựng kế hoạch chuyển đổi số năm 2026",
                date(2026, 3, 12),
                coordinators=(dept_b,),
            ),
            "before1": task("Báo cáo kết quả đề án đổi mới sáng tạo", date(2026, 3, 10)),
            "due": task("Tổng hợp ý kiến góp ý dự thảo Nghị quyết", date(2026, 3, 9)),
            "overdue1": task("Rà soát thủ tục hành chính lĩnh vực KH&CN", date(2026, 3, 6)),
            "overdue11": task("Đánh giá tiềm lực khoa học của tỉnh", date(2026, 2, 13)),
            "quiet": task("Nhiệm vụ còn 2 ngày, không nhắc", date(2026, 3, 11)),
            "done": task("Nhiệm vụ đã hoàn thành", date(2026, 3, 10), state=TaskState.DONE),
        }
        session.commit()
        return World(
            province, office, dept_a, dept_b, officer_a, leader_a, officer_b, office_officer, tasks
        )
