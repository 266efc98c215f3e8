"""Quản trị: the unit tree, the users, and the working calendar of a year (days off, làm bù
days, the overrides administrators set)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import Session
from starlette.responses import Response

from api.auth import hash_password, set_password
from api.deps import PathId, SessionDep
from models import Role, Unit, UnitKind, User
from tracking import calendar as calendar_service
from tracking import clock
from tracking import units as units_service
from tracking.access import Principal, authorize_admin
from tracking.calendar import load_calendar
from tracking.directory import list_users, user_for
from tracking.errors import DomainError, NotFound
from web.forms import FormState
from web.pages.common import UnitDirectory, done, submit
from web.rendering import render
from web.routing import WebRoute
from web.session import WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)

Year = Annotated[int | None, Query(ge=1990, le=2099)]


def _context(session: Session, principal: Principal, year: int) -> dict[str, object]:
    directory = UnitDirectory.load(session)
    return {
        "units": directory.units,
        "children": directory.children,
        "roots": [u for u in directory.units if u.parent_id is None],
        "users": list_users(session=session, principal=principal),
        "names": directory.by_id,
        "roles": [r.value for r in Role],
        "kinds": units_service.KIND_LABELS,
        "year": year,
        "days": load_calendar(session).days_off_in_year(year),
        "overrides": calendar_service.list_overrides(
            session=session, start=date(year, 1, 1), end=date(year, 12, 31)
        ),
    }


@router.get("/admin")
def admin(request: Request, principal: WebUser, session: SessionDep, year: Year = None) -> Response:
    authorize_admin(principal=principal)
    chosen = year or clock.today().year
    return render(
        request,
        "admin.html",
        _context(session, principal, chosen),
        principal=principal,
        form=FormState(name="day", values={"working": "0"}),
    )


@router.post("/admin/users")
async def add_user(request: Request, principal: WebUser, session: SessionDep) -> Response:
    authorize_admin(principal=principal)
    form = FormState.of(await request.form(), name="user")
    username = form.text("username", "Tên đăng nhập", max_length=80)
    full_name = form.text("full_name", "Họ và tên", max_length=255)
    unit_id = form.ident("unit", "Đơn vị")
    role = form.value("role")
    if role not in {r.value for r in Role}:
        form.add("role", "Chọn vai trò")
    title = form.text("title", "Chức vụ", required=False, max_length=120)
    password = form.value("password")
    if not password:
        form.add("password", "Nhập mật khẩu ban đầu")

    def change() -> None:
        units_service.create_user(
            session=session,
            actor=principal.actor,
            username=username,
            full_name=full_name,
            unit=units_service.get(session=session, unit_id=unit_id or 0),
            role=Role(role),
            title=title,
            password_hash=hash_password(password=password, username=username),
        )

    return submit(
        request,
        session,
        form,
        change,
        lambda: _admin_page(request, session, principal, form, forget_password=True),
        target="/admin#nguoi-dung",
        message=lambda: f"Đã thêm người dùng «{username.lower()}».",
        fields={"unit_id": "unit"},
    )


@router.post("/admin/users/{user_id}/active")
def toggle_active(
    request: Request, user_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    authorize_admin(principal=principal)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user.not_found", f"Không tìm thấy người dùng #{user_id}", field="user_id")
    try:
        units_service.update_user(
            session=session, actor=principal.actor, user=user, active=not user.active
        )
    except DomainError as error:
        session.rollback()
        return done(request, "/admin#nguoi-dung", error.message)
    session.commit()
    state = "mở lại" if user.active else "khóa"
    return done(request, "/admin#nguoi-dung", f"Đã {state} tài khoản «{user.username}».")


@router.post("/admin/calendar")
async def set_day(request: Request, principal: WebUser, session: SessionDep) -> Response:
    authorize_admin(principal=principal)
    form = FormState.of(await request.form(), name="day")
    day = form.day("day", "Ngày")
    working = form.value("working")
    if working not in ("0", "1"):
        form.add("working", "Chọn ngày nghỉ hoặc ngày làm việc")
    note = form.text("note", "Ghi chú", max_length=500)
    source = form.text("legal_source", "Căn cứ", required=False, max_length=500)
    if day is None:
        return _admin_page(request, session, principal, form)
    return submit(
        request,
        session,
        form,
        lambda: calendar_service.set_override(
            session=session,
            actor=principal.actor,
            day=day,
            is_working_day=working == "1",
            note=note,
            legal_source=source,
        ),
        lambda: _admin_page(request, session, principal, form, year=day.year),
        target=f"/admin?year={day.year}#lich",
        message=lambda: f"Đã lưu ngày {day:%d/%m/%Y}.",
    )


@router.post("/admin/calendar/{day}/delete")
def delete_day(request: Request, day: date, principal: WebUser, session: SessionDep) -> Response:
    authorize_admin(principal=principal)
    calendar_service.delete_override(session=session, actor=principal.actor, day=day)
    session.commit()
    return done(
        request, f"/admin?year={day.year}#lich", f"Đã bỏ điều chỉnh của ngày {day:%d/%m/%Y}."
    )


# --- Units --------------------------------------------------------------------------------


def _admin_page(
    request: Request,
    session: Session,
    principal: Principal,
    form: FormState,
    *,
    year: int | None = None,
    forget_password: bool = False,
) -> Response:
    """The administration page again with a refused form (a password is never sent back)."""
    if forget_password:
        form.values.pop("password", None)
    return render(
        request,
        "admin.html",
        _context(session, principal, year or clock.today().year),
        principal=principal,
        form=form,
        status_code=422,
    )


@router.post("/admin/units")
async def add_unit(request: Request, principal: WebUser, session: SessionDep) -> Response:
    authorize_admin(principal=principal)
    form = FormState.of(await request.form(), name="unit")
    code = form.text("code", "Mã đơn vị", max_length=50)
    name = form.text("name", "Tên đơn vị", max_length=255)
    short_name = form.text("short_name", "Tên viết tắt", required=False, max_length=120)
    kind = form.value("kind")
    if kind not in {k.value for k in UnitKind}:
        form.add("kind", "Chọn loại đơn vị")
    parent_id = form.ident("parent", "Đơn vị cấp trên", required=False)

    def change() -> None:
        parent = units_service.get(session=session, unit_id=parent_id) if parent_id else None
        units_service.create(
            session=session,
            actor=principal.actor,
            code=code,
            name=name,
            short_name=short_name,
            kind=UnitKind(kind),
            parent=parent,
        )

    return submit(
        request,
        session,
        form,
        change,
        lambda: _admin_page(request, session, principal, form),
        target="/admin#don-vi",
        message=lambda: f"Đã thêm đơn vị «{name}».",
        fields={"unit_id": "parent", "parent_id": "parent"},
    )


def _unit_page(
    request: Request,
    principal: Principal,
    unit: Unit,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_unit.html",
        {"unit": unit, "kinds": units_service.KIND_LABELS},
        principal=principal,
        form=form
        or FormState(name="unit", values={"name": unit.name, "short_name": unit.short_name}),
        status_code=status_code,
    )


@router.get("/admin/units/{unit_id}")
def unit_page(
    request: Request, unit_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    authorize_admin(principal=principal)
    return _unit_page(request, principal, units_service.get(session=session, unit_id=unit_id))


@router.post("/admin/units/{unit_id}")
async def edit_unit(
    request: Request, unit_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    authorize_admin(principal=principal)
    unit = units_service.get(session=session, unit_id=unit_id)
    form = FormState.of(await request.form(), name="unit")
    name = form.text("name", "Tên đơn vị", max_length=255)
    short_name = form.text("short_name", "Tên viết tắt", required=False, max_length=120)
    return submit(
        request,
        session,
        form,
        lambda: units_service.update(
            session=session, actor=principal.actor, unit=unit, name=name, short_name=short_name
        ),
        lambda: _unit_page(request, principal, unit, form, status_code=422),
        target="/admin#don-vi",
        message=lambda: f"Đã lưu đơn vị «{unit.name}».",
    )


# --- One user -----------------------------------------------------------------------------


def _user_page(
    request: Request,
    session: Session,
    principal: Principal,
    user: User,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_user.html",
        {
            "user": user,
            "units": UnitDirectory.load(session).units,
            "roles": [r.value for r in Role],
            "profile": {
                "full_name": user.full_name,
                "title": user.title or "",
                "role": user.role.value,
                "unit": str(user.unit_id),
            },
        },
        principal=principal,
        form=form or FormState(),
        status_code=status_code,
    )


@router.get("/admin/users/{user_id}")
def user_page(
    request: Request, user_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    authorize_admin(principal=principal)
    user = user_for(session=session, principal=principal, user_id=user_id, manage=True)
    return _user_page(request, session, principal, user)


@router.post("/admin/users/{user_id}")
async def edit_user(
    request: Request, user_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    authorize_admin(principal=principal)
    user = user_for(session=session, principal=principal, user_id=user_id, manage=True)
    form = FormState.of(await request.form(), name="profile")
    full_name = form.text("full_name", "Họ và tên", max_length=255)
    title = form.text("title", "Chức vụ", required=False, max_length=120)
    unit_id = form.ident("unit", "Đơn vị")
    role = form.value("role")
    if role not in {r.value for r in Role}:
        form.add("role", "Chọn vai trò")
    return submit(
        request,
        session,
        form,
        lambda: units_service.update_user(
            session=session,
            actor=principal.actor,
            user=user,
            full_name=full_name,
            title=title,
            role=Role(role),
            unit=units_service.get(session=session, unit_id=unit_id or 0),
        ),
        lambda: _user_page(request, session, principal, user, form, status_code=422),
        target="/admin#nguoi-dung",
        message=lambda: f"Đã lưu thông tin của «{user.username}».",
        fields={"unit_id": "unit"},
    )


@router.post("/admin/users/{user_id}/password")
async def reset_password(
    request: Request, user_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    authorize_admin(principal=principal)
    user = user_for(session=session, principal=principal, user_id=user_id, manage=True)
    form = FormState.of(await request.form(), name="password")
    password = form.value("password")
    if not password:
        form.add("password", "Nhập mật khẩu mới")

    def again() -> Response:
        # A password is never sent back to the browser, not even a refused one.
        form.values.pop("password", None)
        return _user_page(request, session, principal, user, form, status_code=422)

    return submit(
        request,
        session,
        form,
        lambda: set_password(session=session, actor=principal.actor, user=user, password=password),
        again,
        target=f"/admin/users/{user_id}",
        message=lambda: (
            f"Đã đặt lại mật khẩu của «{user.username}»; các phiên đăng nhập của họ đã kết thúc."
        ),
    )
