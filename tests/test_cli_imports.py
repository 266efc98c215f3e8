"""The command line loads only what a command needs: `nhiemvu --help` builds the whole command
tree without the database, and `calendar due` without Prefect, Apprise or document libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import get_args

from cli.users import RoleName
from models import Role

ROOT = Path(__file__).resolve().parents[1]

# Run a command in a fresh interpreter, as the `nhiemvu` script does, and print which
# top-level packages it loaded.
PROBE = """
import json, sys
import cli
sys.argv = ["nhiemvu", *sys.argv[1:]]
code = 0
try:
    cli.app()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"exit": code, "packages": sorted({m.split(".")[0] for m in sys.modules})}))
"""

NEVER_AT_START = {"matplotlib", "apprise", "docx", "openpyxl", "prefect", "uvicorn", "fastapi"}
DATABASE = {"sqlalchemy", "sqlmodel", "alembic", "models", "holidays"}


def loaded_by(tmp_path: Path, *arguments: str) -> tuple[int, set[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NHIEMVU_"))}
    env["NHIEMVU_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["exit"], set(result["packages"])


def test_help_builds_every_command_without_the_database_or_heavy_libraries(
    tmp_path: Path,
) -> None:
    code, packages = loaded_by(tmp_path, "--help")
    assert code == 0
    assert packages.isdisjoint(NEVER_AT_START | DATABASE), packages & (NEVER_AT_START | DATABASE)


def test_calendar_due_loads_the_database_but_no_heavy_library(tmp_path: Path) -> None:
    code, packages = loaded_by(tmp_path, "calendar", "due", "2026-02-12", "--working-days", "3")
    assert code == 0
    assert "sqlalchemy" in packages
    assert packages.isdisjoint(NEVER_AT_START), packages & NEVER_AT_START


def test_the_role_choices_are_the_roles() -> None:
    assert set(get_args(RoleName)) == {role.value for role in Role}
