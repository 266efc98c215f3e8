"""Who may see and do what, by unit: plain rules that hold outside HTTP too.

The rules (docs/design.md#authorisation-by-unit):
- A user's *reach* is their unit and every unit below it. A task is visible when its issuer,
  lead or any coordinating unit is within reach (so ancestors read their units' data).
  Outside reach a caller learns nothing: the answer is "not found", never "forbidden".
  The office (Văn phòng, kind "office") of a People's Committee follows everything its body
  does, so its users read with the body's reach; what they may change stays their own
  unit's, except that they enter the tasks the body assigns (see "Assigning" below). (One
  rule, units.is_office_of: the reminders' "issuer's office" audience and the people told of
  a drafted periodic report are the same office.)
- The issuing unit edits what it issued (officers and leaders) and decides on it (leaders:
  confirm or return a completion, approve or reject an extension, pause, resume, cancel).
  No unit decides on its own work: a task whose issuer is also its lead (none can be created,
  old rows may exist) has no completion confirmed or returned and no extension decided.
- Assigning: a user assigns in the name of their own unit, or of the body whose office
  (Văn phòng) they work in. A task goes down the tree: its lead and coordinating units lie
  within the issuer's reach (its subtree; a body's office: the body's) and are neither the
  issuer nor that body; its plan is the issuer's (or, for an office, its body's); its source
  document is one the issuer receives (issued by itself, a unit above it or within its reach,
  or by no unit of the tree). These hold for every entry point, system jobs included.
- Event dates (ngày giao, báo cáo, quyết định...) lie no further back than the setting
  `backdate_max_days` allows, except for system jobs and administrators recording history.
- The lead unit reports progress and completion and asks for extensions (officers, leaders).
- Coordinating units add contributions (progress updates in their own name).
- The leaders of the lead and of each coordinating unit put one of their unit's officers in
  charge of its part (cán bộ theo dõi); the office of a body does not choose for the body's
  units.
- A recurring duty (obligation) is defined, stopped and restarted by the leaders of the unit
  that requires the report; that unit, the obliged unit and their ancestors read it.
- Reminders of a day are planned or previewed on request by administrators and by the
  officers and leaders of an office of a People's Committee (the daily job plans them anyway).
- Viewers only read. Administrators manage units, users and the calendar, see everything
  and may act on any task (to repair data); every change is audited either way.
- The unit tree, documents (văn bản) and plans are published acts: every signed-in user reads
  them, since units must pick the units they assign to and read the plans they carry out.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlmodel import Session, col

from models import (
    AssignmentRole,
    Document,
    Plan,
    Role,
    Task,
    TaskAssignment,
    Unit,
    User,
)
from tracking import tasks as tasks_service
from tracking import units as units_service
from tracking.audit import Actor
from tracking.errors import Forbidden, InvalidInput, NotFound

WRITER_ROLES = frozenset({Role.LEADER, Role.OFFICER})


@dataclass(frozen=True)
class Principal:
    """The acting user with their unit, and the unit whose subtree they read (`reach`)."""

    actor: Actor
    unit: Unit
    reach: Unit

    @property
    def role(self) -> Role | None:
        return self.actor.role

    @property
    def is_admin(self) -> bool:
        return self.actor.role == Role.ADMIN

    @property
    def writes(self) -> bool:
        return self.actor.role in WRITER_ROLES

    @classmethod
    def of(cls, *, user: User, unit: Unit, parent: Unit | None = None) -> Principal:
        actor = Actor(name=user.username, user_id=user.id, unit_id=unit.id, role=user.role)
        return cls(actor=actor, unit=unit, reach=reach_of(unit=unit, parent=parent))


def reach_of(*, unit: Unit, parent: Unit | None) -> Unit:
    """The body's subtree for its office (Văn phòng UBND), else the unit's own."""
    if parent is not None and units_service.is_office_of(unit=unit, body=parent):
        return parent
    return unit


@dataclass(frozen=True)
class TaskUnits:
    """The units a task involves, with their paths."""

    issuer: Unit
    lead: Unit
    coordinators: tuple[Unit, ...]

    @property
    def all(self) -> tuple[Unit, ...]:
        return (self.issuer, self.lead, *self.coordinators)


class TaskAction(enum.StrEnum):
    READ = "read"
    EDIT = "edit"  # change content, note, directing leader
    DECIDE = "decide"  # confirm/return completion, decide extensions, pause/resume/cancel
    REPORT = "report"  # progress as the lead, completion report, extension request
    CONTRIBUTE = "contribute"  # progress update as lead or coordinator


def in_reach(*, principal: Principal, unit: Unit) -> bool:
    return principal.is_admin or units_service.is_in_subtree(unit=unit, root=principal.reach)


def task_units(*, session: Session, task: Task, assignments: Sequence[TaskAssignment]) -> TaskUnits:
    ids = {task.issuer_unit_id, task.lead_unit_id, *(a.unit_id for a in assignments)}
    rows = session.scalars(select(Unit).where(col(Unit.id).in_(ids))).all()
    by_id = {unit.id: unit for unit in rows}
    coordinators = tuple(
        by_id[a.unit_id] for a in assignments if a.role == AssignmentRole.COORDINATE
    )
    return TaskUnits(
        issuer=by_id[task.issuer_unit_id], lead=by_id[task.lead_unit_id], coordinators=coordinators
    )


def can_read_task(*, principal: Principal, units: TaskUnits) -> bool:
    return principal.is_admin or any(in_reach(principal=principal, unit=u) for u in units.all)


def can_act_on_task(*, principal: Principal, units: TaskUnits, action: TaskAction) -> bool:
    if principal.is_admin:
        return True
    mine = principal.unit.id
    match action:
        case TaskAction.READ:
            return can_read_task(principal=principal, units=units)
        case TaskAction.EDIT:
            return principal.writes and units.issuer.id == mine
        case TaskAction.DECIDE:
            return principal.role == Role.LEADER and units.issuer.id == mine
        case TaskAction.REPORT:
            return principal.writes and units.lead.id == mine
        case TaskAction.CONTRIBUTE:
            involved = {units.lead.id, *(u.id for u in units.coordinators)}
            return principal.writes and mine in involved
    return False


def authorize_task(
    *, principal: Principal, task: Task, units: TaskUnits, action: TaskAction
) -> None:
    """Raise NotFound when the task is out of reach, Forbidden when it may not be acted on."""
    if not can_read_task(principal=principal, units=units):
        raise NotFound("task.not_found", f"Không tìm thấy nhiệm vụ #{task.id}", field="task_id")
    if not can_act_on_task(principal=principal, units=units, action=action):
        raise Forbidden(
            "task.forbidden",
            FORBIDDEN_MESSAGES[action],
            field=None,
        )


FORBIDDEN_MESSAGES: dict[TaskAction, str] = {
    TaskAction.READ: "Bạn không có quyền xem nhiệm vụ này",
    TaskAction.EDIT: "Chỉ đơn vị giao nhiệm vụ mới được sửa nhiệm vụ này",
    TaskAction.DECIDE: "Chỉ lãnh đạo đơn vị giao nhiệm vụ mới được quyết định việc này",
    TaskAction.REPORT: "Chỉ đơn vị chủ trì mới được báo cáo tiến độ, hoàn thành hoặc xin gia hạn",
    TaskAction.CONTRIBUTE: "Chỉ đơn vị chủ trì hoặc phối hợp mới được cập nhật tiến độ",
}


def can_issue_from(*, principal: Principal, issuer: Unit) -> bool:
    """Create tasks, documents, plans or sections in the name of `issuer`."""
    return principal.is_admin or (principal.writes and principal.unit.id == issuer.id)


def authorize_issue(*, principal: Principal, issuer: Unit) -> None:
    if not can_issue_from(principal=principal, issuer=issuer):
        raise Forbidden(
            "access.not_issuer",
            "Bạn chỉ được giao việc, ban hành văn bản và kế hoạch nhân danh đơn vị của mình",
            field="issuer_unit_id",
        )


# --- Assigning: in whose name, to whom, in which plan, on which document ---------------


def can_assign_as(*, principal: Principal, issuer: Unit) -> bool:
    """Assign in the name of `issuer`: one's own unit, or the body whose office one works in
    (the Văn phòng UBND enters the tasks its People's Committee assigns)."""
    return principal.is_admin or (
        principal.writes and issuer.id in {principal.unit.id, principal.reach.id}
    )


def authorize_assign_as(*, principal: Principal, issuer: Unit) -> None:
    if not can_assign_as(principal=principal, issuer=issuer):
        raise Forbidden(
            "access.not_issuer",
            "Bạn chỉ được giao việc nhân danh đơn vị của mình (hoặc Ủy ban nhân dân mà văn "
            "phòng của bạn tham mưu)",
            field="issuer_unit_id",
        )


def assignment_scope(*, session: Session, issuer: Unit) -> Unit:
    """The subtree `issuer` assigns into: its own, or its body's when it is the body's office."""
    parent = session.get(Unit, issuer.parent_id) if issuer.parent_id is not None else None
    return reach_of(unit=issuer, parent=parent)


def check_assignee(*, issuer: Unit, scope: Unit, unit: Unit, field: str) -> None:
    """A lead or coordinating unit lies strictly below the issuer (or its body)."""
    if unit.id in {issuer.id, scope.id}:
        raise InvalidInput(
            "assignment.to_issuer",
            f"«{unit.name}» là đơn vị giao (hoặc cơ quan mà đơn vị giao tham mưu): không thể "
            "tự giao việc cho chính mình",
            field=field,
        )
    if not units_service.is_in_subtree(unit=unit, root=scope):
        raise InvalidInput(
            "assignment.out_of_scope",
            f"«{unit.name}» không phải đơn vị cấp dưới của «{scope.name}»: chỉ được giao việc "
            "cho đơn vị trực thuộc",
            field=field,
        )


def check_assignment(
    *,
    session: Session,
    issuer: Unit,
    lead: Unit,
    coordinators: Sequence[Unit] = (),
    plan: Plan | None = None,
    plan_field: str = "plan_id",
    document: Document | None = None,
    document_field: str = "source_document_id",
) -> None:
    """Raise InvalidInput naming the field when a task (or a recurring duty) of `issuer` would
    go to a unit outside its scope or to itself, sit in another unit's plan, or cite a
    document the issuer does not receive."""
    scope = assignment_scope(session=session, issuer=issuer)
    check_assignee(issuer=issuer, scope=scope, unit=lead, field="lead_unit_id")
    for index, unit in enumerate(coordinators):
        check_assignee(
            issuer=issuer, scope=scope, unit=unit, field=f"coordinating_unit_ids[{index}]"
        )
    if plan is not None and plan.issuer_unit_id not in {issuer.id, scope.id}:
        raise InvalidInput(
            "assignment.plan_not_issuers",
            f"Kế hoạch #{plan.id} không do «{issuer.name}» ban hành: chỉ giao việc trong kế "
            "hoạch của đơn vị giao",
            field=plan_field,
        )
    if document is not None and document.issuer_unit_id is not None:
        source = units_service.get(session=session, unit_id=document.issuer_unit_id)
        from_above = units_service.is_in_subtree(unit=issuer, root=source)
        if not (from_above or units_service.is_in_subtree(unit=source, root=scope)):
            raise InvalidInput(
                "assignment.document_not_visible",
                f"Văn bản {document.symbol} do «{source.name}» ban hành, không phải văn bản "
                f"của «{issuer.name}», của cấp trên hoặc của đơn vị trực thuộc",
                field=document_field,
            )


def may_record_past_events(actor: Actor) -> bool:
    """System jobs (seed, imports, scheduled flows) and administrators enter old history;
    users date events within the back-dating limit."""
    return actor.user_id is None or actor.role == Role.ADMIN


def may_assign_officer(*, actor: Actor, unit_id: int) -> bool:
    """The officer in charge of a unit's part of a task is the unit's own business: its
    leaders choose (an office does not act for its body here), administrators repair, and
    the command line's operator (no user) holds the database anyway."""
    if actor.user_id is None or actor.role == Role.ADMIN:
        return True
    return actor.role == Role.LEADER and actor.unit_id == unit_id


def authorize_decision(*, task: Task) -> None:
    """No unit approves its own extension or confirms (or returns) its own completion."""
    if task.issuer_unit_id == task.lead_unit_id:
        raise Forbidden(
            "task.self_decision",
            "Đơn vị giao đồng thời là đơn vị chủ trì: không đơn vị nào được tự quyết định gia "
            "hạn hoặc xác nhận hoàn thành việc của chính mình",
            field="task_id",
        )


def authorize_admin(*, principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden(
            "access.admin_only",
            "Chỉ quản trị viên mới được quản lý đơn vị, người dùng và lịch làm việc",
        )


def may_plan_reminders(*, principal: Principal) -> bool:
    """Reminders are planned (or previewed) for a day by administrators and by the writers of
    an office (Văn phòng) of a People's Committee, which follows its body's work."""
    works_for_body = principal.reach.id != principal.unit.id
    return principal.is_admin or (principal.writes and works_for_body)


def authorize_plan_reminders(*, principal: Principal) -> None:
    if not may_plan_reminders(principal=principal):
        raise Forbidden(
            "reminder.plan_forbidden",
            "Chỉ quản trị viên và cán bộ, lãnh đạo văn phòng Ủy ban nhân dân mới được lập "
            "nhắc việc",
        )


def authorize_unit_data(*, principal: Principal, unit: Unit) -> None:
    """Statistics and user lists of a unit: within reach only (else not found)."""
    if not in_reach(principal=principal, unit=unit):
        raise NotFound("unit.not_found", f"Không tìm thấy đơn vị #{unit.id}", field="unit_id")


def authorize_user(*, principal: Principal, user: User, unit: Unit, manage: bool) -> None:
    """Read a user within reach; change them (or their channels) only as themselves or admin."""
    if not in_reach(principal=principal, unit=unit):
        raise NotFound("user.not_found", f"Không tìm thấy người dùng #{user.id}", field="user_id")
    if manage and not (principal.is_admin or principal.actor.user_id == user.id):
        raise Forbidden(
            "access.not_self", "Chỉ chính người dùng hoặc quản trị viên mới được thay đổi"
        )


# --- The same reach rule in SQL, for listings -----------------------------------------


def task_reach_filter(principal: Principal) -> ColumnElement[bool] | None:
    """A WHERE clause keeping the tasks the principal may read; None means every task."""
    if principal.is_admin:
        return None
    reach = principal.reach
    involved = select(col(TaskAssignment.task_id)).where(
        units_service.subtree_condition(root=reach, unit_id=col(TaskAssignment.unit_id))
    )
    return or_(
        units_service.subtree_condition(root=reach, unit_id=col(Task.issuer_unit_id)),
        col(Task.id).in_(involved),
    )


def user_reach_filter(principal: Principal) -> ColumnElement[bool] | None:
    if principal.is_admin:
        return None
    return units_service.subtree_condition(root=principal.reach, unit_id=col(User.unit_id))


def task_for(
    *, session: Session, principal: Principal, task_id: int, action: TaskAction
) -> tuple[Task, list[TaskAssignment], TaskUnits]:
    """Load a task the principal may act on, with its assignments and units, or raise
    NotFound (out of reach, or no such task) / Forbidden (visible, but not this action)."""
    task = tasks_service.get(session=session, task_id=task_id)
    assignments = tasks_service.assignments(session=session, task_id=task_id)
    units = task_units(session=session, task=task, assignments=assignments)
    authorize_task(principal=principal, task=task, units=units, action=action)
    return task, assignments, units


# --- Reports, indicator values, reminder policies ---------------------------------------


class ReportAction(enum.StrEnum):
    READ = "read"  # the unit and its ancestors
    WRITE = "write"  # draft, edit the texts, regenerate: the unit's officers and leaders
    ISSUE = "issue"  # number and freeze: the unit's leaders


def authorize_report(
    *, principal: Principal, unit: Unit, action: ReportAction, report_id: int | None = None
) -> None:
    """A unit's reports are its data: out of reach → not found; the unit's own writers draft
    and edit, its leaders issue; ancestors only read; administrators may do everything."""
    if not in_reach(principal=principal, unit=unit):
        if report_id is None:
            raise NotFound("unit.not_found", f"Không tìm thấy đơn vị #{unit.id}", field="unit_id")
        raise NotFound(
            "report.not_found", f"Không tìm thấy báo cáo #{report_id}", field="report_id"
        )
    if principal.is_admin or action == ReportAction.READ:
        return
    own = principal.unit.id == unit.id
    if action == ReportAction.WRITE and not (own and principal.writes):
        raise Forbidden(
            "report.forbidden", "Chỉ cán bộ, lãnh đạo của đơn vị mới được soạn báo cáo của đơn vị"
        )
    if action == ReportAction.ISSUE and not (own and principal.role == Role.LEADER):
        raise Forbidden(
            "report.issue_forbidden", "Chỉ lãnh đạo của đơn vị mới được ban hành báo cáo"
        )


def authorize_indicator_value(*, principal: Principal, unit: Unit, plan_issuer: Unit) -> None:
    """A value is recorded by the reporting unit's writers, or by the plan's issuing unit
    (which collects its units' figures), or by an administrator."""
    if can_issue_from(principal=principal, issuer=plan_issuer):
        return
    if not in_reach(principal=principal, unit=unit):
        raise NotFound("unit.not_found", f"Không tìm thấy đơn vị #{unit.id}", field="unit_id")
    if not (principal.writes and principal.unit.id == unit.id):
        raise Forbidden(
            "indicator.value_forbidden",
            "Chỉ đơn vị báo cáo hoặc đơn vị ban hành kế hoạch mới được ghi số liệu",
            field="unit_id",
        )


def can_set_plan_policy(*, principal: Principal, issuer: Unit) -> bool:
    """A plan's reminder policy is set by a leader of the plan's issuing unit (or an admin)."""
    leader = principal.role == Role.LEADER and principal.unit.id == issuer.id
    return principal.is_admin or leader


def authorize_plan_policy(*, principal: Principal, issuer: Unit) -> None:
    if not can_set_plan_policy(principal=principal, issuer=issuer):
        raise Forbidden(
            "policy.forbidden",
            "Chỉ lãnh đạo đơn vị ban hành kế hoạch mới được đặt chính sách nhắc việc",
        )


# --- Recurring duties (obligations) -------------------------------------------------------


def can_define_obligation(*, principal: Principal, issuer: Unit) -> bool:
    """A duty is required by its issuing unit: its leaders define, stop and restart it."""
    return principal.is_admin or (principal.role == Role.LEADER and principal.unit.id == issuer.id)


def authorize_define_obligation(*, principal: Principal, issuer: Unit) -> None:
    if not can_define_obligation(principal=principal, issuer=issuer):
        raise Forbidden(
            "obligation.not_issuer",
            "Chỉ lãnh đạo đơn vị yêu cầu báo cáo mới được đặt nghĩa vụ báo cáo định kỳ",
            field="issuer_unit_id",
        )


def authorize_obligation(
    *, principal: Principal, obligation_id: int, issuer: Unit, lead: Unit, manage: bool
) -> None:
    """A duty is read by the issuing and the obliged unit and their ancestors (404 for anyone
    else); stopping or restarting it belongs to the issuing unit's leaders (else 403)."""
    if not (in_reach(principal=principal, unit=issuer) or in_reach(principal=principal, unit=lead)):
        raise NotFound(
            "obligation.not_found",
            f"Không tìm thấy nghĩa vụ báo cáo #{obligation_id}",
            field="obligation_id",
        )
    if manage and not can_define_obligation(principal=principal, issuer=issuer):
        raise Forbidden(
            "obligation.forbidden",
            "Chỉ lãnh đạo đơn vị yêu cầu báo cáo mới được dừng hoặc áp dụng lại nghĩa vụ này",
        )
