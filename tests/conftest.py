"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is 127.0.0.1:5432 unless NHIEMVU_TEST_POSTGRES_URL says otherwise. Where it is not
reachable its half is skipped with a visible reason, except under NHIEMVU_REQUIRE_POSTGRES=1
(CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel

os.environ.setdefault("NHIEMVU_ENVIRONMENT", "test")
# Tests never depend on a key file or a default: the app refuses to start without a key.
os.environ.setdefault("NHIEMVU_SECRET_KEY", "kiem-thu-khoa-ky-ma-truy-cap-du-dai-32-ky-tu")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import models  # noqa: F401
from models.db import get_engine, make_engine
from models.migrate import upgrade
from settings import get_settings
from tracking.periods import install_default_report_types

POSTGRES_ADMIN_URL = os.environ.get(
    "NHIEMVU_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("NHIEMVU_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def sqlite_template() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="nhiemvu-test-"))
    template = folder / "template.db"
    engine = make_engine(f"sqlite:///{template}")
    upgrade(engine)
    engine.dispose()
    yield template
    shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_postgres(*prefixes: str) -> Iterator[list[str]]:
    """New empty PostgreSQL databases, one per prefix (named `<prefix>_<random>`), their URLs
    yielded and the databases dropped on leaving. Where PostgreSQL is not reachable the test
    is skipped, or fails under NHIEMVU_REQUIRE_POSTGRES=1."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL không kết nối được ({POSTGRES_ADMIN_URL}): {error.orig}"
        if REQUIRE_POSTGRES:
            pytest.fail(reason + " — NHIEMVU_REQUIRE_POSTGRES=1 nên không được bỏ qua")
        pytest.skip(reason)
    suffix = uuid.uuid4().hex[:10]
    names = [f"{prefix}_{suffix}" for prefix in prefixes]
    with admin.connect() as connection:
        for name in names:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield [admin.url.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database for this test session, migrated once; dropped at the end."""
    with scratch_postgres("nhiemvu_test") as [url]:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def _truncate_all(engine: Engine) -> None:
    """Empty every table, then put back the reference rows the migrations seed."""
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as connection:
        # The audit log's trigger refuses TRUNCATE, on purpose; replica mode skips triggers for
        # this transaction only. Only a superuser may set it (the tests' postgres role is one;
        # the application's role is not, see docs/postgres-roles.sql).
        connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
        connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with Session(engine) as session:
        install_default_report_types(session=session)
        session.commit()


# Every database fixture is parametrised by these (the API's module-scoped one too).
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def empty_database_url(request: pytest.FixtureRequest, folder: Path) -> str:
    """The URL of an empty, migrated database on the backend `request.param` names: a copy
    of the SQLite template in `folder`, or the session's PostgreSQL database truncated."""
    if request.param == "sqlite":
        database = folder / "nhiemvu.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), database)
        return f"sqlite:///{database}"
    url: str = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database: a copied SQLite file or a truncated PostgreSQL."""
    return empty_database_url(request, tmp_path)


@pytest.fixture
def engine(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """The engine, also installed as the application's (settings point at the same database)."""
    monkeypatch.setenv("NHIEMVU_DATABASE_URL", db_url)
    monkeypatch.setenv("NHIEMVU_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    get_engine.cache_clear()
    app_engine = get_engine()
    yield app_engine
    app_engine.dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session
