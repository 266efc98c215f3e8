"""Recurring duties (obligations): a unit must send a report of some kind every period, and
each period of the duty becomes one task of the lead unit.

The periods come from the report kind's rule (tracking.periods, NĐ 09/2019 Điều 12) and the
working calendar. Creating the tasks is idempotent: a task carries (obligation_id,
occurrence_key) under a unique index, so a second run, a catch-up run or a concurrent run adds
nothing. Once a period's cut-off has passed its report is drafted (reports.duty_drafts) and the
office told (notifications.report_ready); the flows call the three in turn.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Obligation, ObligationDraft, Task, Unit
from models.db import in_chunks
from tracking import access, clock, versioning
from tracking import documents as documents_service
from tracking import plans as plans_service
from tracking import tasks as tasks_service
from tracking import units as units_service
from tracking.audit import SYSTEM, Actor, add_created, record, snapshot
from tracking.calendar import WorkCalendar, load_calendar
from tracking.deadlines import DeadlineRule
from tracking.documents import check_issuer_code
from tracking.errors import Conflict, DomainError, InvalidInput, NotFound
from tracking.periods import Period, PeriodRule, get_report_type, periods_of_year
from tracking.validation import checked_text, clean_text

log = logging.getLogger(__name__)

TITLE_MAX = 1000


# --- defining duties ----------------------------------------------------------------------


def get(*, session: Session, obligation_id: int) -> Obligation:
    obligation = session.get(Obligation, obligation_id)
    if obligation is None:
        raise NotFound(
            "obligation.not_found",
            f"Không tìm thấy nghĩa vụ báo cáo #{obligation_id}",
            field="obligation_id",
        )
    return obligation


def list_obligations(
    *,
    session: Session,
    lead_unit_id: int | None = None,
    active: bool | None = None,
    unit_path: str | None = None,
) -> list[Obligation]:
    """Duties, oldest first: of one obliged unit, active or stopped ones only (None: both),
    and with `unit_path` only those whose issuing or obliged unit lies under that path."""
    statement = select(Obligation)
    if lead_unit_id is not None:
        statement = statement.where(Obligation.lead_unit_id == lead_unit_id)
    if active is not None:
        statement = statement.where(col(Obligation.active) == active)
    if unit_path is not None:
        in_subtree = units_service.subtree_condition
        statement = statement.where(
            or_(
                in_subtree(root=unit_path, unit_id=col(Obligation.lead_unit_id)),
                in_subtree(root=unit_path, unit_id=col(Obligation.issuer_unit_id)),
            )
        )
    return list(session.exec(statement.order_by(col(Obligation.id))).all())


def _check_send_days(value: int | None) -> None:
    if value is not None and not 1 <= value <= 60:
        raise InvalidInput(
            "obligation.send_deadline_invalid",
            "Hạn gửi báo cáo phải từ 01 đến 60 ngày làm việc sau ngày chốt số liệu",
            field="send_deadline_working_days",
        )


def _clean_title(title: str) -> str:
    title = " ".join(checked_text(title, field="title", label="Tên nghĩa vụ báo cáo").split())
    if not title:
        raise InvalidInput(
            "obligation.title_required", "Tên nghĩa vụ báo cáo không được để trống", field="title"
        )
    if len(title) > TITLE_MAX:
        raise InvalidInput(
            "obligation.title_too_long",
            f"Tên nghĩa vụ báo cáo dài quá {TITLE_MAX} ký tự",
            field="title",
        )
    return title


def _clean_recipient(recipient: str) -> str:
    return clean_text(
        recipient,
        code="obligation.recipient",
        field="recipient",
        label="Nơi nhận",
        required=False,
        limit=500,
    )


def _clean_note(note: str) -> str:
    return clean_text(
        note, code="obligation.note", field="note", label="Ghi chú", required=False, limit=2000
    )


def create(
    *,
    session: Session,
    actor: Actor,
    title: str,
    report_kind: str,
    issuer_unit_id: int,
    lead_unit_id: int,
    starts_on: date | None = None,
    ends_on: date | None = None,
    recipient: str = "",
    send_deadline_working_days: int | None = None,
    plan_id: int | None = None,
    source_document_id: int | None = None,
    report_issuer_code: str = "",
    draft_report: bool = True,
    note: str = "",
    active: bool = True,
) -> Obligation:
    """Define a duty: `lead_unit_id` sends a report of `report_kind` every period, to
    `recipient`, as required by `issuer_unit_id` (and, when given, by a plan or a document)."""
    title = _clean_title(title)
    recipient = _clean_recipient(recipient)
    note = _clean_note(note)
    get_report_type(session=session, kind=report_kind)
    # The duty's tasks are assigned by the system later: the assignment rules hold now.
    access.check_assignment(
        session=session,
        issuer=units_service.get(session=session, unit_id=issuer_unit_id),
        lead=units_service.get(session=session, unit_id=lead_unit_id),
        plan=plans_service.get(session=session, plan_id=plan_id) if plan_id is not None else None,
        document=documents_service.get(session=session, document_id=source_document_id)
        if source_document_id is not None
        else None,
    )
    _check_send_days(send_deadline_working_days)
    starts_on = starts_on or clock.today()
    if ends_on is not None and ends_on < starts_on:
        raise InvalidInput(
            "obligation.ends_before_start",
            "Ngày kết thúc không được trước ngày bắt đầu",
            field="ends_on",
        )
    issuer_code = report_issuer_code.strip()
    if issuer_code:
        check_issuer_code(issuer_code, field="report_issuer_code")
    # One creation at a time per lead unit (its row lock on PostgreSQL; SQLite writers are
    # serial already), so two clerks cannot both pass the duplicate check below.
    session.execute(select(Unit.id).where(col(Unit.id) == lead_unit_id).with_for_update())
    duplicate = session.exec(
        select(Obligation.id).where(
            Obligation.lead_unit_id == lead_unit_id,
            Obligation.report_kind == report_kind,
            Obligation.title == title,
        )
    ).first()
    if duplicate is not None:
        raise Conflict(
            "obligation.duplicate",
            f"Đơn vị đã có nghĩa vụ báo cáo này (#{duplicate})",
            field="title",
        )
    obligation = Obligation(
        title=title,
        report_kind=report_kind,
        issuer_unit_id=issuer_unit_id,
        lead_unit_id=lead_unit_id,
        recipient=recipient,
        report_issuer_code=issuer_code,
        plan_id=plan_id,
        source_document_id=source_document_id,
        send_deadline_working_days=send_deadline_working_days,
        starts_on=starts_on,
        ends_on=ends_on,
        draft_report=draft_report,
        active=active,
        note=note,
    )
    return add_created(session=session, actor=actor, row=obligation, entity="obligation")


def set_active(
    *,
    session: Session,
    actor: Actor,
    obligation_id: int,
    expected_version: int,
    active: bool,
    ends_on: date | None = None,
) -> Obligation:
    """Stop (or resume) a duty; tasks already created keep their own history."""
    obligation = get(session=session, obligation_id=obligation_id)
    versioning.check_version(versioning.OBLIGATION, obligation, expected_version=expected_version)
    if obligation.active == active and (ends_on is None or ends_on == obligation.ends_on):
        raise Conflict(
            "obligation.unchanged",
            "Nghĩa vụ báo cáo đã " + ("đang áp dụng" if active else "dừng") + " rồi",
            field="active",
        )
    if ends_on is not None and ends_on < obligation.starts_on:
        raise InvalidInput(
            "obligation.ends_before_start",
            "Ngày kết thúc không được trước ngày bắt đầu",
            field="ends_on",
        )
    before = snapshot(obligation, ("active", "ends_on", "version"))
    # First write: a concurrent stop/restart that won makes this one a 409, not a second flip.
    versioning.bump_version(versioning.OBLIGATION, session=session, row=obligation)
    obligation.active = active
    if ends_on is not None:
        obligation.ends_on = ends_on
    session.add(obligation)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="obligation.set_active",
        entity="obligation",
        entity_id=obligation.id,
        before=before,
        after=snapshot(obligation, tuple(before)),
    )
    return obligation


# What an edit may change: the wording and the sending of future periods. Who reports what
# to whom (issuer, lead, report kind, start) decides which periods and tasks exist: a duty
# that changes those is stopped and another defined.
EDITABLE_FIELDS = (
    "title",
    "recipient",
    "report_issuer_code",
    "send_deadline_working_days",
    "ends_on",
    "draft_report",
    "note",
)
_UNSET: Any = object()


def update(
    *,
    session: Session,
    actor: Actor,
    obligation_id: int,
    expected_version: int,
    title: str | None = None,
    recipient: str | None = None,
    report_issuer_code: str | None = None,
    send_deadline_working_days: int | None = _UNSET,
    ends_on: date | None = _UNSET,
    draft_report: bool | None = None,
    note: str | None = None,
) -> Obligation:
    """Edit a duty (the EDITABLE_FIELDS; `send_deadline_working_days` and `ends_on` may be
    set to None: the report kind's deadline, no end). Tasks already created for past periods
    keep their title and deadline; the next periods follow the new values. Refuses a stale
    version (409), a title the lead unit already has for this kind (409), bad values (422)."""
    obligation = get(session=session, obligation_id=obligation_id)
    versioning.check_version(versioning.OBLIGATION, obligation, expected_version=expected_version)
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = _clean_title(title)
    if recipient is not None:
        changes["recipient"] = _clean_recipient(recipient)
    if note is not None:
        changes["note"] = _clean_note(note)
    if report_issuer_code is not None:
        code = report_issuer_code.strip()
        if code:
            check_issuer_code(code, field="report_issuer_code")
        changes["report_issuer_code"] = code
    if send_deadline_working_days is not _UNSET:
        _check_send_days(send_deadline_working_days)
        changes["send_deadline_working_days"] = send_deadline_working_days
    if ends_on is not _UNSET:
        if ends_on is not None and ends_on < obligation.starts_on:
            raise InvalidInput(
                "obligation.ends_before_start",
                "Ngày kết thúc không được trước ngày bắt đầu",
                field="ends_on",
            )
        changes["ends_on"] = ends_on
    if draft_report is not None:
        changes["draft_report"] = draft_report
    changes = {k: v for k, v in changes.items() if getattr(obligation, k) != v}
    if not changes:
        raise Conflict("obligation.unchanged", "Không có gì thay đổi", field="version")
    if "title" in changes:
        # As in create: the lead unit's row lock, then the duplicate check.
        session.execute(
            select(Unit.id).where(col(Unit.id) == obligation.lead_unit_id).with_for_update()
        )
        duplicate = session.exec(
            select(Obligation.id).where(
                Obligation.lead_unit_id == obligation.lead_unit_id,
                Obligation.report_kind == obligation.report_kind,
                Obligation.title == changes["title"],
                col(Obligation.id) != obligation.id,
            )
        ).first()
        if duplicate is not None:
            raise Conflict(
                "obligation.duplicate",
                f"Đơn vị đã có nghĩa vụ báo cáo này (#{duplicate})",
                field="title",
            )
    fields = (*changes, "version")
    before = snapshot(obligation, fields)
    versioning.bump_version(versioning.OBLIGATION, session=session, row=obligation)
    for name, value in changes.items():
        setattr(obligation, name, value)
    session.add(obligation)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="obligation.update",
        entity="obligation",
        entity_id=obligation.id,
        before=before,
        after=snapshot(obligation, fields),
    )
    return obligation


# --- occurrences --------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """One period of a duty: the task to create, due `due_on`."""

    obligation_id: int
    key: str  # the period's code: "2026", "2026-Q1", "2026-M03"
    period: Period
    assigned_on: date
    due_on: date


def occurrences(
    *, obligation: Obligation, rule: PeriodRule, calendar: WorkCalendar, as_of: date
) -> list[Occurrence]:
    """The periods of the duty that have begun by `as_of` and fall within its validity.

    Looks one year back at most: a stop of the service longer than that is not caught up.
    """
    days = obligation.send_deadline_working_days or rule.send_deadline_working_days
    result = []
    for year in range(as_of.year - 1, as_of.year + 2):
        for period in periods_of_year(rule, year, calendar):
            if period.start > as_of or period.start > (obligation.ends_on or period.start):
                continue
            due_on = calendar.add_working_days(period.end, days)
            if due_on < obligation.starts_on:
                continue
            result.append(
                Occurrence(
                    obligation_id=obligation.id or 0,
                    key=period.code,
                    period=period,
                    assigned_on=max(period.start, obligation.starts_on),
                    due_on=due_on,
                )
            )
    return sorted(result, key=lambda o: (o.period.start, o.key))


@dataclass
class OccurrenceRun:
    as_of: date
    created: list[dict[str, Any]] = field(default_factory=list)  # obligation, key, task, due
    already: int = 0
    # Occurrences the assignment rules refuse (a duty defined before the rules existed): the
    # sweep goes on for every other duty and says which ones need an administrator.
    refused: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "created": self.created,
            "already": self.already,
            "refused": self.refused,
        }


def _due_obligations(session: Session, as_of: date, *, drafting: bool) -> list[Obligation]:
    statement = select(Obligation).where(
        col(Obligation.active).is_(True), col(Obligation.starts_on) <= as_of
    )
    if drafting:
        statement = statement.where(col(Obligation.draft_report).is_(True))
    return list(session.exec(statement.order_by(col(Obligation.id))).all())


def _rules(session: Session, kinds: Iterable[str]) -> dict[str, PeriodRule]:
    rules = {}
    for kind in set(kinds):
        try:
            rules[kind] = PeriodRule.of(get_report_type(session=session, kind=kind))
        except NotFound:
            log.warning("report kind %s is inactive or gone; its duties are skipped", kind)
    return rules


def begun_occurrences(
    *, session: Session, as_of: date, drafting: bool = False
) -> list[tuple[Obligation, Occurrence]]:
    """The occurrences begun by `as_of` of every active duty (with `drafting`, of the duties
    whose reports are drafted), duty by duty; a duty whose report kind is inactive or gone has
    none. `as_of` after today is refused: a sweep acts on days that have come."""
    if as_of > clock.today():
        raise InvalidInput(
            "obligation.as_of_in_future", "Ngày xét không được sau hôm nay", field="as_of"
        )
    obligations = _due_obligations(session, as_of, drafting=drafting)
    rules = _rules(session, (o.report_kind for o in obligations))
    calendar = load_calendar(session)
    return [
        (obligation, occurrence)
        for obligation in obligations
        if obligation.report_kind in rules
        for occurrence in occurrences(
            obligation=obligation,
            rule=rules[obligation.report_kind],
            calendar=calendar,
            as_of=as_of,
        )
    ]


def recorded_occurrences(
    *,
    session: Session,
    table: type[Task] | type[ObligationDraft],
    begun: list[tuple[Obligation, Occurrence]],
) -> set[tuple[int, str]]:
    """The (duty, period key) pairs among `begun` that `table` records: the periods that have
    their task already (Task) or their draft (ObligationDraft)."""
    obligation_column, key_column = col(table.obligation_id), col(table.occurrence_key)
    recorded: set[tuple[int, str]] = set()
    # A province has thousands of duties: their ids go in lookups of bounded size.
    for chunk in in_chunks(values=(occurrence.obligation_id for _, occurrence in begun)):
        rows = session.exec(
            select(obligation_column, key_column).where(obligation_column.in_(chunk))
        ).all()
        recorded |= {(int(o), str(k)) for o, k in rows if o is not None and k is not None}
    return recorded


def occurrence_title(obligation: Obligation, period: Period) -> str:
    """The task's title: the duty's (at most TITLE_MAX) and the period's name, well within a
    task title's limit."""
    return f"{obligation.title} {period.name}"


def create_due_occurrences(
    *, session: Session, as_of: date, actor: Actor = SYSTEM
) -> OccurrenceRun:
    """Create the task of every occurrence begun by `as_of` that has none yet.

    Flushes; the caller commits. A concurrent run that created the same occurrence first
    makes this one skip it (the unique index on task (obligation_id, occurrence_key)).
    """
    run = OccurrenceRun(as_of=as_of)
    begun = begun_occurrences(session=session, as_of=as_of)
    existing = recorded_occurrences(session=session, table=Task, begun=begun)
    for obligation, occurrence in begun:
        if (occurrence.obligation_id, occurrence.key) in existing:
            run.already += 1
            continue
        try:
            task = _create_task(session, actor, obligation, occurrence)
        except DomainError as refusal:
            log.warning(
                "duty %s period %s refused: %s", obligation.id, occurrence.key, refusal.message
            )
            run.refused.append(
                {
                    "obligation_id": occurrence.obligation_id,
                    "occurrence_key": occurrence.key,
                    "code": refusal.code,
                    "message": refusal.message,
                }
            )
            continue
        if task is None:
            run.already += 1
            continue
        run.created.append(
            {
                "obligation_id": occurrence.obligation_id,
                "occurrence_key": occurrence.key,
                "task_id": task.id,
                "due_on": occurrence.due_on.isoformat(),
            }
        )
    return run


def _create_task(
    session: Session, actor: Actor, obligation: Obligation, occurrence: Occurrence
) -> Task | None:
    period = occurrence.period
    note = (
        f"Kỳ báo cáo: {period.start:%d/%m/%Y} – {period.end:%d/%m/%Y} "
        f"(chốt số liệu ngày {period.end:%d/%m/%Y})."
    )
    if obligation.recipient:
        note = f"Gửi {obligation.recipient}. " + note
    try:
        with session.begin_nested():
            task = tasks_service.assign(
                session=session,
                actor=actor,
                title=occurrence_title(obligation, period),
                issuer_unit_id=obligation.issuer_unit_id,
                lead_unit_id=obligation.lead_unit_id,
                deadline=DeadlineRule.fixed(occurrence.due_on),
                assigned_on=occurrence.assigned_on,
                plan_id=obligation.plan_id,
                source_document_id=obligation.source_document_id,
                note=note,
            )
            task.obligation_id = occurrence.obligation_id
            task.occurrence_key = occurrence.key
            session.add(task)
            session.flush()
    except IntegrityError:
        log.info("occurrence %s/%s created by another run", obligation.id, occurrence.key)
        return None
    return task


def occurrence_tasks(*, session: Session, obligation_id: int) -> list[Task]:
    """The tasks a duty created, one per period, oldest first."""
    statement = (
        select(Task)
        .where(Task.obligation_id == obligation_id)
        .order_by(col(Task.assigned_on), col(Task.id))
    )
    return list(session.exec(statement).all())
