"""Flow test fixtures: one Prefect test harness for the whole session (its own temporary
PREFECT_HOME and database), a real SMTP server (aiosmtpd), and a small province world."""

from __future__ import annotations

import os
import socket
import tempfile
import time as clock_time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from sqlalchemy import Engine
from sqlmodel import Session

# Prefect reads its settings when first imported: point its home at a temporary folder first.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="nhiemvu-prefect-home-"))

from models import ChannelKind, ContactChannel, Obligation, Role, Task, Unit, UnitKind, User
from settings import get_settings
from tracking import clock, obligations, tasks, units
from tracking.audit import Actor
from tracking.deadlines import DeadlineRule
from tracking.periods import install_default_report_types

ACTOR = Actor(name="test")


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A real Prefect API (subprocess server on a temporary SQLite), started once."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, PREFECT_HOME, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    # No heartbeat thread: it sleeps in 1 s steps and every flow run would wait for it to end.
    updates = {PREFECT_HOME: str(home), PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
    with (
        temporary_settings(updates=updates),
        prefect_test_harness(server_startup_timeout=180),
    ):
        yield


def wait_for(what: str, predicate: Callable[[], Any], timeout: float) -> Any:
    """Polls until predicate() is truthy; fails naming what never happened (bounds a wait,
    asserts nothing about how long it took)."""
    end = clock_time.monotonic() + timeout
    while clock_time.monotonic() < end:
        value = predicate()
        if value:
            return value
        clock_time.sleep(0.3)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Mail:
    to: list[str]
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
                return payload.decode(part.get_content_charset() or "utf-8")
        raise AssertionError("no text/plain part")


@dataclass
class MailServer:
    """aiosmtpd on 127.0.0.1, keeping every message it accepted."""

    port: int
    received: list[Mail] = field(default_factory=list)
    controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Mail(list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()


@pytest.fixture
def mail_server(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailServer]:
    server = MailServer(port=free_port())
    monkeypatch.setenv("NHIEMVU_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("NHIEMVU_SMTP_PORT", str(server.port))
    monkeypatch.setenv("NHIEMVU_SMTP_FROM", "nhacviec@quangngai.example.vn")
    get_settings.cache_clear()
    server.start()
    yield server
    server.stop()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=clock.local_zone())


# --- a small province: a department with an officer and a leader, one task, one duty -----


@dataclass
class WeekWorld:
    department: Unit
    officer: User
    leader: User
    task: Task
    duty: Obligation


TASK_TITLE = "Xây dựng kế hoạch chuyển đổi số năm 2026 của Sở"
DUTY_TITLE = "Báo cáo tình hình thực hiện nhiệm vụ được giao"


def _user(session: Session, unit: Unit, username: str, name: str, role: Role, email: str) -> User:
    user = units.create_user(
        session=session, actor=ACTOR, username=username, full_name=name, unit=unit, role=role
    )
    session.add(ContactChannel(user_id=user.id or 0, kind=ChannelKind.EMAIL, url=f"mailto:{email}"))
    session.flush()
    return user


def build_week_world(engine: Engine) -> WeekWorld:
    """Built as of Monday 02/03/2026: a task due Thursday 12/03 and a monthly duty."""
    with time_machine.travel(local(date(2026, 3, 2), 9), tick=False), Session(
        engine, expire_on_commit=False
    ) as session:
        install_default_report_types(session=session)  # PostgreSQL's half truncates them
        province = units.create(
            session=session, actor=ACTOR, code="QNG", name="Ủy ban nhân dân tỉnh Quảng Ngãi",
            kind=UnitKind.PROVINCE,
        )
        units.create(
            session=session, actor=ACTOR, code="QNG-VP", name="Văn phòng UBND tỉnh",
            kind=UnitKind.OFFICE, parent=province,
        )
        department = units.create(
            session=session, actor=ACTOR, code="QNG-SKHCN", name="Sở Khoa học và Công nghệ",
            kind=UnitKind.DEPARTMENT, parent=province,
        )
        officer = _user(session, department, "an", "Nguyễn Văn An", Role.OFFICER,
                        "an@skhcn.example.vn")
        leader = _user(session, department, "binh", "Trần Thị Bình", Role.LEADER,
                       "binh@skhcn.example.vn")
        task = tasks.assign(
            session=session, actor=ACTOR, title=TASK_TITLE, issuer_unit_id=province.id or 0,
            lead_unit_id=department.id or 0, deadline=DeadlineRule.fixed(date(2026, 3, 12)),
        )
        duty = obligations.create(
            session=session, actor=ACTOR, title=DUTY_TITLE, report_kind="month",
            issuer_unit_id=province.id or 0, lead_unit_id=department.id or 0,
            recipient="Văn phòng UBND tỉnh", report_issuer_code="SKHCN",
        )
        session.commit()
        return WeekWorld(department, officer, leader, task, duty)
