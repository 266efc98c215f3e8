"""The bench's own bookkeeping inside a benchmark database: the WorldInfo of the world built
there (table bench_world, created by the bench, not a product migration), so a later run can
measure the same world again (`--reuse`) without building it, and the reset that gives such a
run a day with nothing planned yet."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from sqlalchemy import Column, Engine, Integer, MetaData, Table, Text, delete, inspect, select

from bench.world import WorldInfo
from models import Notification, ReminderItem, Task
from models.db import table_of

_metadata = MetaData()
bench_world = Table(
    "bench_world",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("info", Text, nullable=False),  # WorldInfo as JSON
)


class WorldMissing(RuntimeError):
    """--reuse on a database that holds no world the bench knows of."""


class DatabaseNotEmpty(RuntimeError):
    """A world is to be built into a database that already holds tasks."""


def world_info_of(data: dict[str, Any]) -> WorldInfo:
    """A WorldInfo from its JSON form; keys this version does not know are left out."""
    known = {f.name for f in dataclasses.fields(WorldInfo)}
    return WorldInfo(**{key: value for key, value in data.items() if key in known})


def save_world(engine: Engine, info: WorldInfo) -> None:
    _metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(delete(bench_world))
        connection.execute(
            bench_world.insert().values(id=1, info=json.dumps(dataclasses.asdict(info)))
        )


def load_world(engine: Engine) -> WorldInfo:
    if not inspect(engine).has_table("bench_world"):
        raise WorldMissing(
            "no bench_world table: build the world first (without --reuse), "
            "or give its WorldInfo with --world-info FILE"
        )
    with engine.connect() as connection:
        stored = connection.execute(select(bench_world.c.info)).scalar()
    if stored is None:
        raise WorldMissing("bench_world is empty: build the world first (without --reuse)")
    return world_info_of(json.loads(stored))


def check_empty(engine: Engine) -> None:
    """Refuse to build over data: the world generator writes ids from 1."""
    if not inspect(engine).has_table(table_of(Task).name):
        return
    with engine.connect() as connection:
        if connection.execute(select(table_of(Task).c.id).limit(1)).first() is not None:
            raise DatabaseNotEmpty(
                "the database already holds tasks: use --reuse to measure its world, "
                "or give an empty database"
            )


def forget_reminders(engine: Engine) -> int:
    """Delete every planned reminder and outbox row (a bench world has no others), so the
    next planning is a first run again; returns how many outbox rows were deleted."""
    with engine.begin() as connection:
        connection.execute(delete(table_of(ReminderItem)))
        return connection.execute(delete(table_of(Notification))).rowcount
