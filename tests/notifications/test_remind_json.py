"""`nhiemvu remind --json` (dry and real runs) and `nhiemvu task reassign`, on both
databases: the JSON keys are stable and its dates ISO; a new lead gets the reminders."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from models import AuditEvent, ReminderItem
from tests.notifications.conftest import AS_OF, World

COUNT_KEYS = {
    "as_of",
    "is_working_day",
    "dry_run",
    "tasks_in_window",
    "reminders_planned",
    "items_added",
    "notifications_added",
}
REMINDER_KEYS = {
    "key",
    "task_id",
    "task_title",
    "step",
    "audience",
    "recipient_user_id",
    "recipient_name",
    "channel_id",
    "channel",
    "due_on",
    "working_days_left",
    "reason",
    "new",
}


def _remind(runner: CliRunner, *arguments: str) -> dict[str, object]:
    result = runner.invoke(app, ["remind", "--as-of", AS_OF.isoformat(), "--json", *arguments])
    assert result.exit_code == 0, result.output
    payload: dict[str, object] = json.loads(result.stdout)
    return payload


def test_remind_json_for_dry_and_real_runs(engine: Engine, world: World) -> None:
    runner = CliRunner()
    dry = _remind(runner, "--dry-run")
    assert set(dry) == COUNT_KEYS | {"reminders"}
    assert (dry["as_of"], dry["dry_run"], dry["is_working_day"]) == ("2026-03-09", True, True)
    assert (dry["reminders_planned"], dry["items_added"], dry["notifications_added"]) == (9, 0, 0)
    reminders = dry["reminders"]
    assert isinstance(reminders, list) and len(reminders) == 9
    assert all(set(r) == REMINDER_KEYS and r["new"] for r in reminders)
    overdue = next(r for r in reminders if r["step"] == "overdue:11" and r["audience"] == "lead")
    assert overdue["due_on"] == "2026-02-13" and overdue["working_days_left"] == -11
    assert overdue["recipient_name"] == "Nguyễn Văn An"
    assert overdue["channel"] == "mailto:an@skhcn.example.vn"
    with Session(engine) as session:
        assert session.exec(select(ReminderItem)).first() is None

    with time_machine.travel(datetime(2026, 3, 9, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))):
        real = _remind(runner)
        again = _remind(runner)
    assert set(real) == COUNT_KEYS | {"reminders"} and real["reminders"] == []
    assert (real["dry_run"], real["reminders_planned"], real["items_added"]) == (False, 9, 9)
    assert real["notifications_added"] == 4
    assert (again["reminders_planned"], again["items_added"], again["notifications_added"]) == (
        9,
        0,
        0,
    )


def test_task_reassign_command(engine: Engine, world: World) -> None:
    runner = CliRunner()
    task = world.tasks["before3"]  # led by SKHCN, coordinated by STC
    refusals = [
        (["--lead", "UBND"], "assignment.to_issuer"),
        (["--lead", "STC", "--coordinator", "STC"], "task.lead_also_coordinating"),
        (["--lead", "STC", "--version", "7"], "task.stale_version"),
        (["--lead", "KHONG-CO"], "unit.not_found"),
    ]
    for options, code in refusals:
        refused = runner.invoke(app, ["task", "reassign", str(task.id), *options])
        assert refused.exit_code == 2 and f"[{code}]" in refused.output, refused.output
    for missing in ("2000000000", "99999999999"):
        refused = runner.invoke(app, ["task", "reassign", missing, "--lead", "STC"])
        assert refused.exit_code == 2 and "[task.not_found]" in refused.output, refused.output

    done = runner.invoke(app, ["task", "reassign", str(task.id), "--lead", "STC"])
    assert done.exit_code == 0, done.output
    assert "chủ trì Sở Tài chính; phối hợp: không có" in done.output
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "task.reassign")).one()
        assert event.actor == "cli" and event.entity_id == task.id
        assert event.before is not None and event.after is not None
        assert event.before["lead_unit_id"] == world.dept_a.id
        assert event.after == {
            "lead_unit_id": world.dept_b.id,
            "coordinating_unit_ids": [],
            "version": task.version + 1,
        }
    # The day's "three working days left" reminder of the task now goes to the new lead.
    reminders = _remind(runner, "--dry-run")["reminders"]
    assert isinstance(reminders, list)
    assert {(r["recipient_name"], r["audience"]) for r in reminders if r["task_id"] == task.id} == {
        ("Lê Văn Cường", "lead")
    }
