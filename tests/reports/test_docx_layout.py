"""The report's PDF (LibreOffice) breaks its pages as a clerk would: no page holds only the
signature block and "Nơi nhận", and no heading or lead-in line ends a page.

Checked on the seed report and on a province-wide draft long enough to break pages in many
places (many tasks, overdue and extended ones). Needs `soffice` and poppler-utils (pdftotext).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from models import Report, TaskState, UnitKind
from reports import demo as report_demo
from reports import service
from tracking import demo as task_demo
from tracking import tasks
from tests.world import ACTOR, WorldBuilder

LONG_TITLE = (
    "Triển khai nền tảng tích hợp, chia sẻ dữ liệu và kết nối các hệ thống thông tin dùng chung"
    " của tỉnh với cơ sở dữ liệu quốc gia về dân cư, đất đai và doanh nghiệp tại {unit}, lần {n}"
)


def province_draft(session: Session, *, tasks_per_unit: int = 12) -> Report:
    """The seed world plus communes with many tasks of the province (done, overdue, extended,
    not yet due), and the province's draft report of 2021 on them; committed."""
    world = task_demo.build(session=session)
    report_demo.add_to_world(session=session)
    build = WorldBuilder(session)
    leads = [world.department, world.district]
    for index, name in enumerate(("Bình Sơn", "Sơn Tịnh", "Tư Nghĩa", "Mộ Đức")):
        leads.append(
            build.unit(
                f"QNG-H{index}",
                f"Ủy ban nhân dân huyện {name}",
                UnitKind.DISTRICT,
                parent=world.province,
                short_name=f"UBND huyện {name}",
            )
        )
    for lead in leads:
        for n in range(tasks_per_unit):
            kind = n % 4
            due = date(2021, 3 + n % 6, 10 + n)
            task = build.task(
                LONG_TITLE.format(unit=lead.name.lower(), n=n + 1),
                issuer=world.province,
                lead=lead,
                due=due if kind != 3 else date(2021, 12, 20),
                assigned_on=date(2021, 2, 1 + n),
                state=TaskState.DONE if kind == 0 else TaskState.OPEN,
            )
            if kind == 2:
                extension = tasks.request_extension(
                    session=session,
                    actor=ACTOR,
                    task_id=task.id or 0,
                    expected_version=task.version,
                    proposed_due_on=date(2021, 12, 1 + n),
                    requested_on=date(2021, 2, 20),
                    reason="Chờ hướng dẫn của bộ, ngành",
                )
                tasks.approve_extension(
                    session=session,
                    actor=ACTOR,
                    extension_id=extension.id or 0,
                    expected_version=task.version,
                    decided_on=date(2021, 2, 25),
                )
    session.commit()
    draft = service.create_draft(
        session=session,
        actor=ACTOR,
        kind="year",
        period_code="2021",
        unit_id=world.province.id or 0,
        as_of=date(2021, 11, 2),
        issuer_code="UBND",
    )
    session.commit()
    return draft
