"""`nhiemvu task officer`: the command line puts an officer in charge of a unit's part of a
task through the same service, and refuses what the service refuses, in one line."""

from __future__ import annotations

from sqlmodel import Session
from typer.testing import CliRunner

from cli import app
from models import Role
from tests.world import WorldBuilder, make_task, make_world
from tracking import audit, tasks

runner = CliRunner()


def test_the_officer_in_charge_is_set_and_cleared_from_the_command_line(
    session: Session,
) -> None:
    world = make_world(session)
    task_id = make_task(session, world, coordinators=(world.department,)).id or 0
    build = WorldBuilder(session)
    build.user("can_bo_h", full_name="Ngô Thị Hạnh", unit=world.district, role=Role.OFFICER)
    build.user("can_bo_d", full_name="Lý Văn Dũng", unit=world.department, role=Role.OFFICER)
    session.commit()

    chosen = runner.invoke(
        app, ["task", "officer", str(task_id), "--unit", "P-H", "--user", "can_bo_h"]
    )
    assert chosen.exit_code == 0, chosen.output
    assert "cán bộ theo dõi là Ngô Thị Hạnh (can_bo_h)" in chosen.output
    session.expire_all()
    lead = tasks.assignment_of(session=session, task_id=task_id, unit_id=world.district.id or 0)
    assert lead.officer_id is not None

    refused = runner.invoke(
        app, ["task", "officer", str(task_id), "--unit", "P-H", "--user", "can_bo_d"]
    )
    assert refused.exit_code == 2
    assert "(officer_id) [assignment.officer_not_in_unit]" in refused.stderr
    assert "Traceback" not in refused.output + refused.stderr
    both = runner.invoke(
        app, ["task", "officer", str(task_id), "--unit", "P-H", "--none", "--user", "can_bo_h"]
    )
    assert both.exit_code == 2 and "[task.officer_option]" in both.stderr

    cleared = runner.invoke(app, ["task", "officer", str(task_id), "--unit", "P-H", "--none"])
    assert cleared.exit_code == 0, cleared.output
    session.expire_all()
    lead = tasks.assignment_of(session=session, task_id=task_id, unit_id=world.district.id or 0)
    assert lead.officer_id is None
    events = audit.history(session=session, entity="task", entity_id=task_id)
    assert [e.actor for e in events if e.action == "task.assign_officer"] == ["cli", "cli"]
