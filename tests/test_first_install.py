"""README's "First install", command by command, as separate processes on a new database
(a SQLite file that does not exist yet, a PostgreSQL database just created): the root unit and
the first administrator, the 2026 province's unit tree, users, then through the running API a
user for every other unit and tasks to every commune-level unit. A bad unit file, in between,
changes nothing and lists every bad row."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import scratch_postgres
from tests.servers import free_port, stop_process_group, wait_for

ROOT = Path(__file__).parents[1]
COMMUNE_LEVEL = {"commune", "ward", "special_zone"}


def readme_commands() -> list[str]:
    """The lines of the first code block of README's "First install" section."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## First install", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None, "README's First install section has no bash block"
    return [line for line in block[1].splitlines() if line.strip()]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'nhiemvu.db'}"
        return
    with scratch_postgres("first_install") as [url]:
        yield url


def run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_readme_first_install_works_on_an_empty_database(
    fresh_database_url: str, tmp_path: Path
) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        # A first install has no test settings: it makes its own key file, as a user's would.
        if key not in ("NHIEMVU_SECRET_KEY", "NHIEMVU_ENVIRONMENT", "NHIEMVU_NEW_USER_PASSWORD")
    }
    env |= {"NHIEMVU_DATABASE_URL": fresh_database_url, "NHIEMVU_DATA_DIR": str(tmp_path / "data")}
    port = free_port()
    commands = readme_commands()
    assert commands[0] == "make setup"  # what built the environment these tests run in
    serve: list[str] | None = None
    outputs: dict[str, str] = {}
    for line in commands[1:]:
        words = shlex.split(line, comments=True)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        assert words[0] == ".venv/bin/nhiemvu", line
        if words[1] == "serve":
            serve = [word if word != "8000" else str(port) for word in words]
            continue
        result = run(words, env)
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        outputs[" ".join(words[1:3])] = result.stdout
    password = env["NHIEMVU_NEW_USER_PASSWORD"]
    assert "Đã tạo quản trị viên đầu tiên «quan.tri» (Nguyễn Văn An)" in outputs["init --unit"]
    assert "Đã nhập 46 đơn vị" in outputs["unit import"]
    tree = outputs["unit list"].splitlines()
    assert tree[0] == "QNG  Ủy ban nhân dân tỉnh Quảng Ngãi  (Tỉnh)"
    ward = tree.index(
        "  QNG-P-CAMTHANH  Ủy ban nhân dân phường Cẩm Thành  (Phường) <camthanh@quangngai.gov.vn>"
    )
    assert tree[ward + 1].startswith("    QNG-P-CAMTHANH-VP  Văn phòng HĐND và UBND phường")
    assert (
        "  QNG-DK-LYSON  Ủy ban nhân dân đặc khu Lý Sơn  (Đặc khu) <lyson@quangngai.gov.vn>" in tree
    )

    # A bad file: every bad row on stderr, nothing created.
    bad = tmp_path / "sai.csv"
    bad.write_text(
        "Mã đơn vị,Tên đơn vị,Loại đơn vị,Mã đơn vị cấp trên\n"
        "QNG-X-MOI,Ủy ban nhân dân xã Mới,Xã,QNG\n"
        "QNG-STC,Sở Tài chính,Sở,QNG\n"
        "QNG-X-LANG,Làng,Thôn,QNG\n"
        "QNG-X-XA,Ủy ban nhân dân xã Xa,Xã,QNG-KHONG-CO\n",
        encoding="utf-8",
    )
    refused = run([".venv/bin/nhiemvu", "unit", "import", str(bad)], env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "dòng 3, cột «mã đơn vị»" in refused.stderr and "[unit.code_taken]" in refused.stderr
    assert "dòng 4, cột «loại đơn vị»" in refused.stderr
    assert "dòng 5, cột «mã đơn vị cấp trên»" in refused.stderr
    assert "Lỗi: Tệp có 3 dòng lỗi; không đơn vị nào được nhập" in refused.stderr
    after = run([".venv/bin/nhiemvu", "unit", "list"], env)
    assert after.stdout == outputs["unit list"]

    assert serve is not None, "README's First install starts the API"
    server = subprocess.Popen(
        serve, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        with httpx.Client(base_url=base, timeout=30) as client:
            wait_for("the API to answer", lambda: answers(client), timeout=90)
            drive_the_api(client, password)
    finally:
        stop_process_group(server)


def answers(client: httpx.Client) -> bool:
    try:
        return client.get("/units").status_code == 401
    except httpx.TransportError:
        return False


def sign_in(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = client.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def drive_the_api(client: httpx.Client, password: str) -> None:
    admin = sign_in(client, "quan.tri", password)
    units: list[dict[str, Any]] = client.get("/units", headers=admin).json()
    by_code = {unit["code"]: unit for unit in units}
    assert len(units) == 47
    users = {user["unit_id"] for user in client.get("/users", headers=admin).json()}
    for unit in units:
        if unit["id"] in users:
            continue
        username = unit["code"].lower().replace("-", ".")
        created = client.post(
            "/users",
            json={
                "username": username,
                "full_name": f"Cán bộ {unit['name']}",
                "unit_id": unit["id"],
                "role": "officer",
                "password": password,
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
    users = {user["unit_id"] for user in client.get("/users", headers=admin).json()}
    assert users == {unit["id"] for unit in units}  # a user per unit

    # The province assigns a task to every commune-level unit, the finance department
    # coordinating; the ward's leader sees the ward's task.
    due = (date.today() + timedelta(days=60)).isoformat()
    targets = [unit for unit in units if unit["kind"] in COMMUNE_LEVEL]
    assert {unit["kind"] for unit in targets} == COMMUNE_LEVEL
    for unit in targets:
        task = client.post(
            "/tasks",
            json={
                "title": f"Rà soát, báo cáo số liệu dân cư sau sắp xếp của {unit['name']}",
                "lead_unit_id": unit["id"],
                "coordinating_unit_ids": [by_code["QNG-STC"]["id"]],
                "deadline": {"kind": "date", "due_on": due},
            },
            headers=admin,
        )
        assert task.status_code == 201, task.text
    province = client.get(
        "/tasks",
        params={"unit": by_code["QNG"]["id"], "include_subtree": "true", "limit": 200},
        headers=admin,
    ).json()
    assert province["total"] == len(targets)
    leader = sign_in(client, "hung.camthanh", password)
    mine = client.get(
        "/tasks", params={"unit": by_code["QNG-P-CAMTHANH"]["id"]}, headers=leader
    ).json()
    assert [item["lead_unit_id"] for item in mine["items"]] == [by_code["QNG-P-CAMTHANH"]["id"]]
    finance = sign_in(client, "lan.stc", password)
    coordinating = client.get(
        "/tasks", params={"unit": by_code["QNG-STC"]["id"], "limit": 200}, headers=finance
    ).json()
    assert coordinating["total"] == len(targets)
