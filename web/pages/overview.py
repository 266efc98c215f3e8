"""Tổng quan (the five status categories in reach, per unit, with a bar chart) and Việc của
tôi (the user's unit's tasks, due soon and overdue first)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.deps import SessionDep
from models import Unit
from tracking import clock, task_queries
from tracking.access import authorize_unit_data
from tracking.calendar import load_calendar
from tracking.queries import StatusCounts, count_by_category
from tracking.status import OFFICIAL_CATEGORIES, Category
from web.forms import FormState
from web.pages.common import UnitDirectory
from web.rendering import render
from web.routing import WebRoute
from web.session import WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# Overdue red, due soon amber (the stylesheet's classes), done green, the rest neutral.
CATEGORY_STYLE = {
    Category.DONE_ON_TIME: "done",
    Category.DONE_LATE: "late-done",
    Category.IN_PROGRESS: "progress",
    Category.OVERDUE: "overdue",
    Category.NO_DEADLINE: "standing",
    Category.PAUSED: "muted",
    Category.CANCELLED: "muted",
}


@dataclass(frozen=True)
class UnitCounts:
    unit: Unit
    counts: StatusCounts


@dataclass(frozen=True)
class Bar:
    category: Category
    count: int
    width: int  # of 100


def bars(counts: StatusCounts) -> list[Bar]:
    highest = max((counts.counts[c] for c in OFFICIAL_CATEGORIES), default=0) or 1
    return [
        Bar(c, counts.counts[c], round(100 * counts.counts[c] / highest))
        for c in OFFICIAL_CATEGORIES
    ]


@router.get("/")
def overview(request: Request, principal: WebUser, session: SessionDep) -> Response:
    form = FormState.of(request.query_params)
    day = form.day("as_of", "Ngày tính", required=False) or clock.today()
    directory = UnitDirectory.load(session)
    top = directory.top(principal)
    authorize_unit_data(principal=principal, unit=top)
    total = count_by_category(session=session, as_of=day, unit=top, include_subtree=True)
    rows = [
        UnitCounts(unit, count_by_category(session=session, as_of=day, unit=unit))
        for unit in directory.children(top)
    ]
    return render(
        request,
        "overview.html",
        {
            "as_of": day,
            "top": top,
            "total": total,
            "rows": rows,
            "bars": bars(total),
            "categories": OFFICIAL_CATEGORIES,
            "style": CATEGORY_STYLE,
        },
        principal=principal,
        form=form,
    )


@router.get("/my-tasks")
def my_tasks(request: Request, principal: WebUser, session: SessionDep) -> Response:
    day = clock.today()
    page = task_queries.list_tasks(
        session=session,
        principal=principal,
        flt=task_queries.TaskFilter(
            as_of=day,
            unit=principal.unit,
            categories=(Category.OVERDUE, Category.IN_PROGRESS, Category.NO_DEADLINE),
            sort=task_queries.TaskSort.DUE_ON,
            limit=task_queries.MAX_PAGE,
        ),
    )
    calendar = load_calendar(session)
    # Overdue first, then due soon, then the rest by deadline (the list comes by deadline).
    items = sorted(
        page.items,
        key=lambda item: (
            item.category != Category.OVERDUE,
            not item.due_soon,
        ),
    )
    left = {
        item.task.id: calendar.working_days_between(day, item.due_on_as_of)
        for item in items
        if item.due_on_as_of is not None
    }
    return render(
        request,
        "my_tasks.html",
        {
            "items": items,
            "total": page.total,
            "left": left,
            "names": UnitDirectory.load(session).by_id,
            "style": CATEGORY_STYLE,
        },
        principal=principal,
    )
