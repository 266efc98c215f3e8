"""Flow test fixtures: one Prefect test harness for the whole session (its own temporary
PREFECT_HOME and database), a real SMTP server (aiosmtpd), and a small province world."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time

import pytest
import time_machine
from sqlalchemy import Engine
from sqlmodel import Session

# Prefect reads its settings when first imported: point its home at a temporary folder first.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="nhiemvu-prefect-home-"))

from models import Obligation, Role, Task, Unit, UnitKind, User
from settings import get_settings
from tests.servers import SmtpServer, free_port
from tests.world import ACTOR, WorldBuilder
from tracking import clock, obligations
from tracking.periods import install_default_report_types


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


@pytest.fixture
def mail_server(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    server = SmtpServer(port=free_port())
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


def build_week_world(engine: Engine) -> WeekWorld:
    """Built as of Monday 02/03/2026: a task due Thursday 12/03 and a monthly duty."""
    with (
        time_machine.travel(local(date(2026, 3, 2), 9), tick=False),
        Session(engine, expire_on_commit=False) as session,
    ):
        install_default_report_types(session=session)  # PostgreSQL's half truncates them
        build = WorldBuilder(session)
        province = build.unit("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", UnitKind.PROVINCE)
        build.unit("QNG-VP", "Văn phòng UBND tỉnh", UnitKind.OFFICE, parent=province)
        department = build.unit(
            "QNG-SKHCN", "Sở Khoa học và Công nghệ", UnitKind.DEPARTMENT, parent=province
        )
        officer = build.user(
            "an",
            full_name="Nguyễn Văn An",
            unit=department,
            role=Role.OFFICER,
            email="an@skhcn.example.vn",
        )
        leader = build.user(
            "binh",
            full_name="Trần Thị Bình",
            unit=department,
            role=Role.LEADER,
            email="binh@skhcn.example.vn",
        )
        task = build.task(TASK_TITLE, issuer=province, lead=department, due=date(2026, 3, 12))
        duty = obligations.create(
            session=session,
            actor=ACTOR,
            title=DUTY_TITLE,
            report_kind="month",
            issuer_unit_id=province.id or 0,
            lead_unit_id=department.id or 0,
            recipient="Văn phòng UBND tỉnh",
            report_issuer_code="SKHCN",
        )
        session.commit()
        return WeekWorld(department, officer, leader, task, duty)
