"""Benchmark worlds, written in bulk (SQLAlchemy Core, thousands of rows per statement).

    python -m bench.world --world province --database-url sqlite:///data/bench-province.db

builds a world into an empty, migrated database and prints its WorldInfo as JSON. A world is
deterministic for its seed. Shapes: a province is 1 People's Committee, 30 departments and
100 communes; the country is 34 provinces of that shape under one root.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from models import (
    AssignmentRole,
    ChannelKind,
    ContactChannel,
    DeadlineKind,
    ExtensionRequest,
    ExtensionStatus,
    Role,
    Task,
    TaskAssignment,
    TaskState,
    Unit,
    UnitKind,
    User,
)
from models.db import make_engine, table_of
from models.encryption import digest
from models.migrate import upgrade
from tracking.calendar import load_calendar, load_official_overrides

WorldName = Literal["province", "country"]
DEPARTMENTS = 30
COMMUNES = 100
PROVINCES_IN_COUNTRY = 34
TASKS = {"province": 100_000, "country": 1_000_000}
# The day the benchmarks ask about: the world's tasks were assigned over the five years before.
AS_OF = date(2026, 6, 30)
HISTORY_DAYS = 5 * 365
ROWS_PER_STATEMENT = 2_000


@dataclass(kw_only=True)
class WorldInfo:
    """What the measurements need to know of a built world."""

    world: str
    seed: int
    stress: bool
    database: str
    as_of: str
    tasks: int
    units: int
    users: int
    root_unit_id: int
    province_unit_ids: list[int] = field(default_factory=list)
    sample_province_id: int = 0  # a province (the root itself in a province world)
    sample_commune_id: int = 0  # a commune of the sample province
    build_seconds: float = 0.0


def _now() -> datetime:
    return datetime.now(UTC)


def _insert(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    table = table_of(model)
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        session.execute(insert(table), rows[start : start + ROWS_PER_STATEMENT])


def _add_unit(
    session: Session, *, code: str, name: str, kind: UnitKind, parent: Unit | None
) -> Unit:
    unit = Unit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def _province(session: Session, number: int, parent: Unit | None) -> tuple[Unit, list[Unit]]:
    code = f"T{number:02d}"
    province = _add_unit(
        session,
        code=code,
        name=f"Ủy ban nhân dân tỉnh {number}",
        kind=UnitKind.PROVINCE,
        parent=parent,
    )
    children = [
        _add_unit(
            session,
            code=f"{code}-S{i:02d}",
            name=f"Sở {i} tỉnh {number}",
            kind=UnitKind.DEPARTMENT,
            parent=province,
        )
        for i in range(DEPARTMENTS)
    ] + [
        _add_unit(
            session,
            code=f"{code}-X{i:03d}",
            name=f"Xã {i} tỉnh {number}",
            kind=UnitKind.COMMUNE,
            parent=province,
        )
        for i in range(COMMUNES)
    ]
    return province, children


def build(
    engine: Engine,
    *,
    world: WorldName,
    seed: int = 20211102,
    stress: bool = False,
    tasks: int | None = None,
) -> WorldInfo:
    """Migrate the (empty) database and write the world into it."""
    upgrade(engine)
    rng = random.Random(seed)
    started = time.perf_counter()
    task_count = tasks if tasks is not None else TASKS[world]
    with Session(engine, expire_on_commit=False) as session:
        load_official_overrides(session=session)
        root: Unit | None = None
        if world == "country":
            root = _add_unit(session, code="VN", name="Chính phủ", kind=UnitKind.OTHER, parent=None)
        provinces: list[tuple[Unit, list[Unit]]] = [
            _province(session, number, root)
            for number in range(1, (PROVINCES_IN_COUNTRY if world == "country" else 1) + 1)
        ]
        session.commit()
        calendar = load_calendar(session)
        user_count = _people(session, provinces)
        now = _now()
        task_rows: list[dict[str, Any]] = []
        first_id = 1
        for index in range(task_count):
            province, children = provinces[index % len(provinces)]
            assigned = AS_OF - timedelta(days=rng.randrange(0, HISTORY_DAYS))
            due = calendar.add_working_days(assigned, rng.randrange(5, 90))
            row: dict[str, Any] = {
                "id": first_id + index,
                "title": f"Nhiệm vụ số {index}",
                "issuer_unit_id": province.id,
                "lead_unit_id": rng.choice(children).id,
                "assigned_on": assigned,
                "deadline_kind": DeadlineKind.DATE.value,
                "original_due_on": due,
                "due_on": due,
                "state": TaskState.OPEN.value,
                "completion_reported_on": None,
                "completed_on": None,
                "confirmed_on": None,
                "created_at": now,
                "updated_at": now,
            }
            done_share = 0.6 if stress else 0.97
            if rng.random() < done_share and due <= AS_OF + timedelta(days=60):
                completed = max(assigned, due + timedelta(days=rng.randrange(-20, 6)))
                row.update(
                    completed_on=completed,
                    completion_reported_on=completed,
                    confirmed_on=completed + timedelta(days=rng.randrange(0, 5)),
                    state=TaskState.DONE.value,
                )
            task_rows.append(row)
            if len(task_rows) == 20_000:
                _write_tasks(session, task_rows, rng)
                task_rows = []
        _write_tasks(session, task_rows, rng)
        session.execute(text("ANALYZE"))
        session.commit()
        sample_province, sample_children = provinces[0]
        info = WorldInfo(
            world=world,
            seed=seed,
            stress=stress,
            database=engine.dialect.name,
            as_of=AS_OF.isoformat(),
            tasks=task_count,
            units=(1 if root else 0) + len(provinces) * (1 + DEPARTMENTS + COMMUNES),
            users=user_count,
            root_unit_id=(root or sample_province).id or 0,
            province_unit_ids=[p.id or 0 for p, _ in provinces],
            sample_province_id=sample_province.id or 0,
            sample_commune_id=sample_children[-1].id or 0,
            build_seconds=round(time.perf_counter() - started, 2),
        )
    return info


def _write_tasks(session: Session, rows: list[dict[str, Any]], rng: random.Random) -> None:
    assignments: list[dict[str, Any]] = []
    extensions: list[dict[str, Any]] = []
    for row in rows:
        assignments.append(
            {
                "task_id": row["id"],
                "unit_id": row["lead_unit_id"],
                "role": AssignmentRole.LEAD.value,
                "assigned_on": row["assigned_on"],
            }
        )
        if rng.random() < 0.1:
            new_due = row["due_on"] + timedelta(days=30)
            extensions.append(
                {
                    "task_id": row["id"],
                    "requested_on": row["assigned_on"],
                    "old_due_on": row["due_on"],
                    "proposed_due_on": new_due,
                    "reason": "Gia hạn",
                    "status": ExtensionStatus.APPROVED.value,
                    "decided_on": max(row["assigned_on"], row["due_on"] - timedelta(days=1)),
                    "approved_due_on": new_due,
                    "decision_note": "",
                }
            )
            row["due_on"] = new_due
    _insert(session, Task, rows)
    _insert(session, TaskAssignment, assignments)
    _insert(session, ExtensionRequest, extensions)
    session.commit()


def _people(session: Session, provinces: list[tuple[Unit, list[Unit]]]) -> int:
    """A leader and an officer with an email channel in every unit below each province."""
    users: list[dict[str, Any]] = []
    for _, children in provinces:
        for unit in children:
            for role in (Role.LEADER, Role.OFFICER):
                users.append(
                    {
                        "username": f"{role.value}.{unit.code.lower()}",
                        "full_name": f"Cán bộ {unit.code}",
                        "unit_id": unit.id,
                        "role": role.value,
                        "title": "",
                        "active": True,
                        "token_version": 0,
                    }
                )
    _insert(session, User, users)
    session.flush()
    ids = session.execute(text("SELECT id, username FROM app_user")).all()
    channels = []
    for user_id, username in ids:
        url = f"mailto:{username}@tinh.vn"
        channels.append(
            {
                "user_id": user_id,
                "kind": ChannelKind.EMAIL.value,
                "url": url,
                "url_digest": digest(url),
                "label": "",
                "active": True,
            }
        )
    _insert(session, ContactChannel, channels)
    session.commit()
    return len(users)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--world", choices=["province", "country"], default="province")
    parser.add_argument("--tasks", type=int, default=None, help="override the world's task count")
    parser.add_argument("--seed", type=int, default=20211102)
    parser.add_argument("--stress", action="store_true")
    parser.add_argument("--database-url", required=True)
    arguments = parser.parse_args()
    engine = make_engine(arguments.database_url)
    info = build(
        engine,
        world=arguments.world,
        seed=arguments.seed,
        stress=arguments.stress,
        tasks=arguments.tasks,
    )
    engine.dispose()
    print(json.dumps(asdict(info), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
