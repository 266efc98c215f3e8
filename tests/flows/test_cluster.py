"""The province set-up for real, on this machine: a Prefect server on PostgreSQL (its own
database, created and dropped here), a process work pool, the deployments of prefect.yaml, and
two workers. Two sweeps and four deliveries are started at once; every reminder reaches the
SMTP server exactly once. Everything started here is stopped at the end (a worker wants
SIGINT twice). Every wait is bounded; nothing asserts how long anything took."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlmodel import Session, select

from models import (
    Notification,
    NotificationState,
    PolicyScope,
    ReminderItem,
    Role,
    Task,
    UnitKind,
)
from models.db import make_engine
from models.migrate import upgrade
from notifications.policy import set_policy
from settings import get_settings
from tests.conftest import scratch_postgres
from tests.servers import SmtpServer, free_port, wait_for
from tests.world import ACTOR, WorldBuilder
from tracking import obligations

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).parent / "prefect")
AS_OF = date(2026, 3, 9)  # Monday; the task is due Thursday 12/03: 3 working days left
OFFICERS = 24
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


@dataclass
class Databases:
    app_url: str
    prefect_url: str


@pytest.fixture
def databases() -> Iterator[Databases]:
    with scratch_postgres("nhiemvu_cluster", "prefect_cluster") as [app_url, prefect_url]:
        prefect_async_url = (
            sa.make_url(prefect_url)
            .set(drivername="postgresql+asyncpg")
            .render_as_string(hide_password=False)
        )
        yield Databases(app_url, prefect_async_url)


def seed(app_url: str) -> None:
    """A department with many officers (one email each), one task due in 3 working days, a
    monthly duty, and a send window open at any hour (the workers' clock is the real one)."""
    engine = make_engine(app_url)
    upgrade(engine)
    with Session(engine) as session:
        build = WorldBuilder(session)
        province = build.unit("QNG", "Ủy ban nhân dân tỉnh Quảng Ngãi", UnitKind.PROVINCE)
        department = build.unit("QNG-STC", "Sở Tài chính", UnitKind.DEPARTMENT, parent=province)
        for n in range(OFFICERS):
            build.user(
                f"cb{n:02d}",
                full_name=f"Cán bộ {n:02d}",
                unit=department,
                role=Role.OFFICER,
                email=f"cb{n:02d}@stc.example.vn",
            )
        build.task(
            "Lập dự toán ngân sách năm 2027",
            issuer=province,
            lead=department,
            due=date(2026, 3, 12),
            assigned_on=date(2026, 3, 2),
        )
        obligations.create(
            session=session,
            actor=ACTOR,
            title="Báo cáo tình hình thu chi",
            report_kind="month",
            issuer_unit_id=province.id or 0,
            lead_unit_id=department.id or 0,
            starts_on=date(2026, 3, 2),
            report_issuer_code="STC",
        )
        set_policy(
            session=session,
            scope=PolicyScope.GLOBAL,
            rules={"send_window": {"start": "00:00", "end": "23:59", "working_days_only": False}},
        )
        session.commit()
    engine.dispose()


class Processes:
    """The processes this test started, each in its own process group, stopped by their ids."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.folder / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, process, log))
        return process

    def log(self, name: str) -> str:
        return next(p for n, _, p in self.started if n == name).read_text(errors="replace")

    def stop(self) -> None:
        for name, process, _log in reversed(self.started):
            if process.poll() is not None:
                continue
            # A Prefect worker stops on the second SIGINT; the server on the first.
            for _ in range(2 if name.startswith("worker") else 1):
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=3)
                    break
                except subprocess.TimeoutExpired:
                    continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


class SlowMailServer(SmtpServer):
    """Takes a moment per message, so that deliveries running at once really overlap."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_two_workers_on_a_prefect_server_send_every_reminder_once(
    databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every machine of a province shares one encryption key (channel URLs are encrypted):
    # the seed here and the workers below read the same one.
    encryption_keys = Fernet.generate_key().decode()
    monkeypatch.setenv("NHIEMVU_ENCRYPTION_KEYS", encryption_keys)
    get_settings.cache_clear()
    seed(databases.app_url)
    mail = SlowMailServer(port=free_port())
    mail.start()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NHIEMVU_"))}
    env = base | {
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "NHIEMVU_ENVIRONMENT": "test",
        "NHIEMVU_HOME": str(ROOT),
        "NHIEMVU_DATA_DIR": str(tmp_path / "data"),
        "NHIEMVU_DATABASE_URL": databases.app_url,
        "NHIEMVU_SMTP_HOST": "127.0.0.1",
        "NHIEMVU_SMTP_PORT": str(mail.port),
        "NHIEMVU_SMTP_FROM": "nhacviec@quangngai.example.vn",
        "NHIEMVU_NOTIFY_BATCH_SIZE": "3",
        "NHIEMVU_ENCRYPTION_KEYS": encryption_keys,
    }
    server_env = env | {
        "PREFECT_API_DATABASE_CONNECTION_URL": databases.prefect_url,
        "PREFECT_UI_ENABLED": "false",
        # Only the runs this test starts: no schedule may add its own.
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
    }
    env.pop("PREFECT_API_DATABASE_CONNECTION_URL", None)
    processes = Processes(tmp_path)
    client = httpx.Client(base_url=api, timeout=10)
    try:
        processes.start(
            "server",
            [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            server_env,
        )

        def healthy() -> bool:
            try:
                return client.get("/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_for("the Prefect server answers", healthy, 180)
        run([PREFECT, "work-pool", "create", "nhiemvu", "--type", "process"], env)
        run([PREFECT, "--no-prompt", "deploy", "--all"], env, timeout=180)
        for n in (1, 2):
            processes.start(
                f"worker{n}",
                [
                    PREFECT,
                    "worker",
                    "start",
                    "--pool",
                    "nhiemvu",
                    "--type",
                    "process",
                    "--name",
                    f"w{n}",
                    "--limit",
                    "2",
                ],
                env,
            )

        def workers_online() -> bool:
            answer = client.post("/work_pools/nhiemvu/workers/filter", json={})
            return {w["name"] for w in answer.json()} >= {"w1", "w2"}

        wait_for("both workers report to the server", workers_online, 90)

        def deployment(name: str) -> str:
            return str(client.get(f"/deployments/name/{name}").json()["id"])

        sweep_id = deployment("daily-sweep/nhiemvu-sweep")
        delivery_id = deployment("delivery/nhiemvu-delivery")

        def start(deployment_id: str) -> str:
            answer = client.post(
                f"/deployments/{deployment_id}/create_flow_run",
                json={"parameters": {"as_of": AS_OF.isoformat()}},
            )
            assert answer.status_code == 201, answer.text
            return str(answer.json()["id"])

        def finish(run_ids: list[str]) -> dict[str, str]:
            def states() -> dict[str, str] | None:
                found = {i: client.get(f"/flow_runs/{i}").json()["state_type"] for i in run_ids}
                return found if set(found.values()) <= TERMINAL else None

            result: dict[str, str] = wait_for(f"flow runs {run_ids} end", states, 240)
            return result

        # Two sweeps and four deliveries at once, spread over the two workers.
        run_ids = [start(sweep_id), start(delivery_id), start(sweep_id)]
        run_ids += [start(delivery_id) for _ in range(3)]
        states = finish(run_ids)
        # Deliveries that ran before a sweep committed found nothing: drain what is left.
        engine = make_engine(databases.app_url)
        for _ in range(4):
            with Session(engine) as session:
                open_rows = session.exec(
                    select(Notification.id).where(Notification.state != NotificationState.SENT)
                ).all()
            if not open_rows:
                break
            drain = [start(delivery_id), start(delivery_id)]
            states |= finish(drain)
            run_ids += drain
        assert set(states.values()) == {"COMPLETED"}, states

        with Session(engine) as session:
            notifications = session.exec(select(Notification)).all()
            items = session.exec(select(ReminderItem)).all()
            occurrences = session.exec(select(Task).where(Task.occurrence_key == "2026-M03")).all()
        engine.dispose()
        assert len(items) == OFFICERS and len(notifications) == OFFICERS
        assert {n.state for n in notifications} == {NotificationState.SENT}
        assert len(occurrences) == 1  # two sweeps, one task for the period

        # Each reminder exactly once at the mail server.
        received = Counter(m.to[0] for m in mail.received)
        assert received == Counter(f"cb{n:02d}@stc.example.vn" for n in range(OFFICERS))
        assert len({m.message_id for m in mail.received}) == OFFICERS

        # The runs went through both workers.
        ran_by = {
            name: set(re.findall(r"submitting flow run '([0-9a-f-]+)'", processes.log(name)))
            for name in ("worker1", "worker2")
        }
        assert ran_by["worker1"] and ran_by["worker2"], ran_by
        assert ran_by["worker1"] | ran_by["worker2"] == set(run_ids)
    finally:
        client.close()
        processes.stop()
        mail.stop()
    assert all(p.poll() is not None for _, p, _ in processes.started)
