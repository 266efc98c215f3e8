"""Quản trị: the unit tree, the users, and the working calendar of a year (days off, làm bù
days, the overrides administrators set)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlmodel import Session
from starlette.responses import Response

from api.deps import SessionDep
from tracking import calendar as calendar_service
from tracking import clock
from tracking.access import Principal, authorize_admin
from tracking.calendar import load_calendar
from tracking.directory import list_users
from tracking.errors import DomainError
from web.forms import FormState
from web.pages.common import UnitDirectory, done
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
    if form.ok and day is not None:
        try:
            calendar_service.set_override(
                session=session,
                actor=principal.actor,
                day=day,
                is_working_day=working == "1",
                note=note,
                legal_source=source,
            )
        except DomainError as error:
            session.rollback()
            form.add_domain(error)
    if not form.ok or day is None:
        return render(
            request,
            "admin.html",
            _context(session, principal, day.year if day else clock.today().year),
            principal=principal,
            form=form,
            status_code=422,
        )
    session.commit()
    return done(request, f"/admin?year={day.year}#lich", f"Đã lưu ngày {day:%d/%m/%Y}.")


@router.post("/admin/calendar/{day}/delete")
def delete_day(request: Request, day: date, principal: WebUser, session: SessionDep) -> Response:
    authorize_admin(principal=principal)
    calendar_service.delete_override(session=session, actor=principal.actor, day=day)
    session.commit()
    return done(
        request, f"/admin?year={day.year}#lich", f"Đã bỏ điều chỉnh của ngày {day:%d/%m/%Y}."
    )
