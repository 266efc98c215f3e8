"""`nhiemvu serve` on the embedded default: one command runs the API and serves the three
flows on their schedules, with Prefect's own database under the project's data folder."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx

from tests.servers import free_port, stop_process_group, wait_for

ROOT = Path(__file__).resolve().parents[2]
NHIEMVU = str(Path(sys.executable).parent / "nhiemvu")


def test_serve_runs_the_api_and_the_scheduled_flows(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NHIEMVU_"))}
    env |= {"NHIEMVU_DATA_DIR": str(data), "NHIEMVU_ENVIRONMENT": "development"}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [NHIEMVU, "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    prefect_db = data / "prefect" / "prefect.db"

    def served() -> list[tuple[str, str]]:
        if not prefect_db.exists():
            return []
        with sqlite3.connect(prefect_db) as connection:
            try:
                return connection.execute(
                    "SELECT d.name, s.schedule FROM deployment d "
                    "JOIN deployment_schedule s ON s.deployment_id = d.id ORDER BY d.name"
                ).fetchall()
            except sqlite3.OperationalError:  # tables not created yet
                return []

    try:

        def healthy() -> bool:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2)
            except httpx.TransportError:
                return False
            return answer.status_code == 200

        wait_for("the API answers", healthy, 120)
        rows = wait_for(
            "the three deployments are served", lambda: len(served()) == 3 and served(), 120
        )
        schedules = {name: json.loads(schedule) for name, schedule in rows}
        assert {n: (s["cron"], s["timezone"]) for n, s in schedules.items()} == {
            "nhiemvu-delivery": ("*/5 7-17 * * *", "Asia/Ho_Chi_Minh"),
            "nhiemvu-drafting": ("30 6 * * *", "Asia/Ho_Chi_Minh"),
            "nhiemvu-sweep": ("0 7 * * *", "Asia/Ho_Chi_Minh"),
        }
    finally:
        stop_process_group(process)
    assert process.returncode is not None
    assert not healthy()
