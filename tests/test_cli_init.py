"""`nhiemvu init --unit … --admin …`: the root unit and the first administrator of a fresh
database, on SQLite and PostgreSQL; refusals change nothing; two at once make one root."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from api.app import create_app
from cli import app
from models import AuditEvent, Role, Unit, UnitKind, User
from models.db import writer
from settings import Environment, Settings
from tracking import units
from tracking.audit import Actor
from tracking.errors import DomainError

runner = CliRunner()
PASSWORD = "mat-khau-quan-tri-2025"
PROVINCE = "Ủy ban nhân dân tỉnh Quảng Ngãi"
FULL = ["init", "--unit", "QNG", "--unit-name", PROVINCE, "--unit-kind", "province"]


@pytest.fixture(autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """The production argon2 cost is slow; the same algorithm at its smallest cost."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    import api.auth

    original = api.auth._hasher
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    api.auth._hasher = lambda: cheap  # type: ignore[assignment]
    yield
    api.auth._hasher = original


def count(engine: Engine, model: type[SQLModel]) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def counts(engine: Engine) -> tuple[int, int, int]:
    return count(engine, Unit), count(engine, User), count(engine, AuditEvent)


def error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("Lỗi:")]
    assert len(lines) == 1, output
    return lines[0]


def test_init_creates_the_root_and_an_admin_who_can_sign_in(
    engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NHIEMVU_NEW_USER_PASSWORD", raising=False)
    result = runner.invoke(
        app,
        [*FULL, "--admin", "Quan.Tri", "--admin-name", "Nguyễn Văn Quản"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "Đã tạo đơn vị gốc «QNG» (Ủy ban nhân dân tỉnh Quảng Ngãi" in result.output
    assert "Đã tạo quản trị viên đầu tiên «quan.tri» (Nguyễn Văn Quản)" in result.output
    assert "nhiemvu serve" in result.output
    assert PASSWORD not in result.output
    with Session(engine) as session:
        [unit] = session.execute(select(Unit)).scalars().all()
        [user] = session.execute(select(User)).scalars().all()
        events = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
        actions = [event.action for event in events]
    assert unit.parent_id is None and unit.kind == UnitKind.PROVINCE and unit.path == f"/{unit.id}/"
    assert (user.role, user.unit_id, user.full_name) == (Role.ADMIN, unit.id, "Nguyễn Văn Quản")
    assert actions == ["unit.create", "user.create"]

    settings = Settings(
        environment=Environment.TEST,
        secret_key="kiem-thu-khoa-bi-mat-du-dai-32-ky-tu-tro-len",
        database_url=db_url,
    )
    with TestClient(create_app(settings=settings, engine=engine)) as client:
        token = client.post(
            "/api/v1/auth/token", data={"username": "quan.tri", "password": PASSWORD}
        )
        assert token.status_code == 200, token.text
        me = client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        assert me.json()["username"] == "quan.tri"


def test_a_second_init_refuses_and_changes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NHIEMVU_NEW_USER_PASSWORD", PASSWORD)
    first = runner.invoke(app, [*FULL, "--admin", "quan.tri"])
    assert first.exit_code == 0, first.output
    before = counts(engine)
    again = runner.invoke(app, [*FULL, "--admin", "quan.tri.hai"])
    assert again.exit_code != 0
    line = error_line(again.output)
    assert "[init.already_initialised]" in line and "«QNG»" in line
    assert counts(engine) == before
    # Plain `init` still works on an initialised database.
    plain = runner.invoke(app, ["init"])
    assert plain.exit_code == 0, plain.output
    assert counts(engine) == before


def test_plain_init_creates_no_unit(engine: Engine) -> None:
    result = runner.invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert "Cơ sở dữ liệu sẵn sàng" in result.output
    assert counts(engine)[:2] == (0, 0)


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["init", "--unit", "QNG", "--admin", "quan.tri"], "thiếu --unit-name"),
        (["init", "--unit-name", PROVINCE], "thiếu --unit, --admin"),
        ([*FULL[:5], "--unit-kind", "department", "--admin", "quan.tri"], "init.kind_not_root"),
        ([*FULL, "--admin", "quan tri!"], "(username) [user.username_invalid]"),
        (["init", "--unit", " ", "--unit-name", PROVINCE, "--admin", "a"], "(code)"),
        (["init", "--unit", "QNG", "--unit-name", " ", "--admin", "a"], "(name)"),
    ],
)
def test_init_refuses_bad_options_and_changes_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, arguments: list[str], expected: str
) -> None:
    monkeypatch.setenv("NHIEMVU_NEW_USER_PASSWORD", PASSWORD)
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2, result.output
    assert expected in error_line(result.output)
    assert counts(engine)[:2] == (0, 0)


def test_init_refuses_a_weak_password(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NHIEMVU_NEW_USER_PASSWORD", "quan.tri")
    result = runner.invoke(app, [*FULL, "--admin", "quan.tri"])
    assert result.exit_code == 2
    assert "(password) [user.password" in error_line(result.output)
    assert counts(engine)[:2] == (0, 0)


def test_two_inits_at_once_make_one_root(engine: Engine) -> None:
    """Threads calling the service together: the second waits for the first's lock, then
    finds the root and refuses."""
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def run(code: str) -> None:
        with Session(writer(engine), expire_on_commit=False) as session:
            start.wait()
            try:
                units.initialise(
                    session=session,
                    actor=Actor(name="cli"),
                    unit_code=code,
                    unit_name=PROVINCE,
                    unit_kind="province",
                    admin_username=f"admin.{code.lower()}",
                    admin_full_name="Quản trị hệ thống",
                    password_hash="x",
                )
                session.commit()
                outcomes.append("created")
            except DomainError as error:
                session.rollback()
                outcomes.append(error.code)

    threads = [threading.Thread(target=run, args=(code,)) for code in ("QNG", "QNM")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["created", "init.already_initialised"]
    assert count(engine, Unit) == 1
    with Session(engine) as session:
        admins = session.execute(select(User).where(User.role == Role.ADMIN)).scalars().all()
    assert len(admins) == 1
