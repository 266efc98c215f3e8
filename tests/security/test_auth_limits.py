# ruff: noqa: F811 -- tests take the imported `world` fixture as an argument
"""Issue 9, items 5, 10 and 11 (parts): each attack is performed as reported and must fail,
leaving nothing changed.

Item 5 and item 11 run on SQLite and PostgreSQL. Item 10 runs against a real server process
(`nhiemvu serve --no-flows` on 127.0.0.1, a free port) on a migrated SQLite database only:
what is measured there is the server's memory and responsiveness, not the database.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import psutil
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from typer.testing import CliRunner

from api.app import create_app
from api.auth import create_access_token
from api.login_throttle import WAITING_ATTEMPTS, LoginRefused, LoginThrottle
from models import AuditEvent, Role, Task, UnitKind, User
from models.db import make_engine
from settings import DEFAULT_SECRET, Environment, InsecureSecretKey, Settings, get_settings
from tests.api.conftest import (  # noqa: F401 -- the API world fixtures, used by name
    PASSWORD,
    SETUP,
    World,
    module_db_url,
    world,
)
from tests.servers import free_port, stop_process_group, wait_for
from tests.world import WorldBuilder
from tracking import clock

NHIEMVU = str(Path(sys.executable).parent / "nhiemvu")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SERVER_PASSWORD = "Chuyen-vien-so-TTTT-2025"
VICTIM_PASSWORD = "Lanh-dao-so-TTTT-2025"
MAX_BODY_BYTES = 10 * 1024 * 1024
RSS_LIMIT = 300 * 1024 * 1024
ATTACK_BODY_BYTES = 150 * 1024 * 1024
PARALLEL_LOGINS = 200
# The server's settings for this module: five failures a minute per username, one hash.
LOGIN_LIMITS_PER_USERNAME = "5/minute;20/hour"
CONCURRENT_HASHES = 1


# --- item 5: the published secret ---------------------------------------------------------


@pytest.fixture
def keyless(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The settings of a fresh install: no NHIEMVU_SECRET_KEY, an empty data folder."""
    monkeypatch.delenv("NHIEMVU_SECRET_KEY", raising=False)
    monkeypatch.delenv("NHIEMVU_ENVIRONMENT", raising=False)  # the default: development
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _forged_admin_token(*, user: User, secret: str) -> str:
    now = clock.now_utc()
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        "iat": now,
        "exp": now + timedelta(hours=1),
        "role": Role.ADMIN.value,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def test_init_writes_a_private_key_file_once_and_a_second_init_keeps_it(
    keyless: Settings,
) -> None:
    import cli

    key_file = keyless.data_dir / "secret.key"
    assert keyless.secret_key == "" and not key_file.exists()
    first = CliRunner().invoke(cli.app, ["init"])
    assert first.exit_code == 0, first.output
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text(encoding="utf-8").strip()
    assert len(key) >= 32 and key != DEFAULT_SECRET
    second = CliRunner().invoke(cli.app, ["init"])
    assert second.exit_code == 0, second.output
    assert key_file.read_text(encoding="utf-8").strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    get_settings.cache_clear()
    assert get_settings().secret_key == key


def test_a_token_signed_with_the_published_default_is_refused(
    keyless: Settings, engine: Engine
) -> None:
    import cli

    assert CliRunner().invoke(cli.app, ["init"]).exit_code == 0
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.secret_key_file == settings.data_dir / "secret.key"
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session, actor=SETUP)
        unit = build.unit("UBND", "UBND tỉnh", UnitKind.PROVINCE)
        admin = build.user("quantri", full_name="Lê Quản Trị", unit=unit, role=Role.ADMIN)
        session.commit()
    client = TestClient(create_app(settings=settings, engine=engine))
    forged = _forged_admin_token(user=admin, secret=DEFAULT_SECRET)
    before = _audit_count(engine)
    for path in ("/api/v1/auth/me", "/api/v1/users"):
        answer = client.get(path, headers={"Authorization": f"Bearer {forged}"})
        assert answer.status_code == 401
        assert answer.json()["detail"][0]["code"] == "auth.unauthorized"
    created = client.post(
        "/api/v1/users",
        json={
            "username": "ke.gian",
            "full_name": "Kẻ Gian",
            "unit_id": unit.id,
            "role": "admin",
            "password": "Mot-mat-khau-du-manh-2025",
        },
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert created.status_code == 401
    assert _audit_count(engine) == before
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == 1
    # The same claims signed with the key file's key are accepted: only the key differs.
    genuine = _forged_admin_token(user=admin, secret=settings.secret_key)
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {genuine}"}).is_success


@pytest.mark.parametrize("environment", list(Environment))
def test_the_default_secret_is_refused_in_every_environment(
    environment: Environment, tmp_path: Path
) -> None:
    # Production also requires the encryption key; this test is about the signing key only.
    keys = {"encryption_keys": Fernet.generate_key().decode()}
    with pytest.raises(ValueError, match="NHIEMVU_SECRET_KEY"):
        Settings(environment=environment, secret_key=DEFAULT_SECRET, data_dir=tmp_path, **keys)
    with pytest.raises(ValueError, match="NHIEMVU_SECRET_KEY"):
        Settings(environment=environment, secret_key="ngan-qua", data_dir=tmp_path, **keys)
    keyless = Settings(environment=environment, secret_key="", data_dir=tmp_path, **keys)
    with pytest.raises(InsecureSecretKey):
        create_app(settings=keyless)
    # Settings built around the check (model_construct skips validation): the token code
    # still refuses to sign and to verify with the published key.
    bypassed = Settings.model_construct(environment=environment, secret_key=DEFAULT_SECRET)
    user = User(id=1, username="quantri", full_name="Quản trị", unit_id=1, role=Role.ADMIN)
    with pytest.raises(InsecureSecretKey):
        create_access_token(user=user, settings=bypassed)
    with pytest.raises(InsecureSecretKey):
        create_app(settings=bypassed)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text("k" * 8 + "-mot-khoa-ngau-nhien-du-dai-0123456789\n", encoding="utf-8")
    key_file.chmod(0o644)
    with pytest.raises(ValueError, match="chmod 600"):
        Settings(secret_key="", data_dir=tmp_path)
    key_file.chmod(0o600)
    assert Settings(secret_key="", data_dir=tmp_path).secret_key_file == key_file


def test_serve_refuses_the_default_secret(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    import cli

    monkeypatch.setenv("NHIEMVU_SECRET_KEY", DEFAULT_SECRET)
    monkeypatch.setenv("NHIEMVU_ENVIRONMENT", "development")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve", "--no-flows", "--port", str(free_port())])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "NHIEMVU_SECRET_KEY" in result.output and "Traceback" not in result.output


# --- item 11: tokens that outlive a password or an account; weak passwords; headers ------


def _audit_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(AuditEvent)).scalar_one()


def _fresh_user(world: World, *, password: str | None = None) -> User:
    """A user of the lead unit, with a password when asked, made for one test."""
    number = world.next()
    with world.session() as session:
        user = WorldBuilder(session, actor=SETUP).user(
            f"lead.thu{number}",
            full_name=f"Cán bộ thử {number}",
            unit=world.units["lead"],
            role=Role.OFFICER,
            password=password,
        )
        session.commit()
        return user


def _me(world: World, token: str) -> int:
    return world.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
    ).status_code


def _stored(world: World, user_id: int) -> User:
    with world.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user


def test_a_token_issued_before_a_password_change_answers_401(world: World) -> None:
    old_password = "Mat-khau-cu-cua-can-bo-2024"
    user = _fresh_user(world, password=old_password)
    old_token, _ = create_access_token(user=user, settings=world.settings)
    assert _me(world, old_token) == 200
    changed = world.client.patch(
        f"/api/v1/users/{user.id}",
        json={"password": "Mat-khau-moi-cua-can-bo-2025"},
        headers=world.headers("root", Role.ADMIN),
    )
    assert changed.status_code == 200
    assert _stored(world, user.id).token_version == user.token_version + 1
    assert _me(world, old_token) == 401
    assert _me(world, world.tokens[("root", Role.ADMIN)]) == 200  # the admin's own token lives
    login = world.client.post(
        "/api/v1/auth/token",
        data={"username": user.username, "password": "Mat-khau-moi-cua-can-bo-2025"},
    )
    assert login.status_code == 200
    assert _me(world, login.json()["access_token"]) == 200


def test_tokens_do_not_survive_a_deactivation_or_a_reactivation(world: World) -> None:
    user = _fresh_user(world)
    before_deactivation, _ = create_access_token(user=user, settings=world.settings)
    admin = world.headers("root", Role.ADMIN)
    deactivated = world.client.patch(
        f"/api/v1/users/{user.id}", json={"active": False}, headers=admin
    )
    assert deactivated.status_code == 200
    assert _me(world, before_deactivation) == 401
    # A token that carries the version of the deactivated account (as a token issued in that
    # state would) is revoked by the reactivation.
    while_inactive, _ = create_access_token(user=_stored(world, user.id), settings=world.settings)
    reactivated = world.client.patch(
        f"/api/v1/users/{user.id}", json={"active": True}, headers=admin
    )
    assert reactivated.status_code == 200
    assert _stored(world, user.id).token_version == user.token_version + 2
    assert _me(world, before_deactivation) == 401
    assert _me(world, while_inactive) == 401
    fresh, _ = create_access_token(user=_stored(world, user.id), settings=world.settings)
    assert _me(world, fresh) == 200


def test_a_token_without_a_version_is_refused(world: World) -> None:
    user = world.users[("lead", Role.OFFICER)]
    now = clock.now_utc()
    claims = {"sub": str(user.id), "iat": now, "exp": now + timedelta(hours=1)}
    legacy = jwt.encode(claims, world.settings.secret_key, algorithm="HS256")
    assert _me(world, legacy) == 401


WEAK_PASSWORDS = [
    ("nguyenvana", "user.password_contains_username"),
    ("Nguyenvana@2025", "user.password_contains_username"),
    ("aaaaaaaa", "user.password_repetitive"),
    ("abcabcabcabc", "user.password_repetitive"),
    ("12121212", "user.password_repetitive"),
    ("12345678", "user.password_sequence"),
    ("987654321", "user.password_sequence"),
    ("abcdefghij", "user.password_sequence"),
    ("qwertyuiop", "user.password_sequence"),
    ("matkhau123", "user.password_common"),
    ("MatKhau@123", "user.password_common"),
    ("anhyeuem", "user.password_common"),
    ("Password1", "user.password_common"),
    ("iloveyou123", "user.password_common"),
    ("ngan", "validation.string_too_short"),
]


@pytest.mark.parametrize(("password", "code"), WEAK_PASSWORDS)
def test_a_weak_password_is_refused_and_nothing_is_created(
    world: World, password: str, code: str
) -> None:
    admin = world.headers("root", Role.ADMIN)
    audit_before = _audit_count(world.engine)
    with world.session() as session:
        users_before = session.execute(select(func.count()).select_from(User)).scalar_one()
    answer = world.client.post(
        "/api/v1/users",
        json={
            "username": "nguyenvana",
            "full_name": "Nguyễn Văn A",
            "unit_id": world.unit_id("lead"),
            "password": password,
        },
        headers=admin,
    )
    assert answer.status_code == 422
    item = answer.json()["detail"][0]
    assert (item["code"], item["field"]) == (code, "password")
    assert item["message"].startswith("Mật khẩu") or code.startswith("validation.")
    with world.session() as session:
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == users_before
    assert _audit_count(world.engine) == audit_before


@pytest.mark.parametrize(("password", "code"), WEAK_PASSWORDS[2:-1])
def test_a_weak_new_password_leaves_the_user_unchanged(
    world: World, password: str, code: str
) -> None:
    user = _fresh_user(world, password="Mat-khau-ban-dau-rat-rieng")
    token, _ = create_access_token(user=user, settings=world.settings)
    audit_before = _audit_count(world.engine)
    answer = world.client.patch(
        f"/api/v1/users/{user.id}",
        json={"password": password},
        headers=world.headers("root", Role.ADMIN),
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["code"] == code
    stored = _stored(world, user.id)
    assert (stored.password_hash, stored.token_version) == (user.password_hash, user.token_version)
    assert _audit_count(world.engine) == audit_before
    assert _me(world, token) == 200


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}


def test_security_headers_on_json_error_and_not_found_answers(world: World) -> None:
    answers = {
        "json": world.client.get("/api/v1/health"),
        "signed-in json": world.client.get(
            "/api/v1/auth/me", headers=world.headers("lead", Role.OFFICER)
        ),
        "401": world.client.get("/api/v1/auth/me"),
        "422": world.client.get(
            "/api/v1/tasks", params={"unit": "x"}, headers=world.headers("lead", Role.OFFICER)
        ),
        "404": world.client.get("/api/v1/khong-co-dia-chi-nay"),
    }
    assert [a.status_code for a in answers.values()] == [200, 200, 401, 422, 404]
    for name, answer in answers.items():
        for header, value in SECURITY_HEADERS.items():
            assert answer.headers.get(header) == value, (name, header)
        assert "strict-transport-security" not in answer.headers, name
    docs = world.client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert docs.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in docs.headers  # Swagger UI loads from its CDN
    over_https = TestClient(world.client.app, base_url="https://testserver")
    hsts = over_https.get("/api/v1/health").headers.get("strict-transport-security")
    assert hsts is not None and hsts.startswith("max-age=")


def test_a_fresh_throttle_locks_a_username_after_its_failures(world: World) -> None:
    """The API's throttle (per username, growing windows) on a fresh app of this world."""
    password = "Mat-khau-dung-cua-nguoi-bi-do-2025"
    user = _fresh_user(world, password=password)
    settings = world.settings.model_copy(update={"login_limits_per_username": "3/minute"})
    client = TestClient(create_app(settings=settings, engine=world.engine))
    wrong = {"username": user.username, "password": "doan-thu-mat-khau-khac"}
    statuses = [client.post("/api/v1/auth/token", data=wrong).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    locked = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": password}
    )
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 60
    item = locked.json()["detail"][0]
    assert item["code"] == "auth.too_many_attempts" and "thử lại sau" in item["message"]
    assert locked.headers["x-content-type-options"] == "nosniff"
    assert _stored(world, user.id).token_version == user.token_version
    other = client.post(
        "/api/v1/auth/token",
        data={"username": "lead.officer", "password": PASSWORD},
    )
    assert other.status_code == 200  # the lock is the username's, not the whole office's


def test_password_checks_beyond_the_bound_are_refused_at_once() -> None:
    """Real threads: one password being checked and one waiting for its turn; a third attempt
    is refused at once instead of queueing."""
    throttle = LoginThrottle(
        per_username="100/minute",
        per_address="100/minute",
        concurrent_hashes=1,
        waiting_attempts=1,
    )
    checking = threading.Event()
    release = threading.Event()

    def slow_check() -> str:
        checking.set()
        release.wait(timeout=10)
        return "người dùng"

    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(throttle.guard, username="u1", address="10.0.0.1", verify=slow_check)
        assert checking.wait(timeout=10)
        second = pool.submit(throttle.guard, username="u2", address="10.0.0.1", verify=slow_check)
        time.sleep(0.2)  # the second attempt is now waiting for the hashing slot
        began = time.monotonic()
        with pytest.raises(LoginRefused) as refused:
            throttle.guard(username="u3", address="10.0.0.2", verify=lambda: "không được chạy")
        assert time.monotonic() - began < 0.5
        release.set()
        assert (first.result(timeout=10), second.result(timeout=10)) == ("người dùng",) * 2
    assert (refused.value.http_status, refused.value.code) == (503, "auth.busy")
    assert refused.value.retry_after >= 1
    assert throttle.guard(username="u3", address="10.0.0.2", verify=lambda: "được") == "được"


# --- item 10: resource exhaustion, against a real server process ---------------------------


@dataclass
class Server:
    url: str
    port: int
    pid: int
    engine: Engine
    plan_id: int
    token: str
    log: Path

    def tasks(self) -> int:
        with Session(self.engine) as session:
            return session.execute(select(func.count()).select_from(Task)).scalar_one()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    database = folder / "nhiemvu.db"
    shutil.copy(sqlite_template, database)
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        build = WorldBuilder(session, actor=SETUP)
        unit = build.unit("STTTT", "Sở Thông tin và Truyền thông", UnitKind.DEPARTMENT)
        for username, role, password in (
            ("chuyenvien", Role.OFFICER, SERVER_PASSWORD),
            ("lanhdao", Role.LEADER, VICTIM_PASSWORD),
        ):
            build.user(
                username, full_name=f"Cán bộ {username}", unit=unit, role=role, password=password
            )
        plan = build.plan("Kế hoạch chuyển đổi số năm 2025", issuer=unit)
        session.commit()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHIEMVU_", "PREFECT_"))}
    # No NHIEMVU_SECRET_KEY: `serve` writes the key file, as on a fresh clone.
    env |= {
        "NHIEMVU_ENVIRONMENT": "production",
        "NHIEMVU_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "NHIEMVU_DATABASE_URL": url,
        "NHIEMVU_DATA_DIR": str(folder / "data"),
        "NHIEMVU_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        "NHIEMVU_LOGIN_LIMITS_PER_USERNAME": LOGIN_LIMITS_PER_USERNAME,
        "NHIEMVU_LOGIN_CONCURRENT_HASHES": str(CONCURRENT_HASHES),
    }
    log = folder / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [NHIEMVU, "serve", "--no-flows", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:

        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200
            except httpx.TransportError:
                return process.poll() is not None  # stop waiting: the server died

        wait_for("the server answers", healthy, 120)
        assert process.poll() is None, log.read_text(errors="replace")
        assert stat.S_IMODE((folder / "data" / "secret.key").stat().st_mode) == 0o600
        login = httpx.post(
            f"{base}/api/v1/auth/token",
            data={"username": "chuyenvien", "password": SERVER_PASSWORD},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        yield Server(
            url=base,
            port=port,
            pid=process.pid,
            engine=engine,
            plan_id=plan.id or 0,
            token=login.json()["access_token"],
            log=log,
        )
    finally:
        stop_process_group(process)
        engine.dispose()


@dataclass
class Watch:
    """While an attack runs: the server's peak RSS, and the signed-in `GET /api/v1/tasks`
    answers other users get meanwhile (status, seconds)."""

    peak_rss: int = 0
    answers: list[tuple[int, float]] = field(default_factory=list)


def under_attack(server: Server, attack: Callable[[], Any]) -> tuple[Any, Watch]:
    watch = Watch()
    finished = threading.Event()
    process = psutil.Process(server.pid)

    def sample_memory() -> None:
        while not finished.is_set():
            watch.peak_rss = max(watch.peak_rss, process.memory_info().rss)
            time.sleep(0.02)

    def use_the_service() -> None:
        headers = {"Authorization": f"Bearer {server.token}"}
        with httpx.Client(base_url=server.url, timeout=60) as client:
            while True:
                began = time.monotonic()
                answer = client.get("/api/v1/tasks", headers=headers)
                watch.answers.append((answer.status_code, time.monotonic() - began))
                if finished.is_set():
                    return
                time.sleep(0.05)

    helpers = [threading.Thread(target=sample_memory), threading.Thread(target=use_the_service)]
    for helper in helpers:
        helper.start()
    try:
        result = attack()
    finally:
        finished.set()
        for helper in helpers:
            helper.join(timeout=90)
    watch.peak_rss = max(watch.peak_rss, process.memory_info().rss)
    return result, watch


def assert_the_server_held(server: Server, watch: Watch) -> None:
    assert watch.peak_rss < RSS_LIMIT, f"RSS {watch.peak_rss / 1024 / 1024:.0f} MB"
    assert watch.answers, "no other request was answered during the attack"
    assert all(status == 200 for status, _ in watch.answers), watch.answers
    assert max(seconds for _, seconds in watch.answers) < 5, watch.answers
    assert httpx.get(f"{server.url}/api/v1/health", timeout=5).status_code == 200


def _upload(server: Server, name: str, content: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/plans/{server.plan_id}/tasks/import",
        files={"file": (name, content, XLSX)},
        headers={"Authorization": f"Bearer {server.token}"},
        timeout=60,
    )


def _small_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Nội dung nhiệm vụ", "Đơn vị chủ trì"])
    sheet.append(["Triển khai chữ ký số", "STTTT"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _rewritten(content: bytes, replace: Callable[[str, bytes], bytes | None]) -> bytes:
    """The workbook with some parts replaced (None keeps a part as it is)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for entry in source.infolist():
            data = source.read(entry)
            target.writestr(entry.filename, replace(entry.filename, data) or data)
    return buffer.getvalue()


def _shared_strings_bomb(megabytes: int) -> bytes:
    """A real workbook given a shared strings part (declared in [Content_Types].xml, where
    openpyxl looks for it) that inflates to `megabytes`, streamed into the zip."""
    shared = "xl/sharedStrings.xml"
    override = (
        f'<Override PartName="/{shared}" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ).encode()

    def declare(name: str, data: bytes) -> bytes | None:
        return data.replace(b"</Types>", override) if name == "[Content_Types].xml" else None

    source = zipfile.ZipFile(io.BytesIO(_rewritten(_small_workbook(), declare)))
    assert shared not in source.namelist()
    buffer = io.BytesIO()
    item = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    block = item * 1024
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for entry in source.infolist():
            archive.writestr(entry.filename, source.read(entry))
        with archive.open(shared, "w", force_zip64=True) as part:
            part.write(b'<?xml version="1.0" encoding="UTF-8"?>')
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            part.write(b"<si><t>N\xe1\xbb\x99i dung nhi\xe1\xbb\x87m v\xe1\xbb\xa5</t></si>")
            for _ in range(megabytes * 1024 * 1024 // len(block)):
                part.write(block)
            part.write(b"</sst>")
    return buffer.getvalue()


def test_a_shared_strings_zip_bomb_is_refused(server: Server) -> None:
    bomb = _shared_strings_bomb(512)
    assert len(bomb) < 3 * 1024 * 1024
    before = server.tasks()
    answer, watch = under_attack(server, lambda: _upload(server, "bom.xlsx", bomb))
    assert answer.status_code == 422, answer.text
    item = answer.json()["detail"][0]
    assert (item["code"], item["field"]) == ("import.xlsx_too_large", "file")
    assert "giải nén" in item["message"]
    assert server.tasks() == before
    assert_the_server_held(server, watch)


def test_a_huge_declared_dimension_is_refused(server: Server) -> None:
    content = _rewritten(_small_workbook(), _huge_dimension)
    assert len(content) < 10 * 1024
    before = server.tasks()
    answer, watch = under_attack(server, lambda: _upload(server, "vung-lon.xlsx", content))
    assert answer.status_code == 422, answer.text
    item = answer.json()["detail"][0]
    assert (item["code"], item["field"]) == ("import.xlsx_too_many_cells", "file")
    assert "1048576 dòng × 16384 cột" in item["message"]
    assert server.tasks() == before
    assert_the_server_held(server, watch)


def test_a_far_cell_without_a_dimension_is_refused(server: Server) -> None:
    """The same padding through a cell reference instead of the declared dimension."""

    def far_cell(name: str, data: bytes) -> bytes | None:
        if name != "xl/worksheets/sheet1.xml":
            return None
        data = data.replace(b'<dimension ref="A1:B2"/>', b"")
        return data.replace(b'<c r="B2"', b'<c r="XFD2"')

    answer = _upload(server, "o-xa.xlsx", _rewritten(_small_workbook(), far_cell))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["code"] == "import.xlsx_too_many_cells"


def _huge_dimension(name: str, data: bytes) -> bytes | None:
    if name != "xl/worksheets/sheet1.xml":
        return None
    replaced = data.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert replaced != data
    return replaced


@pytest.mark.parametrize(
    ("workbook", "code"),
    [
        (lambda: _rewritten(_small_workbook(), _huge_dimension), "import.xlsx_too_many_cells"),
        (lambda: _shared_strings_bomb(64), "import.xlsx_too_large"),
        (lambda: _shared_strings_bomb(20), "import.xlsx_compression_ratio"),
    ],
    ids=["dimension", "bomb", "ratio"],
)
def test_the_indicator_import_refuses_the_same_workbooks(
    workbook: Callable[[], bytes], code: str
) -> None:
    """Every .xlsx reader goes through the same check: here the indicators' table reader."""
    from reports.indicators import read_table
    from tracking.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        read_table(filename="chi-tieu.xlsx", content=workbook())
    assert (refused.value.code, refused.value.field) == (code, "file")
    assert read_table(filename="chi-tieu.xlsx", content=_small_workbook()) == [
        {"Nội dung nhiệm vụ": "Triển khai chữ ký số", "Đơn vị chủ trì": "STTTT"}
    ]


@dataclass
class RawAnswer:
    status: int | None
    body: bytes
    body_bytes_sent: int


def _raw_request(port: int, head: bytes, body: Iterable[bytes]) -> RawAnswer:
    """Send a request as an attacker would (head, then body chunks for as long as the server
    takes them) while another thread reads what the server answers."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=30)
    received = bytearray()

    def read() -> None:
        try:
            while chunk := connection.recv(65536):
                received.extend(chunk)
        except OSError:
            return

    reader = threading.Thread(target=read)
    reader.start()
    sent = 0
    try:
        connection.sendall(head)
        for chunk in body:
            connection.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the server closed the connection: what an attacker sees
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_WR)
    reader.join(timeout=60)
    connection.close()
    answer = bytes(received)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    return RawAnswer(status=status, body=answer.partition(b"\r\n\r\n")[2], body_bytes_sent=sent)


def _json_chunks(total: int) -> Iterator[bytes]:
    chunk = b'"' + b"x" * (64 * 1024 - 2) + b'"'
    yield b"["
    for _ in range(total // len(chunk)):
        yield chunk
        yield b","
    yield b"0]"


def _chunked(parts: Iterable[bytes]) -> Iterator[bytes]:
    for part in parts:
        yield b"%x\r\n%b\r\n" % (len(part), part)
    yield b"0\r\n\r\n"


def _head(server: Server, path: str, extra: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        f"Content-Type: application/json\r\n{extra}\r\n"
    ).encode()


def test_a_streamed_150_mb_body_is_cut_at_the_limit(server: Server) -> None:
    head = _head(server, "/api/v1/tasks", "Transfer-Encoding: chunked\r\n")
    answer, watch = under_attack(
        server,
        lambda: _raw_request(server.port, head, _chunked(_json_chunks(ATTACK_BODY_BYTES))),
    )
    assert answer.status == 413, answer
    assert b'"code":"http.too_large"' in answer.body
    assert "giới hạn".encode() in answer.body
    assert answer.body_bytes_sent < ATTACK_BODY_BYTES
    assert_the_server_held(server, watch)


def test_a_declared_150_mb_body_is_refused_before_it_is_read(server: Server) -> None:
    head = _head(server, "/api/v1/tasks", f"Content-Length: {ATTACK_BODY_BYTES}\r\n")
    answer, watch = under_attack(
        server, lambda: _raw_request(server.port, head, _json_chunks(ATTACK_BODY_BYTES))
    )
    assert answer.status == 413, answer
    assert b'"code":"http.too_large"' in answer.body
    assert answer.body_bytes_sent < ATTACK_BODY_BYTES
    assert_the_server_held(server, watch)


def test_a_small_content_length_does_not_smuggle_150_mb(server: Server) -> None:
    """Content-Length says 2 bytes, 150 MB follow: the server reads its 2 bytes, answers, and
    treats the rest as a malformed next request, never as one body."""
    head = _head(server, "/api/v1/tasks", "Content-Length: 2\r\n")
    answer, watch = under_attack(
        server, lambda: _raw_request(server.port, head, _json_chunks(ATTACK_BODY_BYTES))
    )
    assert answer.status == 400, answer  # '["': the 2 bytes, answered as what they are
    assert b'"code":"validation.json_invalid"' in answer.body
    assert b"Invalid HTTP request received." in answer.body  # the rest: no request at all
    assert answer.body_bytes_sent < ATTACK_BODY_BYTES
    assert server.tasks() == 0
    assert_the_server_held(server, watch)


def test_200_parallel_logins_are_throttled_without_starving_others(server: Server) -> None:
    barrier = threading.Barrier(PARALLEL_LOGINS, timeout=60)

    def attempt(number: int) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            barrier.wait()
            return client.post(
                "/api/v1/auth/token",
                data={"username": "lanhdao", "password": f"doan-mat-khau-{number:04d}"},
            )

    def flood() -> list[httpx.Response]:
        with ThreadPoolExecutor(max_workers=PARALLEL_LOGINS) as pool:
            return list(pool.map(attempt, range(PARALLEL_LOGINS)))

    with Session(server.engine) as session:
        victim_before = session.scalars(select(User).where(User.username == "lanhdao")).one()
    answers, watch = under_attack(server, flood)
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {401, 429, 503}, statuses
    # Each check that ran is one failure; failures stop at the limit (plus the checks that
    # were already running when it was reached).
    first_limit = int(LOGIN_LIMITS_PER_USERNAME.split("/", 1)[0])
    assert 1 <= statuses.count(401) <= first_limit + CONCURRENT_HASHES + WAITING_ATTEMPTS
    for answer in answers:
        if answer.status_code in (429, 503):
            assert int(answer.headers["retry-after"]) >= 1
            assert answer.json()["detail"][0]["code"] in ("auth.too_many_attempts", "auth.busy")
    assert_the_server_held(server, watch)
    # The attacker goes on one at a time: the username locks once the first limit's failures
    # are reached, and then even the right password is refused until the wait is over.
    for number in range(first_limit - statuses.count(401)):
        wrong = httpx.post(
            f"{server.url}/api/v1/auth/token",
            data={"username": "lanhdao", "password": f"lan-doan-tiep-{number}"},
            timeout=30,
        )
        assert wrong.status_code == 401
    locked = httpx.post(
        f"{server.url}/api/v1/auth/token",
        data={"username": "lanhdao", "password": VICTIM_PASSWORD},
        timeout=30,
    )
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= 1
    with Session(server.engine) as session:
        victim_after = session.scalars(select(User).where(User.username == "lanhdao")).one()
    assert (victim_after.password_hash, victim_after.token_version, victim_after.active) == (
        victim_before.password_hash,
        victim_before.token_version,
        victim_before.active,
    )
