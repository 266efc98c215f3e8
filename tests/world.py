"""The one builder of test worlds: units, users, contact channels, documents, plans and tasks,
each made through the product's own use case (so a unit's path, a task's assignments and the
audit trail are the real ones), with defaults a test only overrides where it matters.

    build = WorldBuilder(session)
    province = build.unit("P", "Đơn vị P", UnitKind.PROVINCE)
    district = build.unit("P-H", "Đơn vị P-H", UnitKind.DISTRICT, parent=province)
    build.user("an", unit=district, role=Role.OFFICER, email="an@huyen.example.vn")
    build.task("Báo cáo", issuer=province, lead=district, due=date(2021, 6, 30))

The builder flushes, never commits: the caller decides when the world is written. Below it,
the worlds several suites share: the small province of the unit tests (make_world, make_task)
and the reports' seed world (seed_world, issued_seed_report, built by the product's demo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session

from models import Document, Plan, Role, Task, TaskState, Unit, UnitKind, User
from models.reports import Report
from tracking import documents, plans, tasks, units
from tracking.audit import Actor
from tracking.deadlines import DeadlineRule

if TYPE_CHECKING:
    from reports.demo import SeedReportWorld

ACTOR = Actor(name="test")
SETUP = Actor(name="test-setup")  # the API's and the web's worlds are set up by this name


class WorldBuilder:
    def __init__(self, session: Session, *, actor: Actor = ACTOR) -> None:
        self.session = session
        self.actor = actor

    def unit(
        self,
        code: str,
        name: str,
        kind: UnitKind,
        *,
        parent: Unit | None = None,
        short_name: str = "",
    ) -> Unit:
        return units.create(
            session=self.session,
            actor=self.actor,
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            short_name=short_name,
        )

    def user(
        self,
        username: str,
        *,
        unit: Unit,
        role: Role,
        full_name: str = "",
        title: str = "",
        password: str | None = None,
        email: str | None = None,
    ) -> User:
        """A user; `password` is hashed as at sign-up (slow: only for users who log in),
        `email` becomes the user's one contact channel."""
        password_hash = None
        if password is not None:
            from api.auth import hash_password  # the API layer: only worlds with logins need it

            password_hash = hash_password(password=password, username=username)
        user = units.create_user(
            session=self.session,
            actor=self.actor,
            username=username,
            full_name=full_name or f"{role.value} {unit.name}",
            unit=unit,
            role=role,
            title=title,
            password_hash=password_hash,
        )
        if email is not None:
            self.email(user, email)
        return user

    def email(self, user: User, address: str) -> None:
        from notifications.contacts import set_contact_channels  # above tracking

        set_contact_channels(session=self.session, user_id=user.id or 0, urls=[f"mailto:{address}"])

    def document(
        self,
        symbol: str,
        *,
        issued_on: date,
        summary: str,
        issuer: Unit | None = None,
        signer: str = "",
    ) -> Document:
        return documents.create(
            session=self.session,
            actor=self.actor,
            symbol=symbol,
            issued_on=issued_on,
            summary=summary,
            issuer=issuer,
            signer=signer,
        )

    def plan(
        self,
        title: str,
        *,
        issuer: Unit,
        document: Document | None = None,
        sections: Sequence[str] = (),
    ) -> Plan:
        return plans.create(
            session=self.session,
            actor=self.actor,
            title=title,
            issuer=issuer,
            document=document,
            section_titles=list(sections),
        )

    def task(
        self,
        title: str,
        *,
        issuer: Unit,
        lead: Unit,
        due: date | None = None,
        deadline: DeadlineRule | None = None,
        coordinators: Sequence[Unit] = (),
        assigned_on: date | None = None,
        plan_id: int | None = None,
        state: TaskState = TaskState.OPEN,
    ) -> Task:
        """An assigned task, due on `due` (or by `deadline`); `state=DONE` reports and
        confirms its completion on the day it was assigned, as the lead and issuer would."""
        if deadline is None:
            assert due is not None, "a task needs `due` or `deadline`"
            deadline = DeadlineRule.fixed(due)
        task = tasks.assign(
            session=self.session,
            actor=self.actor,
            title=title,
            issuer_unit_id=issuer.id or 0,
            lead_unit_id=lead.id or 0,
            coordinating_unit_ids=[unit.id or 0 for unit in coordinators],
            assigned_on=assigned_on,
            deadline=deadline,
            plan_id=plan_id,
        )
        if state == TaskState.DONE:
            task = tasks.report_completion(
                session=self.session,
                actor=self.actor,
                task_id=task.id or 0,
                expected_version=task.version,
                completed_on=task.assigned_on,
                reported_on=task.assigned_on,
                result="Đã hoàn thành",
            )
            task = tasks.confirm_completion(
                session=self.session,
                actor=self.actor,
                task_id=task.id or 0,
                expected_version=task.version,
                confirmed_on=task.assigned_on,
            )
        else:
            assert state == TaskState.OPEN, f"the builder makes open or done tasks, not {state}"
        return task


# --- the small province most unit tests use ----------------------------------------------


@dataclass
class World:
    province: Unit
    department: Unit
    district: Unit
    district_office: Unit
    other_district: Unit


def make_world(session: Session) -> World:
    """P > {P-D, P-H > P-H-VP, P-K}, each named "Đơn vị <code>"; committed."""
    build = WorldBuilder(session)

    def unit(code: str, kind: UnitKind, parent: Unit | None = None) -> Unit:
        return build.unit(code, f"Đơn vị {code}", kind, parent=parent)

    province = unit("P", UnitKind.PROVINCE)
    department = unit("P-D", UnitKind.DEPARTMENT, province)
    district = unit("P-H", UnitKind.DISTRICT, province)
    district_office = unit("P-H-VP", UnitKind.OFFICE, district)
    other_district = unit("P-K", UnitKind.DISTRICT, province)
    session.commit()
    return World(province, department, district, district_office, other_district)


def make_task(
    session: Session,
    world: World,
    *,
    assigned_on: date = date(2021, 3, 1),
    deadline: DeadlineRule | None = None,
    lead: Unit | None = None,
    coordinators: tuple[Unit, ...] = (),
    title: str = "Báo cáo tình hình thực hiện",
) -> Task:
    """A task the province gives the district (or `lead`), due 30/06/2021; committed."""
    task = WorldBuilder(session).task(
        title,
        issuer=world.province,
        lead=lead or world.district,
        deadline=deadline or DeadlineRule.fixed(date(2021, 6, 30)),
        coordinators=coordinators,
        assigned_on=assigned_on,
    )
    session.commit()
    return task


# --- the seed world of the reports: the lead's task demo and the reporting half -------------


def seed_world(session: Session) -> SeedReportWorld:
    """tracking.demo's tasks plus reports.demo's Plan 61 indicators, Lý Sơn's 2021 values and
    the seed report's texts; committed."""
    from reports import demo as report_demo  # the reports layer: only its tests need it
    from tracking import demo as task_demo

    task_demo.build(session=session)
    world = report_demo.add_to_world(session=session)
    session.commit()
    return world


def issued_seed_report(session: Session) -> Report:
    """The seed world's report, issued; committed."""
    from reports import demo as report_demo
    from tracking import demo as task_demo

    task_demo.build(session=session)
    report = report_demo.issue_seed_report(session=session)
    session.commit()
    return report
