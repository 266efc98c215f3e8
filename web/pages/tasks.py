"""Nhiệm vụ: the list with the API's filters (and its XLSX export), the task page, and one
form per action the user may take on the task."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from api.deps import DayQuery, PathId, SessionDep
from api.downloads import attachment_response
from models import (
    AssignmentRole,
    Attachment,
    AttachmentKind,
    AuditEvent,
    Document,
    ExtensionRequest,
    Plan,
    PlanSection,
    PolicyScope,
    ProgressUpdate,
    Task,
    Unit,
    User,
)
from notifications import policy
from tracking import attachments as attachments_service
from tracking import clock, search, task_queries
from tracking import documents as documents_service
from tracking import plans as plans_service
from tracking import tasks as tasks_service
from tracking.access import Principal, TaskAction, TaskUnits, task_for
from tracking.actions import (
    RULES,
    Change,
    TaskCommand,
    available_commands,
    change_by,
    officer_units,
    pending_extension,
)
from tracking.audit import history
from tracking.calendar import load_calendar
from tracking.errors import Conflict, DomainError, InvalidInput
from tracking.status import OFFICIAL_CATEGORIES, Category
from tracking.tasks import STATE_LABELS
from tracking.validation import MAX_ID
from web.forms import FormState
from web.pages.common import UnitDirectory, done
from web.pages.overview import CATEGORY_STYLE
from web.pages.reminders import as_json, save_policy, stored_rules
from web.rendering import render, vn_date
from web.routing import WebRoute
from web.session import WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 25
EXPORT_LIMIT = task_queries.MAX_PAGE
SORT_LABELS = {
    task_queries.TaskSort.DUE_ON: "Hạn xử lý sớm nhất",
    task_queries.TaskSort.DUE_ON_DESC: "Hạn xử lý muộn nhất",
    task_queries.TaskSort.ASSIGNED_ON_DESC: "Giao gần đây nhất",
    task_queries.TaskSort.ASSIGNED_ON: "Giao sớm nhất",
    task_queries.TaskSort.TITLE: "Nội dung (A–Z)",
    task_queries.TaskSort.ID_DESC: "Mới thêm nhất",
}
ROLE_LABELS = {AssignmentRole.LEAD: "Chủ trì", AssignmentRole.COORDINATE: "Phối hợp"}
AUDIT_LABELS = {
    "task.assign": "Giao nhiệm vụ",
    "task.update": "Sửa nội dung",
    "task.reassign": "Đổi đơn vị chủ trì, phối hợp",
    "task.progress": "Báo cáo tiến độ",
    "task.report_completion": "Báo cáo hoàn thành",
    "task.confirm_completion": "Xác nhận hoàn thành",
    "task.return_completion": "Trả lại báo cáo hoàn thành",
    "task.request_extension": "Xin gia hạn",
    "task.approve_extension": "Đồng ý gia hạn",
    "task.reject_extension": "Không đồng ý gia hạn",
    "task.pause": "Tạm dừng",
    "task.resume": "Tiếp tục",
    "task.cancel": "Hủy",
    "task.assign_officer": "Phân công cán bộ theo dõi",
    "task.attach": "Đính kèm tệp",
}


# --- The list ------------------------------------------------------------------------------


def _filter_of(form: FormState, session: Session) -> task_queries.TaskFilter:
    """The list's filters from the query string; a bad value is reported and ignored."""
    directory_unit = form.ident("unit", "Đơn vị", required=False)
    unit = UnitDirectory.load(session).by_id.get(directory_unit or 0)
    if directory_unit is not None and unit is None:
        form.add("unit", "Chọn đơn vị trong danh sách")
    categories = []
    for raw in form.values_of("category"):
        if raw in Category.__members__.values():
            categories.append(Category(raw))
    role_raw = form.value("unit_role")
    sort_raw = form.value("sort") or task_queries.TaskSort.DUE_ON.value
    page = form.number("page", "Trang", low=1, high=10_000, required=False) or 1
    return task_queries.TaskFilter(
        as_of=form.day("as_of", "Ngày tính", required=False) or clock.today(),
        categories=categories,
        due_soon=True if form.value("due_soon") == "1" else None,
        awaiting_confirmation=True if form.value("awaiting") == "1" else None,
        unit=unit,
        include_subtree=form.value("include_subtree") == "1",
        unit_role=AssignmentRole(role_raw) if role_raw in ("lead", "coordinate") else None,
        issuer_unit_id=form.ident("issuer", "Đơn vị giao", required=False),
        plan_id=form.ident("plan", "Kế hoạch", required=False),
        section_id=form.ident("section", "Mục", required=False),
        due_from=form.day("due_from", "Hạn từ ngày", required=False),
        due_to=form.day("due_to", "Hạn đến ngày", required=False),
        text=_search_text(form),
        sort=task_queries.TaskSort(sort_raw)
        if sort_raw in task_queries.TaskSort.__members__.values()
        else task_queries.TaskSort.DUE_ON,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )


def _search_text(form: FormState) -> str | None:
    """The search box's words, or None (with the reason shown) when too short to search."""
    text = form.text("q", "Từ khóa", required=False, max_length=200)
    try:
        search.folded_query(text)
    except InvalidInput as error:
        form.add_domain(error)
        return None
    return text or None


@router.get("/tasks")
def task_list(request: Request, principal: WebUser, session: SessionDep) -> Response:
    form = FormState.of(request.query_params)
    flt = _filter_of(form, session)
    page = task_queries.list_tasks(session=session, principal=principal, flt=flt)
    directory = UnitDirectory.load(session)
    current = flt.offset // PAGE_SIZE + 1
    pages = max(1, -(-page.total // PAGE_SIZE))
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return render(
        request,
        "tasks.html",
        {
            "page": page,
            "flt": flt,
            "current": current,
            "pages": pages,
            "query": urlencode(query),
            "export_query": urlencode(query),
            "units": directory.units,
            "names": directory.by_id,
            "plans": plans_service.with_sections(
                session=session, plans=plans_service.list_plans(session=session)
            ),
            "categories": list(Category),
            "official": OFFICIAL_CATEGORIES,
            "style": CATEGORY_STYLE,
            "sorts": SORT_LABELS,
        },
        principal=principal,
        form=form,
    )


@router.get("/tasks.xlsx")
def task_export(request: Request, principal: WebUser, session: SessionDep) -> Response:
    from openpyxl import Workbook

    form = FormState.of(request.query_params)
    flt = _filter_of(form, session)
    flt = task_queries.TaskFilter(**{**flt.__dict__, "limit": EXPORT_LIMIT, "offset": 0})
    page = task_queries.list_tasks(session=session, principal=principal, flt=flt)
    names = UnitDirectory.load(session).by_id
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Nhiệm vụ"
    sheet.append(
        [
            "Số",
            "Nội dung nhiệm vụ",
            "Đơn vị chủ trì",
            "Đơn vị phối hợp",
            "Ngày giao",
            "Hạn ban đầu",
            "Hạn hiện hành",
            f"Tình trạng ngày {flt.as_of:%d/%m/%Y}",
        ]
    )
    for item in page.items:
        task = item.task
        sheet.append(
            [
                task.id,
                task.title,
                names[task.lead_unit_id].name,
                "; ".join(names[u].name for u in item.coordinating_unit_ids),
                task.assigned_on,
                task.original_due_on,
                item.due_on_as_of,
                item.category.label,
            ]
        )
    for column in "EFG":
        for cell in sheet[column][1:]:
            cell.number_format = "DD/MM/YYYY"
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="nhiem-vu.xlsx"'},
    )


# --- The task page --------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerPart:
    """A unit's part of the task and who follows it; `candidates` are whom the reader may put
    in charge (empty: the reader does not choose for this unit)."""

    unit: Unit
    role: AssignmentRole
    officer_name: str | None
    officer_id: int | None
    candidates: list[User]


@dataclass(frozen=True)
class TaskPage:
    task: Task
    units: TaskUnits
    category: Category
    state_label: str
    due_on_as_of: date | None
    due_soon: bool
    awaiting: bool
    days_left: int | None
    document: Document | None
    plan: Plan | None
    section: PlanSection | None
    progress: list[ProgressUpdate]
    extensions: list[ExtensionRequest]
    pending_extension: ExtensionRequest | None
    events: list[AuditEvent]
    authors: dict[int, str]
    commands: frozenset[TaskCommand]
    parts: list[OfficerPart]
    attachments: list[Attachment]


def _page_of(
    session: Session, principal: Principal, task_id: int, as_of: date | None = None
) -> TaskPage:
    """The task page's facts, its status as of `as_of` (default today); a day before the task
    was assigned raises NotYetAssigned (task_queries.require_assigned_by)."""
    task, assignments, units = task_for(
        session=session, principal=principal, task_id=task_id, action=TaskAction.READ
    )
    today = as_of or clock.today()
    extensions = tasks_service.extensions(session=session, task_id=task_id)
    calendar = load_calendar(session)
    status = task_queries.task_status(
        session=session,
        task=task,
        as_of=today,
        assignments=assignments,
        extensions=extensions,
        calendar=calendar,
    )
    due = status.due_on_as_of
    open_task = status.category in (Category.IN_PROGRESS, Category.OVERDUE)
    plan = plans_service.get(session=session, plan_id=task.plan_id) if task.plan_id else None
    section = (
        next(
            (
                s
                for s in plans_service.sections(session=session, plan_id=plan.id or 0)
                if s.id == task.section_id
            ),
            None,
        )
        if plan is not None and task.section_id
        else None
    )
    events = history(session=session, entity="task", entity_id=task_id)
    progress = tasks_service.progress_updates(session=session, task_id=task_id)
    attachments = attachments_service.for_task(session=session, task_id=task_id)
    author_ids = (
        {e.actor_id for e in events}
        | {p.author_id for p in progress}
        | {a.uploaded_by_id for a in attachments}
    )
    authors = {
        user.id or 0: user.full_name
        for user_id in author_ids
        if user_id and (user := session.get(User, user_id)) is not None
    }
    commands = available_commands(
        principal=principal, task=task, units=units, extensions=extensions
    )
    return TaskPage(
        task=task,
        units=units,
        category=status.category,
        state_label=STATE_LABELS[task.state],
        due_on_as_of=due,
        due_soon=status.due_soon,
        awaiting=status.awaiting_confirmation,
        days_left=calendar.working_days_between(today, due) if due and open_task else None,
        document=documents_service.get(session=session, document_id=task.source_document_id)
        if task.source_document_id
        else None,
        plan=plan,
        section=section,
        progress=progress,
        extensions=extensions,
        pending_extension=pending_extension(extensions),
        events=events,
        authors=authors,
        commands=commands,
        parts=_officer_parts(session, principal, task_id, units, commands),
        attachments=attachments,
    )


def _officer_parts(
    session: Session,
    principal: Principal,
    task_id: int,
    units: TaskUnits,
    commands: frozenset[TaskCommand],
) -> list[OfficerPart]:
    """The lead's and each coordinator's part with its officer in charge, and whom the reader
    may choose from for the units they lead (while the task is open)."""
    choosing = (
        {unit.id for unit in officer_units(principal=principal, units=units)}
        if TaskCommand.ASSIGN_OFFICER in commands
        else set()
    )
    by_id = {unit.id: unit for unit in (units.lead, *units.coordinators)}
    return [
        OfficerPart(
            unit=by_id[view.unit_id],
            role=view.role,
            officer_name=view.officer_name,
            officer_id=view.officer_id,
            candidates=tasks_service.officer_candidates(session=session, unit_id=view.unit_id)
            if view.unit_id in choosing
            else [],
        )
        for view in tasks_service.assignment_views(session=session, task_ids=[task_id])[task_id]
    ]


def _render_task(
    request: Request,
    session: Session,
    principal: Principal,
    task_id: int,
    form: FormState | None = None,
    status_code: int = 200,
    as_of: date | None = None,
) -> Response:
    view = _page_of(session, principal, task_id, as_of)
    reminder_policy = (
        {
            "rules": stored_rules(session, PolicyScope.TASK, task_id),
            "effective": as_json(policy.effective_policy(session=session, task_id=task_id)),
        }
        if TaskCommand.REMINDER_POLICY in view.commands
        else None
    )
    return render(
        request,
        "task.html",
        {
            "view": view,
            "reminder_policy": reminder_policy,
            "style": CATEGORY_STYLE,
            "audit_labels": AUDIT_LABELS,
            "attachment_labels": attachments_service.KIND_LABELS,
            "allowed_files": attachments_service.ALLOWED_LABEL,
            "max_file_bytes": request.app.state.settings.attachment_max_bytes,
            "Command": TaskCommand,
            "form_for": lambda name: (
                form if form is not None and form.name == name else FormState(name=name)
            ),
        },
        principal=principal,
        form=form,
        status_code=status_code,
    )


@router.get("/tasks/{task_id}")
def task_page(
    request: Request,
    task_id: PathId,
    principal: WebUser,
    session: SessionDep,
    as_of: DayQuery = None,
) -> Response:
    return _render_task(request, session, principal, task_id, as_of=as_of)


# --- Actions: each a form; errors come back next to their fields ------------------------------

# Service field names -> the form's field names, where they differ.
FIELDS = {
    "reported_on": "reported_on",
    "completed_on": "completed_on",
    "proposed_due_on": "proposed_due_on",
    "approved_due_on": "approved_due_on",
    # A refusal of the file attached to a report or request is shown at the file field.
    "progress_id": "file",
    "extension_id": "file",
}


def _stale_note(session: Session, task_id: int) -> str:
    """Who changed the task last, for the message that offers to reload."""
    events = history(session=session, entity="task", entity_id=task_id)
    if not events:
        return ""
    last = events[-1]
    user = session.get(User, last.actor_id) if last.actor_id else None
    who = user.full_name if user else last.actor
    what = AUDIT_LABELS.get(last.action, last.action)
    return f"{who} đã cập nhật nhiệm vụ lúc {vn_date(last.at)} ({what.lower()})."


# What a page says once an action's form went through.
DONE_MESSAGES = {
    TaskCommand.EDIT: "Đã lưu nội dung nhiệm vụ.",
    TaskCommand.PROGRESS: "Đã ghi báo cáo tiến độ.",
    TaskCommand.REPORT_COMPLETION: "Đã báo cáo hoàn thành; đơn vị giao sẽ xem và xác nhận.",
    TaskCommand.CONFIRM_COMPLETION: "Đã xác nhận hoàn thành.",
    TaskCommand.RETURN_COMPLETION: "Đã trả lại báo cáo hoàn thành.",
    TaskCommand.REQUEST_EXTENSION: "Đã gửi đề nghị gia hạn.",
    TaskCommand.PAUSE: "Đã tạm dừng nhiệm vụ.",
    TaskCommand.RESUME: "Nhiệm vụ tiếp tục được thực hiện.",
    TaskCommand.CANCEL: "Đã hủy nhiệm vụ.",
    TaskCommand.ASSIGN_OFFICER: "Đã phân công cán bộ theo dõi.",
}


async def _act(
    request: Request,
    session: Session,
    principal: Principal,
    task_id: int,
    command: TaskCommand,
    run: Callable[[FormState, Change], object],
    *,
    name: str = "",
    message: str = "",
    uploads: attachments_service.Uploads | None = None,
) -> Response:
    """Check the user may take the action, read the form (named as the command unless told),
    run the use case, commit (with the files it placed, when given `uploads`); or show the task
    page again with the errors next to the fields and the input kept."""
    action, _ = RULES[command]
    task_for(session=session, principal=principal, task_id=task_id, action=action)
    form = FormState.of(await request.form(), name=name or command.value)
    version = form.number("version", "Phiên bản", low=1, high=MAX_ID)
    if form.ok and version is not None:
        try:
            run(form, change_by(session=session, principal=principal, version=version))
        except Conflict as error:
            session.rollback()
            if error.code == "task.stale_version":
                form.stale = _stale_note(session, task_id)
                form.reload = f"/tasks/{task_id}"
            form.add_domain(error, FIELDS)
        except DomainError as error:
            session.rollback()
            form.add_domain(error, FIELDS)
    if not form.ok:
        return _render_task(request, session, principal, task_id, form, status_code=422)
    if uploads is not None:
        uploads.commit(session)
    else:
        session.commit()
    return done(request, f"/tasks/{task_id}", message or DONE_MESSAGES[command])


# --- Files sent with a report or a request ----------------------------------------------------


async def _upload_of(request: Request) -> UploadFile | None:
    """The form's chosen file (field "file"), if one was chosen."""
    chosen = (await request.form()).get("file")
    return chosen if isinstance(chosen, UploadFile) and chosen.filename else None


def _uploads(request: Request) -> attachments_service.Uploads:
    return attachments_service.Uploads.of(request.app.state.settings)


def _received(
    form: FormState, uploads: attachments_service.Uploads, upload: UploadFile | None
) -> attachments_service.Staged | None:
    """The chosen file staged and checked, or its refusal at the file field."""
    if upload is None:
        return None
    try:
        return uploads.receive(source=upload.file, filename=upload.filename or "")
    except InvalidInput as error:
        form.add("file", f"{error.message}. Hãy chọn lại tệp")
        return None


@router.get("/tasks/{task_id}/attachments/{attachment_id}")
def download_attachment(
    request: Request,
    task_id: PathId,
    attachment_id: PathId,
    principal: WebUser,
    session: SessionDep,
) -> Response:
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.READ)
    attachment = attachments_service.get(
        session=session, task_id=task_id, attachment_id=attachment_id
    )
    source = attachments_service.open_content(
        session=session, settings=request.app.state.settings, attachment=attachment
    )
    return attachment_response(source=source, attachment=attachment)


@router.post("/tasks/{task_id}/edit")
async def edit_task(
    request: Request, task_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    def run(form: FormState, change: Change) -> None:
        title = form.text("title", "Nội dung nhiệm vụ")
        note = form.text("note", "Ghi chú", required=False)
        leader = form.text("directing_leader", "Lãnh đạo giao", required=False, max_length=255)
        if form.ok:
            tasks_service.update(
                **change, task_id=task_id, title=title, note=note, directing_leader=leader
            )

    return await _act(request, session, principal, task_id, TaskCommand.EDIT, run)


@router.post("/tasks/{task_id}/assignments/{unit_id}/officer")
async def assign_officer(
    request: Request, task_id: PathId, unit_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    def run(form: FormState, change: Change) -> None:
        officer_id = form.ident("officer_id", "Cán bộ theo dõi", required=False)
        if form.ok:
            tasks_service.assign_officer(
                **change, task_id=task_id, unit_id=unit_id, officer_id=officer_id
            )

    return await _act(
        request,
        session,
        principal,
        task_id,
        TaskCommand.ASSIGN_OFFICER,
        run,
        name=f"officer{unit_id}",
    )


@router.post("/tasks/{task_id}/reminder-policy")
async def set_reminder_policy(
    request: Request, task_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    # The same rule as the API's PUT /tasks/{id}/reminder-policy.
    task_for(session=session, principal=principal, task_id=task_id, action=TaskAction.DECIDE)
    form = FormState.of(await request.form(), name="reminder_policy")
    save_policy(session, principal, form, PolicyScope.TASK, task_id)
    if not form.ok:
        return _render_task(request, session, principal, task_id, form, status_code=422)
    session.commit()
    return done(request, f"/tasks/{task_id}", "Đã lưu chính sách nhắc việc của nhiệm vụ.")


@router.post("/tasks/{task_id}/progress")
async def add_progress(
    request: Request, task_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    task, _, _ = task_for(
        session=session, principal=principal, task_id=task_id, action=TaskAction.CONTRIBUTE
    )
    upload = await _upload_of(request)

    with _uploads(request) as uploads:

        def run(form: FormState, change: Change) -> None:
            content = form.text("content", "Nội dung tiến độ")
            percent = form.number("percent", "Tỷ lệ hoàn thành", low=0, high=100, required=False)
            staged = _received(form, uploads, upload)
            if form.ok:
                update = tasks_service.add_progress(
                    **change,
                    task_id=task_id,
                    unit_id=task.lead_unit_id if principal.is_admin else principal.unit.id or 0,
                    content=content,
                    percent=percent,
                )
                if staged is not None:
                    attachments_service.attach(
                        session=session,
                        actor=principal.actor,
                        uploads=uploads,
                        staged=staged,
                        task_id=task_id,
                        kind=AttachmentKind.PROGRESS,
                        progress_id=update.id,
                    )

        return await _act(
            request, session, principal, task_id, TaskCommand.PROGRESS, run, uploads=uploads
        )


@router.post("/tasks/{task_id}/completion")
async def report_completion(
    request: Request, task_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    upload = await _upload_of(request)

    with _uploads(request) as uploads:

        def run(form: FormState, change: Change) -> None:
            completed_on = form.day("completed_on", "Ngày hoàn thành")
            result = form.text("result", "Kết quả thực hiện")
            staged = _received(form, uploads, upload)
            if form.ok and completed_on is not None:
                tasks_service.report_completion(
                    **change, task_id=task_id, completed_on=completed_on, result=result
                )
                if staged is not None:
                    attachments_service.attach(
                        session=session,
                        actor=principal.actor,
                        uploads=uploads,
                        staged=staged,
                        task_id=task_id,
                        kind=AttachmentKind.COMPLETION,
                    )

        return await _act(
            request,
            session,
            principal,
            task_id,
            TaskCommand.REPORT_COMPLETION,
            run,
            uploads=uploads,
        )


@router.post("/tasks/{task_id}/confirm")
async def confirm_completion(
    request: Request, task_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    def run(form: FormState, change: Change) -> None:
        tasks_service.confirm_completion(**change, task_id=task_id)

    return await _act(request, session, principal, task_id, TaskCommand.CONFIRM_COMPLETION, run)


@router.post("/tasks/{task_id}/return")
async def return_completion(
    request: Request, task_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    def run(form: FormState, change: Change) -> None:
        reason = form.text("reason", "Lý do trả lại")
        if form.ok:
            tasks_service.return_completion(**change, task_id=task_id, reason=reason)

    return await _act(request, session, principal, task_id, TaskCommand.RETURN_COMPLETION, run)


@router.post("/tasks/{task_id}/extension")
async def request_extension(
    request: Request, task_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    upload = await _upload_of(request)

    with _uploads(request) as uploads:

        def run(form: FormState, change: Change) -> None:
            proposed = form.day("proposed_due_on", "Thời hạn đề xuất")
            reason = form.text("reason", "Lý do xin gia hạn")
            staged = _received(form, uploads, upload)
            if form.ok and proposed is not None:
                extension = tasks_service.request_extension(
                    **change, task_id=task_id, proposed_due_on=proposed, reason=reason
                )
                if staged is not None:
                    attachments_service.attach(
                        session=session,
                        actor=principal.actor,
                        uploads=uploads,
                        staged=staged,
                        task_id=task_id,
                        kind=AttachmentKind.EXTENSION,
                        extension_id=extension.id,
                    )

        return await _act(
            request,
            session,
            principal,
            task_id,
            TaskCommand.REQUEST_EXTENSION,
            run,
            uploads=uploads,
        )


@router.post("/tasks/{task_id}/extensions/{extension_id}/{decision}")
async def decide_extension(
    request: Request,
    task_id: PathId,
    extension_id: PathId,
    decision: str,
    principal: WebUser,
    session: SessionDep,
) -> Response:
    extension = next(
        (
            e
            for e in tasks_service.extensions(session=session, task_id=task_id)
            if e.id == extension_id
        ),
        None,
    )
    if extension is None or decision not in ("approve", "reject"):
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)

    def run(form: FormState, change: Change) -> None:
        if decision == "approve":
            approved = form.day("approved_due_on", "Thời hạn được gia hạn", required=False)
            note = form.text("note", "Ghi chú", required=False)
            if form.ok:
                tasks_service.approve_extension(
                    **change, extension_id=extension_id, approved_due_on=approved, note=note
                )
        else:
            note = form.text("note", "Lý do không đồng ý")
            if form.ok:
                tasks_service.reject_extension(**change, extension_id=extension_id, note=note)

    message = "Đã đồng ý gia hạn." if decision == "approve" else "Đã không đồng ý gia hạn."
    return await _act(
        request,
        session,
        principal,
        task_id,
        TaskCommand.DECIDE_EXTENSION,
        run,
        name=decision,
        message=message,
    )


@router.post("/tasks/{task_id}/{state_change}")
async def change_state(
    request: Request, task_id: PathId, state_change: str, principal: WebUser, session: SessionDep
) -> Response:
    if state_change not in ("pause", "resume", "cancel"):
        return RedirectResponse(f"/tasks/{task_id}", status_code=303)
    command = TaskCommand(state_change)

    def run(form: FormState, change: Change) -> None:
        if command == TaskCommand.RESUME:
            tasks_service.resume(**change, task_id=task_id)
            return
        label = "Lý do tạm dừng" if command == TaskCommand.PAUSE else "Lý do hủy"
        reason = form.text("reason", label)
        if not form.ok:
            return
        if command == TaskCommand.PAUSE:
            tasks_service.pause(**change, task_id=task_id, reason=reason)
        else:
            tasks_service.cancel(**change, task_id=task_id, reason=reason)

    return await _act(request, session, principal, task_id, command, run)
