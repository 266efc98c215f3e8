"""Fixtures: a real SMTP server (aiosmtpd), a fake-but-real Zalo HTTP API, and a small world."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import Session

from models import (
    AssignmentRole,
    ChannelKind,
    ContactChannel,
    DeadlineKind,
    Role,
    Task,
    TaskAssignment,
    TaskState,
    Unit,
    UnitKind,
    User,
)
from settings import get_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    envelope_to: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(make_header(decode_header(self.message["Subject"])))

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def text(self) -> str:
        for part in self.message.walk():
            if part.get_content_type() == "text/plain":
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode(part.get_content_charset() or "utf-8").replace("\r\n", "\n")
        raise AssertionError("no text/plain part")


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1; `hold_at=n` parks the n-th DATA until released and drops it."""

    port: int
    received: list[Received] = field(default_factory=list)
    hold_at: int | None = None
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    data_count: int = 0
    controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_count += 1
        if self.hold_at is not None and self.data_count == self.hold_at:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            # The client is gone: the message was never accepted, so it is not counted.
            return "451 4.3.0 aborted"
        self.received.append(Received(list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.envelope_to]


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
                ok = (not state.refuse_refresh
                      and self.headers.get("secret_key") == state.secret_key
                      and form.get("app_id") == state.app_id
                      and form.get("grant_type") == "refresh_token"
                      and form.get("refresh_token") in state.refresh_tokens)
                if not ok:
                    self._answer(200, {"error": -14014, "error_name": "Invalid refresh token",
                                       "error_description": "refresh token is invalid"})
                    return
                state.refreshes += 1
                state.counter += 1
                state.refresh_tokens.discard(form["refresh_token"])  # single use
                state.access_tokens.clear()
                access, refresh = f"AT-{state.counter}", f"RT-{state.counter}"
                state.access_tokens.add(access)
                state.refresh_tokens.add(refresh)
                self._answer(200, {"access_token": access, "refresh_token": refresh,
                                   "expires_in": "90000"})
                return
            if self.path not in ("/v3.0/oa/message/cs", "/v3.0/oa/message/transaction",
                                 "/message/template"):
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
            if who in state.error_for_user:
                code, message = state.error_for_user[who]
                self._answer(200, {"error": code, "message": message})
                return
            state.messages.append({"path": self.path, **body})
            self._answer(200, {"error": 0, "message": "Success",
                               "data": {"message_id": f"m{len(state.messages)}"}})


@pytest.fixture
def zalo_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, ZaloState]]:
    state = ZaloState()
    handler = type("Handler", (_ZaloHandler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
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


def _unit(session: Session, code: str, name: str, kind: UnitKind, parent: Unit | None) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    return unit


def _user(session: Session, username: str, name: str, unit: Unit, role: Role,
          email: str, title: str = "") -> User:
    user = User(username=username, full_name=name, unit_id=unit.id or 0, role=role, title=title)
    session.add(user)
    session.flush()
    session.add(ContactChannel(user_id=user.id or 0, kind=ChannelKind.EMAIL,
                               url=f"mailto:{email}"))
    return user


def make_task(session: Session, *, title: str, due: date, lead: Unit, issuer: Unit,
              coordinators: tuple[Unit, ...] = (), state: TaskState = TaskState.OPEN,
              assigned_on: date = date(2026, 1, 5), plan_id: int | None = None) -> Task:
    task = Task(title=title, issuer_unit_id=issuer.id or 0, lead_unit_id=lead.id or 0,
                assigned_on=assigned_on, deadline_kind=DeadlineKind.DATE, original_due_on=due,
                due_on=due, state=state, plan_id=plan_id)
    session.add(task)
    session.flush()
    session.add(TaskAssignment(task_id=task.id or 0, unit_id=lead.id or 0,
                               role=AssignmentRole.LEAD, assigned_on=assigned_on))
    for unit in coordinators:
        session.add(TaskAssignment(task_id=task.id or 0, unit_id=unit.id or 0,
                                   role=AssignmentRole.COORDINATE, assigned_on=assigned_on))
    session.flush()
    return task


@pytest.fixture
def world(engine: Engine, smtp_port: int) -> World:
    with Session(engine, expire_on_commit=False) as session:
        province = _unit(session, "UBND", "Ủy ban nhân dân tỉnh Quảng Ngãi", UnitKind.PROVINCE,
                         None)
        office = _unit(session, "VP", "Văn phòng UBND tỉnh", UnitKind.OFFICE, province)
        dept_a = _unit(session, "SKHCN", "Sở Khoa học và Công nghệ", UnitKind.DEPARTMENT,
                       province)
        dept_b = _unit(session, "STC", "Sở Tài chính", UnitKind.DEPARTMENT, province)
        officer_a = _user(session, "an", "Nguyễn Văn An", dept_a, Role.OFFICER,
                          "an@skhcn.example.vn", "Chuyên viên")
        leader_a = _user(session, "binh", "Trần Thị Bình", dept_a, Role.LEADER,
                         "binh@skhcn.example.vn", "Giám đốc Sở")
        officer_b = _user(session, "cuong", "Lê Văn Cường", dept_b, Role.OFFICER,
                          "cuong@stc.example.vn")
        office_officer = _user(session, "dung", "Phạm Thị Dung", office, Role.OFFICER,
                               "dung@vp.example.vn")
        tasks = {
            "before3": make_task(session, title="Xây dựng kế hoạch chuyển đổi số năm 2026",
                                 due=date(2026, 3, 12), lead=dept_a, issuer=province,
                                 coordinators=(dept_b,)),
            "before1": make_task(session, title="Báo cáo kết quả đề án đổi mới sáng tạo",
                                 due=date(2026, 3, 10), lead=dept_a, issuer=province),
            "due": make_task(session, title="Tổng hợp ý kiến góp ý dự thảo Nghị quyết",
                             due=date(2026, 3, 9), lead=dept_a, issuer=province),
            "overdue1": make_task(session, title="Rà soát thủ tục hành chính lĩnh vực KH&CN",
                                  due=date(2026, 3, 6), lead=dept_a, issuer=province),
            "overdue11": make_task(session, title="Đánh giá tiềm lực khoa học của tỉnh",
                                   due=date(2026, 2, 13), lead=dept_a, issuer=province),
            "quiet": make_task(session, title="Nhiệm vụ còn 2 ngày, không nhắc",
                               due=date(2026, 3, 11), lead=dept_a, issuer=province),
            "done": make_task(session, title="Nhiệm vụ đã hoàn thành", due=date(2026, 3, 10),
                              lead=dept_a, issuer=province, state=TaskState.DONE),
        }
        session.commit()
        return World(province, office, dept_a, dept_b, officer_a, leader_a, officer_b,
                     office_officer, tasks)


def wait_for(predicate: Any, timeout: float = 20.0) -> bool:
    """Polls a condition (used to synchronise with subprocesses, never to assert timing)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return bool(predicate())
