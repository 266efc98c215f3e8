"""Kế hoạch (under Giao nhiệm vụ): the plans, and a plan's page with its tasks within the
user's reach and its reminder policy for those the API lets set it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlmodel import Session
from starlette.responses import Response

from api.deps import PathId, SessionDep
from models import PolicyScope
from notifications import policy
from tracking import clock, task_queries
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.access import Principal, authorize_plan_policy, can_set_plan_policy
from web.forms import FormState
from web.pages.common import UnitDirectory, done
from web.pages.overview import CATEGORY_STYLE
from web.pages.reminders import as_json, save_policy, stored_rules
from web.rendering import render
from web.routing import WebRoute
from web.session import WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)

# The plan page lists this many of its tasks; the task list (filtered by the plan) has all.
PLAN_TASKS = 100


@router.get("/plans")
def plan_list(request: Request, principal: WebUser, session: SessionDep) -> Response:
    return render(
        request,
        "plans.html",
        {
            "plans": plans_service.list_plans(session=session),
            "names": UnitDirectory.load(session).by_id,
        },
        principal=principal,
    )


def _render_plan(
    request: Request,
    session: Session,
    principal: Principal,
    plan_id: int,
    form: FormState | None = None,
    status_code: int = 200,
) -> Response:
    plan = plans_service.get(session=session, plan_id=plan_id)
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    page = task_queries.list_tasks(
        session=session,
        principal=principal,
        flt=task_queries.TaskFilter(as_of=clock.today(), plan_id=plan_id, limit=PLAN_TASKS),
    )
    return render(
        request,
        "plan.html",
        {
            "plan": plan,
            "issuer": issuer,
            "sections": plans_service.sections(session=session, plan_id=plan_id),
            "page": page,
            "names": UnitDirectory.load(session).by_id,
            "style": CATEGORY_STYLE,
            "may_set_policy": can_set_plan_policy(principal=principal, issuer=issuer),
            "stored_policy": stored_rules(session, PolicyScope.PLAN, plan_id),
            "effective_policy": as_json(
                policy.plan_effective_policy(session=session, plan_id=plan_id)
            ),
        },
        principal=principal,
        form=form,
        status_code=status_code,
    )


@router.get("/plans/{plan_id}")
def plan_page(
    request: Request, plan_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    return _render_plan(request, session, principal, plan_id)


@router.post("/plans/{plan_id}/reminder-policy")
async def set_plan_policy(
    request: Request, plan_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    # The same rule as the API's PUT /plans/{id}/reminder-policy.
    plan = plans_service.get(session=session, plan_id=plan_id)
    issuer = units_service.get(session=session, unit_id=plan.issuer_unit_id)
    authorize_plan_policy(principal=principal, issuer=issuer)
    form = FormState.of(await request.form(), name="policy")
    save_policy(session, principal, form, PolicyScope.PLAN, plan_id)
    if not form.ok:
        return _render_plan(request, session, principal, plan_id, form, status_code=422)
    session.commit()
    return done(request, f"/plans/{plan_id}", "Đã lưu chính sách nhắc việc của kế hoạch.")
