"""Every endpoint × every role × the caller's unit relative to the resource's unit.

World (tests/api/conftest.py): root > {issuer > issuer_child, lead > lead_child, coord, other}.
A task is issued by `issuer`, led by `lead`, coordinated by `coord`. For each endpoint the
*subject* is the unit whose rights matter (the issuer for decisions, the lead for reports,
the unit itself for unit data); the caller sits in that unit (own), in its child, in an
uninvolved sibling (`other`), or in the parent (`root`).

Expected statuses, columns = (leader, officer, viewer, admin); OK = the endpoint's success.
Out of reach answers 404 (nothing leaks); visible but not allowed answers 403. A refused
change writes nothing (no audit event); an accepted one writes at least one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from models import (
    AssignmentRole,
    DeadlineKind,
    ExtensionRequest,
    Notification,
    NotificationState,
    Role,
    Task,
    TaskAssignment,
    TaskState,
)
from notifications import contacts
from reports import indicators as indicators_service
from reports import service as reports_service
from settings import get_settings
from tests import samples
from tests.api.conftest import ROLES, SETUP, World, far_day, today_iso
from tracking import calendar as calendar_service
from tracking import calendar_feed, clock
from tracking import documents as documents_service
from tracking import obligations as obligations_service
from tracking import plans as plans_service
from tracking import tasks as tasks_service
from tracking import units as units_service

OK = "ok"
Rule = dict[str, tuple[Any, Any, Any, Any]]

PUBLIC: Rule = {
    "own": (OK, OK, OK, OK),
    "child": (OK, OK, OK, OK),
    "sibling": (OK, OK, OK, OK),
    "parent": (OK, OK, OK, OK),
}
READ: Rule = {  # task data, user lists, statistics: the unit and its ancestors
    "own": (OK, OK, OK, OK),
    "child": (404, 404, 404, OK),
    "sibling": (404, 404, 404, OK),
    "parent": (OK, OK, OK, OK),
}
WRITE: Rule = {  # lead reports / issuer edits: officers and leaders of that very unit
    "own": (OK, OK, 403, OK),
    "child": (404, 404, 404, OK),
    "sibling": (404, 404, 404, OK),
    "parent": (403, 403, 403, OK),
}
DECIDE: Rule = {  # confirm, return, extensions, pause, resume, cancel: the issuer's leader
    "own": (OK, 403, 403, OK),
    "child": (404, 404, 404, OK),
    "sibling": (404, 404, 404, OK),
    "parent": (403, 403, 403, OK),
}
ISSUE: Rule = {  # create tasks, documents, plans in a unit's name (units are public)
    "own": (OK, OK, 403, OK),
    "child": (403, 403, 403, OK),
    "sibling": (403, 403, 403, OK),
    "parent": (403, 403, 403, OK),
}
ASSIGN_AS_BODY: Rule = {  # the body's office (and the body) assign in the body's name
    "own": (OK, OK, 403, OK),
    "child": (403, 403, 403, OK),
    "sibling": (403, 403, 403, OK),
    "parent": (OK, OK, 403, OK),
}
BAD_ASSIGNMENT: Rule = {  # a bad unit, plan or date: 422 for whoever may assign, admins too
    "own": (422, 422, 403, 422),
    "child": (403, 403, 403, 422),
    "sibling": (403, 403, 403, 422),
    "parent": (403, 403, 403, 422),
}
BACKDATED: Rule = {  # beyond the back-dating limit: administrators alone record history
    "own": (422, 422, 403, OK),
    "child": (403, 403, 403, OK),
    "sibling": (403, 403, 403, OK),
    "parent": (403, 403, 403, OK),
}
SELF_DECISION: Rule = {  # a task its issuer leads (an old row): nobody decides on it
    "own": (403, 403, 403, 403),
    "child": (404, 404, 404, 403),
    "sibling": (404, 404, 404, 403),
    "parent": (403, 403, 403, 403),
}
ADMIN: Rule = {
    "own": (403, 403, 403, OK),
    "child": (403, 403, 403, OK),
    "sibling": (403, 403, 403, OK),
    "parent": (403, 403, 403, OK),
}
OTHER_USER: Rule = {  # someone else's contact channels: themselves or an admin only
    "own": (403, 403, 403, OK),
    "child": (404, 404, 404, OK),
    "sibling": (404, 404, 404, OK),
    "parent": (403, 403, 403, OK),
}

# A test message to someone else's channel: the same 404 as a channel that does not exist,
# so the endpoint does not tell which channel ids exist (issue 9).
OTHER_CHANNEL: Rule = {
    "own": (404, 404, 404, OK),
    "child": (404, 404, 404, OK),
    "sibling": (404, 404, 404, OK),
    "parent": (404, 404, 404, OK),
}

PLAN_LEADER: Rule = {  # a plan's reminder policy: a leader of the plan's issuing unit
    "own": (OK, 403, 403, OK),
    "child": (403, 403, 403, OK),
    "sibling": (403, 403, 403, OK),
    "parent": (403, 403, 403, OK),
}

UNIT_LEADER: Rule = {  # the officer in charge of a unit's part: that unit's leaders only
    "own": (OK, 403, 403, OK),
    "child": (404, 404, 404, OK),
    "sibling": (404, 404, 404, OK),
    "parent": (403, 403, 403, OK),
}

PLAN_REMINDERS: Rule = {  # plan a day's reminders: the writers of a body's office (and admins)
    "own": (OK, OK, 403, OK),
    "child": (403, 403, 403, OK),
    "sibling": (403, 403, 403, OK),
    "parent": (403, 403, 403, OK),
}

ISSUER_LEADER: Rule = {  # define a recurring duty: a leader of the unit requiring the report
    "own": (OK, 403, 403, OK),
    "child": (403, 403, 403, OK),
    "sibling": (403, 403, 403, OK),
    "parent": (403, 403, 403, OK),
}

RELATIVES = {
    "issuer": {"own": "issuer", "child": "issuer_child", "sibling": "other", "parent": "root"},
    "lead": {"own": "lead", "child": "lead_child", "sibling": "other", "parent": "root"},
}

Ctx = dict[str, Any]


def open_task(world: World, subject: str) -> Ctx:
    return {"task": world.new_task(), "version": 1}


def submitted_task(world: World, subject: str) -> Ctx:
    task_id = world.new_task()
    with world.session() as session:
        tasks_service.report_completion(
            session=session,
            actor=SETUP,
            task_id=task_id,
            expected_version=1,
            completed_on=clock.today() - timedelta(days=1),
            result="Đã hoàn thành",
        )
        session.commit()
    return {"task": task_id, "version": 2}


def task_with_extension(world: World, subject: str) -> Ctx:
    task_id = world.new_task()
    with world.session() as session:
        request = tasks_service.request_extension(
            session=session,
            actor=SETUP,
            task_id=task_id,
            expected_version=1,
            proposed_due_on=clock.today() + timedelta(days=60),
            reason="Chờ ý kiến của Bộ",
        )
        session.commit()
    return {"task": task_id, "version": 2, "extension": request.id}


def paused_task(world: World, subject: str) -> Ctx:
    task_id = world.new_task()
    with world.session() as session:
        tasks_service.pause(
            session=session, actor=SETUP, task_id=task_id, expected_version=1, reason="Chờ vốn"
        )
        session.commit()
    return {"task": task_id, "version": 2}


def self_led_task(world: World, subject: str, *, submitted: bool) -> int:
    """A task its issuer also leads, written directly as an old row would be (none can be
    assigned any more)."""
    today, unit_id = clock.today(), world.unit_id(subject)
    with world.session() as session:
        task = Task(
            title=f"Nhiệm vụ tự giao số {world.next()}",
            issuer_unit_id=unit_id,
            lead_unit_id=unit_id,
            assigned_on=today - timedelta(days=20),
            deadline_kind=DeadlineKind.DATE,
            original_due_on=today + timedelta(days=10),
            due_on=today + timedelta(days=10),
            state=TaskState.SUBMITTED if submitted else TaskState.OPEN,
            completed_on=today - timedelta(days=2) if submitted else None,
            completion_reported_on=today - timedelta(days=1) if submitted else None,
        )
        session.add(task)
        session.flush()
        session.add(
            TaskAssignment(
                task_id=task.id or 0,
                unit_id=unit_id,
                role=AssignmentRole.LEAD,
                assigned_on=task.assigned_on,
            )
        )
        session.commit()
        return task.id or 0


def self_submitted_task(world: World, subject: str) -> Ctx:
    return {"task": self_led_task(world, subject, submitted=True), "version": 1}


def self_task_with_extension(world: World, subject: str) -> Ctx:
    task_id = self_led_task(world, subject, submitted=False)
    with world.session() as session:
        request = ExtensionRequest(
            task_id=task_id,
            requested_on=clock.today(),
            old_due_on=clock.today() + timedelta(days=10),
            proposed_due_on=clock.today() + timedelta(days=60),
            reason="Tự xin gia hạn",
        )
        session.add(request)
        session.commit()
        return {"task": task_id, "version": 1, "extension": request.id}


def task_with_attachment(world: World, subject: str) -> Ctx:
    """A submitted task whose lead unit attached a PDF to its completion report."""
    context = submitted_task(world, subject)
    response = world.client.post(
        f"/api/v1/tasks/{context['task']}/attachments",
        data={"kind": "completion"},
        files={"file": ("ho-so.pdf", samples.PDF, "application/pdf")},
        headers=world.headers("lead", Role.OFFICER),
    )
    assert response.status_code == 201, response.text
    return {**context, "attachment": response.json()["id"]}


def completion_pdf(world: World, context: Ctx) -> tuple[str, bytes]:
    return "ho-so-hoan-thanh.pdf", samples.PDF


def subject_unit(world: World, subject: str) -> Ctx:
    return {"unit": world.unit_id(subject)}


def unit_file_under(world: World, unit_id: int) -> tuple[str, bytes]:
    """A unit-tree file of one new unit (a code not used before) under the unit `unit_id`."""
    [parent] = [unit for unit in world.units.values() if unit.id == unit_id]
    rows = f"code,name,kind,parent code\nNK{world.next()},Phòng nhập từ tệp,other,{parent.code}\n"
    return "don-vi.csv", rows.encode()


def document_of(world: World, subject: str) -> Ctx:
    """A document issued by `subject` (edited by that unit's writers)."""
    with world.session() as session:
        document = documents_service.create(
            session=session,
            actor=SETUP,
            symbol=f"{world.next()}/KH-UBND",
            issued_on=clock.today(),
            summary="Kế hoạch kiểm thử",
            issuer=units_service.get(session=session, unit_id=world.unit_id(subject)),
        )
        session.commit()
        return {"document": document.id, "version": document.version}


def plan_with_section(world: World, subject: str) -> Ctx:
    with world.session() as session:
        plan = plans_service.create(
            session=session,
            actor=SETUP,
            title=f"Kế hoạch kiểm thử {world.next()}",
            issuer=units_service.get(session=session, unit_id=world.unit_id(subject)),
            section_titles=["Mục một"],
        )
        session.commit()
        [section] = plans_service.sections(session=session, plan_id=plan.id or 0)
        return {"plan": plan.id, "section": section.id, "version": plan.version}


def plan_of(world: World, subject: str) -> Ctx:
    with world.session() as session:
        plan = plans_service.create(
            session=session,
            actor=SETUP,
            title=f"Kế hoạch kiểm thử {world.next()}",
            issuer=units_service.get(session=session, unit_id=world.unit_id(subject)),
        )
        session.commit()
        return {"plan": plan.id, "unit": world.unit_id(subject)}


def target_user(world: World, subject: str) -> Ctx:
    assert world.target is not None
    return {"user": world.target.id}


def target_channel(world: World, subject: str) -> Ctx:
    assert world.target is not None
    address = f"dich{world.next()}@example.vn"
    with world.session() as session:
        views = contacts.set_contact_channels(
            session=session, user_id=world.target.id or 0, urls=[address], actor=SETUP
        )
        session.commit()
    channel = next(v for v in views if address in v.url)
    return {"user": world.target.id, "channel": channel.id}


def a_document(world: World, subject: str) -> Ctx:
    from tracking import documents

    with world.session() as session:
        document = documents.create(
            session=session,
            actor=SETUP,
            symbol=f"{world.next()}/KH-UBND",
            issued_on=clock.today(),
            summary="Kế hoạch kiểm thử",
        )
        session.commit()
        return {"document": document.id}


def an_override(world: World, subject: str) -> Ctx:
    day = far_day(world)
    with world.session() as session:
        calendar_service.set_override(
            session=session, actor=SETUP, day=day, is_working_day=False, note="Nghỉ thử"
        )
        session.commit()
    return {"day": day.isoformat()}


def nothing(world: World, subject: str) -> Ctx:
    return {}


def dead_message(world: World, subject: str) -> Ctx:
    assert world.target is not None
    with world.session() as session:
        row = Notification(
            key=f"test:dead:{world.next()}",
            recipient_user_id=world.target.id,
            channel_url="mailto:dich@example.vn",
            subject="Nhắc việc",
            body="Nội dung",
            state=NotificationState.DEAD,
            attempts=5,
            last_error="Máy chủ thư từ chối",
        )
        session.add(row)
        session.commit()
        return {"notification": row.id}


ISSUE_TEXTS = {
    "shortcomings": "Còn chậm.",
    "recommendations": "Bổ sung kinh phí.",
    "orientation": "Tiếp tục triển khai.",
    "signature": {"title": "GIÁM ĐỐC", "name": "Nguyễn Văn A"},
}


def draft_report(world: World, subject: str) -> Ctx:
    with world.session() as session:
        report = reports_service.create_draft(
            session=session,
            actor=SETUP,
            kind="year",
            period_code=str(clock.today().year),
            unit_id=world.unit_id(subject),
            as_of=clock.today(),
            issuer_code="SNV",
            texts=ISSUE_TEXTS,
        )
        session.commit()
        return {"report": report.id, "version": report.version, "unit": world.unit_id(subject)}


def indicator_of(world: World, subject: str, issuer: str = "issuer") -> Ctx:
    """A plan issued by `issuer` with one indicator (values are reported by the subject)."""
    context = plan_of(world, issuer)
    with world.session() as session:
        indicator = indicators_service.create_indicator(
            session=session, actor=SETUP, plan_id=context["plan"], code="CT1", name="Chỉ tiêu"
        )
        session.commit()
    return {**context, "indicator": indicator.id, "unit": world.unit_id(subject)}


def an_obligation(world: World, subject: str, *, active: bool = True) -> Ctx:
    """A monthly duty required by `issuer` of `lead` (stop/restart: the issuer's leaders;
    read: both units and their ancestors)."""
    with world.session() as session:
        duty = obligations_service.create(
            session=session,
            actor=SETUP,
            title=f"Báo cáo tháng về cải cách hành chính số {world.next()}",
            report_kind="month",
            issuer_unit_id=world.unit_id("issuer"),
            lead_unit_id=world.unit_id("lead"),
            active=active,
        )
        session.commit()
        return {"obligation": duty.id, "version": duty.version}


def stopped_obligation(world: World, subject: str) -> Ctx:
    return an_obligation(world, subject, active=False)


def report_kind(world: World, subject: str) -> Ctx:
    return {"kind": "year"}


def indicators_csv(world: World, context: Ctx) -> tuple[str, bytes]:
    return "chi-tieu.csv", f"code,name\nCT{world.next()},Chỉ tiêu thử\n".encode()


def values_csv(world: World, context: Ctx) -> tuple[str, bytes]:
    today = clock.today()
    return (
        "so-lieu.csv",
        "indicator_code,unit_code,period_kind,period_code,value,reported_on\n"
        f"CT1,LEAD,year,{today.year},5,{today:%d/%m/%Y}\n".encode(),
    )


def calendar_feeds(world: World, subject: str) -> Ctx:
    """An active calendar feed for every user of the world (each caller revokes their own)."""
    with world.session() as session:
        for user in world.users.values():
            calendar_feed.create(session=session, actor=SETUP, user_id=user.id or 0)
        session.commit()
    return {}


CSV_ONE_ROW = "nội dung nhiệm vụ,đơn vị chủ trì,thời hạn\nBáo cáo sơ kết,LEAD,30 ngày\n"


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str  # formatted with the setup context
    subject: str  # "issuer" or "lead"
    rule: Rule
    success: int
    setup: Callable[[World, str], Ctx] = nothing
    body: Callable[[World, Ctx], Any] | None = None
    params: Callable[[World, Ctx], dict[str, Any]] | None = None
    upload: bool = False
    file: Callable[[World, Ctx], tuple[str, bytes]] | None = None
    writes: bool = True  # False: an action that changes no data (a test message)

    @property
    def changes(self) -> bool:
        return self.method != "GET" and self.writes


def n(world: World) -> int:
    return world.next()


CASES = [
    Case("me", "GET", "/api/v1/auth/me", "lead", PUBLIC, 200),
    # units
    Case("units.list", "GET", "/api/v1/units", "lead", PUBLIC, 200),
    Case("units.get", "GET", "/api/v1/units/{unit}", "lead", PUBLIC, 200, subject_unit),
    Case("units.subtree", "GET", "/api/v1/units/{unit}/subtree", "lead", PUBLIC, 200, subject_unit),
    Case(
        "units.create",
        "POST",
        "/api/v1/units",
        "lead",
        ADMIN,
        201,
        subject_unit,
        lambda w, c: {"code": f"DV{n(w)}", "name": "Phòng mới", "parent_id": c["unit"]},
    ),
    Case(
        "units.update",
        "PATCH",
        "/api/v1/units/{unit}",
        "lead",
        ADMIN,
        200,
        subject_unit,
        lambda w, c: {"short_name": f"SNV{n(w)}"},
    ),
    Case(
        "units.import",
        "POST",
        "/api/v1/units/import",
        "lead",
        ADMIN,
        201,
        subject_unit,
        file=lambda w, c: unit_file_under(w, c["unit"]),
    ),
    # users and channels
    Case(
        "users.list",
        "GET",
        "/api/v1/users",
        "lead",
        READ,
        200,
        subject_unit,
        params=lambda w, c: {"unit_id": c["unit"]},
    ),
    Case("users.get", "GET", "/api/v1/users/{user}", "lead", READ, 200, target_user),
    Case(
        "users.create",
        "POST",
        "/api/v1/users",
        "lead",
        ADMIN,
        201,
        subject_unit,
        lambda w, c: {
            "username": f"moi{n(w)}",
            "full_name": "Trần Thị Mới",
            "unit_id": c["unit"],
            "role": "viewer",
            "password": "mat-khau-moi-1",
        },
    ),
    Case(
        "users.update",
        "PATCH",
        "/api/v1/users/{user}",
        "lead",
        ADMIN,
        200,
        target_user,
        lambda w, c: {"title": "Chuyên viên chính"},
    ),
    Case(
        "channels.list",
        "GET",
        "/api/v1/users/{user}/channels",
        "lead",
        OTHER_USER,
        200,
        target_user,
    ),
    Case(
        "channels.add",
        "POST",
        "/api/v1/users/{user}/channels",
        "lead",
        OTHER_USER,
        201,
        target_user,
        lambda w, c: {"urls": [f"moi{n(w)}@example.vn"]},
    ),
    Case(
        "channels.set",
        "PUT",
        "/api/v1/users/{user}/channels",
        "lead",
        OTHER_USER,
        200,
        target_user,
        lambda w, c: {"urls": [f"dat{n(w)}@example.vn", "tgram://123456789:AAHsecret/-100123"]},
    ),
    Case(
        "channels.remove",
        "DELETE",
        "/api/v1/users/{user}/channels/{channel}",
        "lead",
        OTHER_USER,
        204,
        target_channel,
    ),
    # documents and plans (published acts: everyone reads; a unit issues in its own name)
    Case("documents.list", "GET", "/api/v1/documents", "issuer", PUBLIC, 200),
    Case("documents.get", "GET", "/api/v1/documents/{document}", "issuer", PUBLIC, 200, a_document),
    Case(
        "documents.create",
        "POST",
        "/api/v1/documents",
        "issuer",
        ISSUE,
        201,
        subject_unit,
        lambda w, c: {
            "symbol": f"{n(w)}/KH-UBND",
            "issued_on": today_iso(),
            "summary": "Kế hoạch cải cách hành chính",
            "issuer_unit_id": c["unit"],
        },
    ),
    Case(
        "documents.update",
        "PATCH",
        "/api/v1/documents/{document}",
        "issuer",
        ISSUE,
        200,
        document_of,
        lambda w, c: {"version": c["version"], "signer": f"Nguyễn Văn {n(w)}"},
    ),
    Case("plans.list", "GET", "/api/v1/plans", "issuer", PUBLIC, 200),
    Case(
        "plans.update",
        "PATCH",
        "/api/v1/plans/{plan}",
        "issuer",
        ISSUE,
        200,
        plan_with_section,
        lambda w, c: {"version": c["version"], "title": f"Kế hoạch đã sửa {n(w)}"},
    ),
    Case(
        "plans.update_section",
        "PATCH",
        "/api/v1/plans/{plan}/sections/{section}",
        "issuer",
        ISSUE,
        200,
        plan_with_section,
        lambda w, c: {"version": c["version"], "title": f"Mục đã sửa {n(w)}"},
    ),
    Case("plans.get", "GET", "/api/v1/plans/{plan}", "issuer", PUBLIC, 200, plan_of),
    Case(
        "plans.create",
        "POST",
        "/api/v1/plans",
        "issuer",
        ISSUE,
        201,
        subject_unit,
        lambda w, c: {"title": "Kế hoạch năm", "issuer_unit_id": c["unit"], "sections": ["Mục I"]},
    ),
    Case(
        "plans.add_section",
        "POST",
        "/api/v1/plans/{plan}/sections",
        "issuer",
        ISSUE,
        201,
        plan_of,
        lambda w, c: {"title": "Mục bổ sung"},
    ),
    Case(
        "plans.import",
        "POST",
        "/api/v1/plans/{plan}/tasks/import",
        "issuer",
        ISSUE,
        201,
        plan_of,
        upload=True,
    ),
    Case(
        "plans.import_preview",
        "POST",
        "/api/v1/plans/{plan}/tasks/import/preview",
        "issuer",
        ISSUE,
        200,
        plan_of,
        upload=True,
        writes=False,
    ),
    # the caller's own calendar feed: everyone, for themselves
    Case("me.calendar_feed.create", "POST", "/api/v1/me/calendar-feed", "lead", PUBLIC, 201),
    Case(
        "me.calendar_feed.revoke",
        "DELETE",
        "/api/v1/me/calendar-feed",
        "lead",
        PUBLIC,
        204,
        calendar_feeds,
    ),
    # tasks
    Case("tasks.list", "GET", "/api/v1/tasks", "lead", PUBLIC, 200),
    Case(
        "tasks.create",
        "POST",
        "/api/v1/tasks",
        "issuer",
        ISSUE,
        201,
        subject_unit,
        lambda w, c: {
            "title": "Nhiệm vụ mới",
            "issuer_unit_id": c["unit"],
            "lead_unit_id": w.unit_id("lead"),
            "deadline": {"kind": "days", "amount": 15},
        },
    ),
    Case(
        "tasks.create.as_body",
        "POST",
        "/api/v1/tasks",
        "issuer",
        ASSIGN_AS_BODY,
        201,
        body=lambda w, c: {
            "title": "Nhiệm vụ UBND tỉnh giao",
            "issuer_unit_id": w.unit_id("root"),
            "lead_unit_id": w.unit_id("lead"),
            "deadline": {"kind": "days", "amount": 15},
        },
    ),
    Case(
        "tasks.create.upward",
        "POST",
        "/api/v1/tasks",
        "issuer",
        BAD_ASSIGNMENT,
        201,
        subject_unit,
        lambda w, c: {
            "title": "Nhiệm vụ giao ngược lên cấp trên",
            "issuer_unit_id": c["unit"],
            "lead_unit_id": w.unit_id("root"),
            "deadline": {"kind": "days", "amount": 15},
        },
    ),
    Case(
        "tasks.create.others_plan",
        "POST",
        "/api/v1/tasks",
        "issuer",
        BAD_ASSIGNMENT,
        201,
        lambda w, s: {**plan_of(w, "other"), "unit": w.unit_id(s)},
        lambda w, c: {
            "title": "Nhiệm vụ trong kế hoạch của đơn vị khác",
            "issuer_unit_id": c["unit"],
            "lead_unit_id": w.unit_id("lead"),
            "plan_id": c["plan"],
            "deadline": {"kind": "days", "amount": 15},
        },
    ),
    Case(
        "tasks.create.backdated",
        "POST",
        "/api/v1/tasks",
        "issuer",
        BACKDATED,
        201,
        subject_unit,
        lambda w, c: {
            "title": "Nhiệm vụ ghi lùi ngày giao",
            "issuer_unit_id": c["unit"],
            "lead_unit_id": w.unit_id("lead"),
            "assigned_on": today_iso(-get_settings().backdate_max_days - 1),
            "deadline": {"kind": "days", "amount": 90},
        },
    ),
    Case("tasks.get", "GET", "/api/v1/tasks/{task}", "lead", READ, 200, open_task),
    Case(
        "tasks.update",
        "PATCH",
        "/api/v1/tasks/{task}",
        "issuer",
        WRITE,
        200,
        open_task,
        lambda w, c: {"version": c["version"], "note": "Ghi chú mới"},
    ),
    Case(
        "tasks.reassign",
        "PUT",
        "/api/v1/tasks/{task}/assignments",
        "issuer",
        WRITE,
        200,
        open_task,
        lambda w, c: {
            "version": c["version"],
            "lead_unit_id": w.unit_id("lead"),
            "coordinating_unit_ids": [w.unit_id("other")],
        },
    ),
    Case(
        "tasks.assign_officer",
        "PUT",
        "/api/v1/tasks/{task}/assignments/{unit}/officer",
        "lead",
        UNIT_LEADER,
        200,
        lambda w, s: {**open_task(w, s), "unit": w.unit_id(s)},
        lambda w, c: {"version": c["version"], "officer_id": w.users[("lead", Role.OFFICER)].id},
    ),
    Case(
        "attachments.upload",
        "POST",
        "/api/v1/tasks/{task}/attachments",
        "lead",
        WRITE,
        201,
        submitted_task,
        lambda w, c: {"kind": "completion"},
        file=completion_pdf,
    ),
    Case(
        "attachments.list",
        "GET",
        "/api/v1/tasks/{task}/attachments",
        "lead",
        READ,
        200,
        task_with_attachment,
    ),
    Case(
        "attachments.download",
        "GET",
        "/api/v1/tasks/{task}/attachments/{attachment}",
        "lead",
        READ,
        200,
        task_with_attachment,
    ),
    Case("tasks.history", "GET", "/api/v1/tasks/{task}/history", "lead", READ, 200, open_task),
    Case("progress.list", "GET", "/api/v1/tasks/{task}/progress", "lead", READ, 200, open_task),
    Case(
        "progress.add",
        "POST",
        "/api/v1/tasks/{task}/progress",
        "lead",
        WRITE,
        201,
        open_task,
        lambda w, c: {"version": c["version"], "content": "Đã họp triển khai", "percent": 30},
    ),
    Case(
        "completion.report",
        "POST",
        "/api/v1/tasks/{task}/completion",
        "lead",
        WRITE,
        200,
        open_task,
        lambda w, c: {
            "version": c["version"],
            "completed_on": today_iso(-1),
            "result": "Đã ban hành quyết định",
        },
    ),
    Case(
        "completion.confirm",
        "POST",
        "/api/v1/tasks/{task}/completion/confirm",
        "issuer",
        DECIDE,
        200,
        submitted_task,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "completion.confirm.self_led",
        "POST",
        "/api/v1/tasks/{task}/completion/confirm",
        "issuer",
        SELF_DECISION,
        200,
        self_submitted_task,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "completion.return.self_led",
        "POST",
        "/api/v1/tasks/{task}/completion/return",
        "issuer",
        SELF_DECISION,
        200,
        self_submitted_task,
        lambda w, c: {"version": c["version"], "reason": "Thiếu hồ sơ kèm theo"},
    ),
    Case(
        "completion.return",
        "POST",
        "/api/v1/tasks/{task}/completion/return",
        "issuer",
        DECIDE,
        200,
        submitted_task,
        lambda w, c: {"version": c["version"], "reason": "Thiếu hồ sơ kèm theo"},
    ),
    Case(
        "extensions.list",
        "GET",
        "/api/v1/tasks/{task}/extensions",
        "lead",
        READ,
        200,
        task_with_extension,
    ),
    Case(
        "extensions.request",
        "POST",
        "/api/v1/tasks/{task}/extensions",
        "lead",
        WRITE,
        201,
        open_task,
        lambda w, c: {
            "version": c["version"],
            "proposed_due_on": today_iso(90),
            "reason": "Chờ hướng dẫn của Bộ Nội vụ",
        },
    ),
    Case(
        "extensions.approve",
        "POST",
        "/api/v1/tasks/{task}/extensions/{extension}/approve",
        "issuer",
        DECIDE,
        200,
        task_with_extension,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "extensions.approve.self_led",
        "POST",
        "/api/v1/tasks/{task}/extensions/{extension}/approve",
        "issuer",
        SELF_DECISION,
        200,
        self_task_with_extension,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "extensions.reject.self_led",
        "POST",
        "/api/v1/tasks/{task}/extensions/{extension}/reject",
        "issuer",
        SELF_DECISION,
        200,
        self_task_with_extension,
        lambda w, c: {"version": c["version"], "note": "Không có lý do chính đáng"},
    ),
    Case(
        "extensions.reject",
        "POST",
        "/api/v1/tasks/{task}/extensions/{extension}/reject",
        "issuer",
        DECIDE,
        200,
        task_with_extension,
        lambda w, c: {"version": c["version"], "note": "Không có lý do chính đáng"},
    ),
    Case(
        "tasks.pause",
        "POST",
        "/api/v1/tasks/{task}/pause",
        "issuer",
        DECIDE,
        200,
        open_task,
        lambda w, c: {"version": c["version"], "reason": "Chờ bố trí vốn"},
    ),
    Case(
        "tasks.resume",
        "POST",
        "/api/v1/tasks/{task}/resume",
        "issuer",
        DECIDE,
        200,
        paused_task,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "tasks.cancel",
        "POST",
        "/api/v1/tasks/{task}/cancel",
        "issuer",
        DECIDE,
        200,
        open_task,
        lambda w, c: {"version": c["version"], "reason": "Không còn phù hợp"},
    ),
    # calendar and statistics
    Case("calendar.list", "GET", "/api/v1/calendar/overrides", "lead", PUBLIC, 200),
    Case(
        "calendar.set",
        "PUT",
        "/api/v1/calendar/overrides/{day}",
        "lead",
        ADMIN,
        200,
        lambda w, s: {"day": far_day(w).isoformat()},
        lambda w, c: {"is_working_day": True, "note": "Làm bù"},
    ),
    Case(
        "calendar.delete",
        "DELETE",
        "/api/v1/calendar/overrides/{day}",
        "lead",
        ADMIN,
        204,
        an_override,
    ),
    Case(
        "stats",
        "GET",
        "/api/v1/stats",
        "lead",
        READ,
        200,
        subject_unit,
        params=lambda w, c: {"unit": c["unit"]},
    ),
    # reminders
    Case("outbox.list", "GET", "/api/v1/outbox", "lead", PUBLIC, 200),
    Case(
        "outbox.retry",
        "POST",
        "/api/v1/outbox/{notification}/retry",
        "lead",
        ADMIN,
        200,
        dead_message,
    ),
    Case(
        "reminders.test",
        "POST",
        "/api/v1/reminders/test",
        "lead",
        OTHER_CHANNEL,
        200,
        target_channel,
        lambda w, c: {"channel_id": c["channel"]},
        writes=False,
    ),
    Case(
        "reminders.plan",
        "POST",
        "/api/v1/reminders/plan",
        "issuer",
        PLAN_REMINDERS,
        200,
        body=lambda w, c: {"as_of": today_iso(), "dry_run": False},
    ),
    Case("policy.global.get", "GET", "/api/v1/reminder-policy", "lead", PUBLIC, 200),
    Case(
        "policy.global.set",
        "PUT",
        "/api/v1/reminder-policy",
        "lead",
        ADMIN,
        200,
        body=lambda w, c: {"rules": {"overdue_every": 5}},
    ),
    Case(
        "policy.plan.get",
        "GET",
        "/api/v1/plans/{plan}/reminder-policy",
        "issuer",
        PUBLIC,
        200,
        plan_of,
    ),
    Case(
        "policy.plan.set",
        "PUT",
        "/api/v1/plans/{plan}/reminder-policy",
        "issuer",
        PLAN_LEADER,
        200,
        plan_of,
        lambda w, c: {"rules": {"before_working_days": [5, 2]}},
    ),
    Case(
        "policy.task.get",
        "GET",
        "/api/v1/tasks/{task}/reminder-policy",
        "lead",
        READ,
        200,
        open_task,
    ),
    Case(
        "policy.task.set",
        "PUT",
        "/api/v1/tasks/{task}/reminder-policy",
        "issuer",
        DECIDE,
        200,
        open_task,
        lambda w, c: {"rules": {"on_due_day": False}},
    ),
    # reports (a unit's data: its writers draft, its leaders issue, ancestors read)
    Case("report_kinds.list", "GET", "/api/v1/report-kinds", "lead", PUBLIC, 200),
    Case(
        "report_kinds.periods",
        "GET",
        "/api/v1/report-kinds/{kind}/periods",
        "lead",
        PUBLIC,
        200,
        report_kind,
    ),
    Case(
        "reports.list",
        "GET",
        "/api/v1/reports",
        "lead",
        READ,
        200,
        subject_unit,
        params=lambda w, c: {"unit_id": c["unit"]},
    ),
    Case(
        "reports.create",
        "POST",
        "/api/v1/reports",
        "lead",
        WRITE,
        201,
        subject_unit,
        lambda w, c: {
            "kind": "year",
            "period": str(clock.today().year),
            "unit_id": c["unit"],
            "as_of": today_iso(),
            "issuer_code": "SNV",
            "texts": {"shortcomings": "Còn chậm."},
        },
    ),
    Case("reports.get", "GET", "/api/v1/reports/{report}", "lead", READ, 200, draft_report),
    Case(
        "reports.edit_texts",
        "PATCH",
        "/api/v1/reports/{report}/texts",
        "lead",
        WRITE,
        200,
        draft_report,
        lambda w, c: {"version": c["version"], "texts": {"recommendations": "Đề nghị thêm."}},
    ),
    Case(
        "reports.regenerate",
        "POST",
        "/api/v1/reports/{report}/regenerate",
        "lead",
        WRITE,
        200,
        draft_report,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "reports.issue",
        "POST",
        "/api/v1/reports/{report}/issue",
        "lead",
        DECIDE,
        200,
        draft_report,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "reports.download",
        "GET",
        "/api/v1/reports/{report}/files/{format}",
        "lead",
        READ,
        200,
        lambda w, s: {**draft_report(w, s), "format": "md"},
    ),
    Case(
        "reports.numbers",
        "GET",
        "/api/v1/units/{unit}/report-numbers/{year}",
        "lead",
        READ,
        200,
        lambda w, s: {"unit": w.unit_id(s), "year": 2091},
    ),
    Case(
        "reports.set_next_number",
        "PUT",
        "/api/v1/units/{unit}/report-numbers/{year}",
        "lead",
        DECIDE,
        200,
        lambda w, s: {"unit": w.unit_id(s), "year": 2090},
        lambda w, c: {"next_number": n(w) + 1},
    ),
    # recurring duties (required by the issuer's leaders; read by both units and ancestors)
    Case(
        "obligations.list",
        "GET",
        "/api/v1/obligations",
        "lead",
        READ,
        200,
        subject_unit,
        params=lambda w, c: {"unit_id": c["unit"], "active": True},
    ),
    Case(
        "obligations.create",
        "POST",
        "/api/v1/obligations",
        "issuer",
        ISSUER_LEADER,
        201,
        subject_unit,
        lambda w, c: {
            "title": f"Báo cáo tháng về chuyển đổi số {n(w)}",
            "report_kind": "month",
            "issuer_unit_id": c["unit"],
            "lead_unit_id": w.unit_id("lead"),
            "send_deadline_working_days": 3,
        },
    ),
    Case(
        "obligations.get",
        "GET",
        "/api/v1/obligations/{obligation}",
        "lead",
        READ,
        200,
        an_obligation,
    ),
    Case(
        "obligations.update",
        "PATCH",
        "/api/v1/obligations/{obligation}",
        "issuer",
        DECIDE,
        200,
        an_obligation,
        lambda w, c: {"version": c["version"], "recipient": f"Sở Nội vụ ({n(w)})"},
    ),
    Case(
        "obligations.stop",
        "POST",
        "/api/v1/obligations/{obligation}/stop",
        "issuer",
        DECIDE,
        200,
        an_obligation,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "obligations.restart",
        "POST",
        "/api/v1/obligations/{obligation}/restart",
        "issuer",
        DECIDE,
        200,
        stopped_obligation,
        lambda w, c: {"version": c["version"]},
    ),
    Case(
        "obligations.tasks",
        "GET",
        "/api/v1/obligations/{obligation}/tasks",
        "lead",
        READ,
        200,
        an_obligation,
    ),
    # indicators (of a plan, a public act; defined by its issuer) and their values
    Case(
        "indicators.list", "GET", "/api/v1/plans/{plan}/indicators", "issuer", PUBLIC, 200, plan_of
    ),
    Case(
        "indicators.create",
        "POST",
        "/api/v1/plans/{plan}/indicators",
        "issuer",
        ISSUE,
        201,
        plan_of,
        lambda w, c: {"code": f"CT{n(w)}", "name": "Tỷ lệ hồ sơ", "unit_of_measure": "%"},
    ),
    Case(
        "indicators.import",
        "POST",
        "/api/v1/plans/{plan}/indicators/import",
        "issuer",
        ISSUE,
        201,
        plan_of,
        file=indicators_csv,
    ),
    Case(
        "values.import",
        "POST",
        "/api/v1/plans/{plan}/indicator-values/import",
        "issuer",
        ISSUE,
        201,
        lambda w, s: indicator_of(w, "lead", issuer=s),
        file=values_csv,
    ),
    Case(
        "values.list",
        "GET",
        "/api/v1/indicators/{indicator}/values",
        "lead",
        PUBLIC,
        200,
        indicator_of,
    ),
    Case(
        "values.record",
        "POST",
        "/api/v1/indicators/{indicator}/values",
        "lead",
        WRITE,
        201,
        indicator_of,
        lambda w, c: {
            "unit_id": c["unit"],
            "period_kind": "year",
            "period_code": str(clock.today().year),
            "value": 42,
            "reported_on": today_iso(),
        },
    ),
]

ROLE_INDEX = {role: index for index, role in enumerate(ROLES)}
PARAMS = [
    pytest.param(case, role, relation, id=f"{case.name}-{role.value}-{relation}")
    for case in CASES
    for role in ROLES
    for relation in ("own", "child", "sibling", "parent")
]


@pytest.mark.parametrize(("case", "role", "relation"), PARAMS)
def test_authorisation(world: World, case: Case, role: Role, relation: str) -> None:
    expected = case.rule[relation][ROLE_INDEX[role]]
    expected_status = case.success if expected == OK else expected
    caller_unit = RELATIVES[case.subject][relation]
    context = case.setup(world, case.subject)
    url = case.path.format(**context)
    kwargs: dict[str, Any] = {"headers": world.headers(caller_unit, role)}
    if case.body is not None:
        # An upload's other fields are form fields of the same multipart body.
        sent_as = "data" if case.file is not None or case.upload else "json"
        kwargs[sent_as] = case.body(world, context)
    if case.params is not None:
        kwargs["params"] = case.params(world, context)
    if case.file is not None:
        name, content = case.file(world, context)
        kwargs["files"] = {"file": (name, content, "text/csv")}
    elif case.upload:
        kwargs["files"] = {"file": ("nhiem-vu.csv", CSV_ONE_ROW.encode(), "text/csv")}
    audit_before = world.audit_count()

    response = world.client.request(case.method, url, **kwargs)

    assert response.status_code == expected_status, response.text
    if response.status_code >= 400:
        detail = response.json()["detail"]
        assert detail and detail[0]["code"] and detail[0]["message"]
    if case.changes:
        written = world.audit_count() - audit_before
        assert (written >= 1) if expected == OK else (written == 0)


def test_the_table_covers_every_operation(world: World) -> None:
    schema = world.client.get("/api/v1/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
    }
    covered = {(case.method, _template(case.path)) for case in CASES}
    public = {
        ("GET", "/api/v1/health"),
        ("POST", "/api/v1/auth/token"),
        ("GET", "/calendar/{token}.ics"),  # the token is the credential
    }
    assert documented - public == {(m, _template(p)) for m, p in covered}


def _template(path: str) -> str:
    """/api/v1/tasks/{task} → the OpenAPI form /api/v1/tasks/{task_id}."""
    names = {
        "{unit}": "{unit_id}",
        "{user}": "{user_id}",
        "{channel}": "{channel_id}",
        "{document}": "{document_id}",
        "{plan}": "{plan_id}",
        "{task}": "{task_id}",
        "{extension}": "{extension_id}",
        "{day}": "{day}",
        "{notification}": "{notification_id}",
        "{report}": "{report_id}",
        "{format}": "{file_format}",
        "{indicator}": "{indicator_id}",
        "{obligation}": "{obligation_id}",
        "{section}": "{section_id}",
        "{attachment}": "{attachment_id}",
    }
    for short, long in names.items():
        path = path.replace(short, long)
    return path
