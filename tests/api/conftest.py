"""The API against a real database: one world (units, users, tokens) per module and backend.

Each module gets its own migrated database (a copied SQLite file, or the session's PostgreSQL
database truncated once), an app built against that engine, and a TestClient.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from api.app import create_app
from api.auth import create_access_token
from models import AuditEvent, Role, Unit, UnitKind, User
from models.db import make_engine
from settings import Environment, Settings
from tests.conftest import BACKENDS, empty_database_url
from tests.world import SETUP, WorldBuilder
from tracking import clock
from tracking import tasks as tasks_service
from tracking.deadlines import DeadlineRule

TEST_SECRET = "kiem-thu-khoa-bi-mat-du-dai-32-ky-tu-tro-len"
ROLES = (Role.LEADER, Role.OFFICER, Role.VIEWER, Role.ADMIN)
PASSWORD = "mat-khau-dang-nhap-2025"


@dataclass
class World:
    """Units: root > {issuer > issuer_child, lead > lead_child, coord, other}."""

    engine: Engine
    client: TestClient
    settings: Settings
    units: dict[str, Unit] = field(default_factory=dict)
    users: dict[tuple[str, Role], User] = field(default_factory=dict)
    tokens: dict[tuple[str, Role], str] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # A user of the lead unit who is nobody's caller: a target for user-management checks.
    target: User | None = None

    def headers(self, unit: str, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(unit, role)]}"}

    def unit_id(self, key: str) -> int:
        return self.units[key].id or 0

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def next(self) -> int:
        return next(self.counter)

    def audit_count(self) -> int:
        with self.session() as session:
            return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()

    def add_units(self, tree: Sequence[tuple[str, str | None, UnitKind, str]]) -> None:
        """Units by (key, parent key, kind, name); a unit's code is its key in capitals."""
        with self.session() as session:
            build = WorldBuilder(session, actor=SETUP)
            for key, parent, kind, name in tree:
                self.units[key] = build.unit(
                    key.upper().replace("_", "-"),
                    name,
                    kind,
                    parent=self.units[parent] if parent else None,
                )
            session.commit()

    def add_users(
        self, members: Sequence[tuple[str, Role]], *, can_log_in: Collection[tuple[str, Role]] = ()
    ) -> None:
        """A user "<unit key>.<role>" with a token for each (unit key, role); only those in
        `can_log_in` get the password (hashing every user would be slow)."""
        with self.session() as session:
            build = WorldBuilder(session, actor=SETUP)
            for key, role in members:
                self.users[(key, role)] = build.user(
                    f"{key}.{role.value}",
                    unit=self.units[key],
                    role=role,
                    password=PASSWORD if (key, role) in can_log_in else None,
                )
            session.commit()
        for member in members:
            self.tokens[member], _ = create_access_token(
                user=self.users[member], settings=self.settings
            )

    def new_task(self, **overrides: Any) -> int:
        """An open task issued by `issuer`, led by `lead`, with `coord` coordinating."""
        today = clock.today()
        arguments: dict[str, Any] = {
            "title": f"Nhiệm vụ kiểm thử số {self.next()}",
            "issuer_unit_id": self.unit_id("issuer"),
            "lead_unit_id": self.unit_id("lead"),
            "coordinating_unit_ids": [self.unit_id("coord")],
            "deadline": DeadlineRule.fixed(today + timedelta(days=30)),
            "assigned_on": today - timedelta(days=20),
        }
        arguments.update(overrides)
        with self.session() as session:
            task = tasks_service.assign(session=session, actor=SETUP, **arguments)
            session.commit()
            return task.id or 0


UNIT_TREE = (
    ("root", None, UnitKind.PROVINCE, "UBND tỉnh Quảng Ngãi"),
    ("issuer", "root", UnitKind.OFFICE, "Văn phòng UBND tỉnh"),
    ("issuer_child", "issuer", UnitKind.OFFICE, "Phòng Tổng hợp, Văn phòng UBND tỉnh"),
    ("lead", "root", UnitKind.DEPARTMENT, "Sở Nội vụ"),
    ("lead_child", "lead", UnitKind.OFFICE, "Phòng Cải cách hành chính, Sở Nội vụ"),
    ("coord", "root", UnitKind.DEPARTMENT, "Sở Tài chính"),
    ("other", "root", UnitKind.DEPARTMENT, "Sở Y tế"),
)


def build_world(engine: Engine, settings: Settings) -> World:
    app = create_app(settings=settings, engine=engine)
    world = World(engine=engine, client=TestClient(app), settings=settings)
    world.add_units(UNIT_TREE)
    lead_officer = ("lead", Role.OFFICER)
    world.add_users(
        [(key, role) for key in world.units for role in ROLES], can_log_in={lead_officer}
    )
    with world.session() as session:
        world.target = WorldBuilder(session, actor=SETUP).user(
            "lead.target", full_name="Nguyễn Văn Đích", unit=world.units["lead"], role=Role.OFFICER
        )
        session.commit()
    return world


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashing() -> Iterator[None]:
    """Argon2 with its production cost takes ~50 ms a hash; tests use the same algorithm
    with the smallest cost so that generated requests creating users stay fast."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    import api.auth

    original = api.auth._hasher
    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    api.auth._hasher = lambda: cheap  # type: ignore[assignment]
    yield
    api.auth._hasher = original


@pytest.fixture(scope="module", params=BACKENDS)
def module_db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return empty_database_url(request, tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def world(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = Settings(
        environment=Environment.TEST,
        secret_key=TEST_SECRET,
        database_url=module_db_url,
        data_dir=tmp_path_factory.mktemp("data"),  # uploaded attachments land here
    )
    engine = make_engine(module_db_url)
    built = build_world(engine, settings)
    yield built
    built.client.close()
    engine.dispose()


def today_iso(offset_days: int = 0) -> str:
    return (clock.today() + timedelta(days=offset_days)).isoformat()


def far_day(world: World) -> date:
    """A distinct day for calendar tests (far from any real decision)."""
    return date(2040, 1, 1) + timedelta(days=world.next())
