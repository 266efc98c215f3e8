"""Nhắc việc: the outbox by state (within the user's reach, everything for administrators),
retrying a dead message, the user's own channels with a test send, the reminder policy."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlmodel import Session
from starlette.responses import Response

from api.deps import PathId, SessionDep
from models import NotificationState, PolicyScope, User
from notifications import contacts, delivery, policy
from tracking.access import Principal, authorize_admin, authorize_user
from tracking.errors import DomainError
from web.forms import FormState
from web.pages.common import done
from web.rendering import render
from web.routing import WebRoute
from web.session import WebUser

router = APIRouter(route_class=WebRoute, include_in_schema=False)

STATE_LABELS = {
    NotificationState.PENDING: "Chờ gửi",
    NotificationState.SENDING: "Đang gửi",
    NotificationState.SENT: "Đã gửi",
    NotificationState.FAILED: "Gửi lỗi, sẽ thử lại",
    NotificationState.DEAD: "Đã dừng gửi",
    NotificationState.SKIPPED: "Bỏ qua (không còn cần nhắc)",
}


def _context(session: Session, principal: Principal, state: str | None) -> dict[str, object]:
    chosen = state if state in {s.value for s in NotificationState} else None
    stored = policy.get_policy(session=session, scope=PolicyScope.GLOBAL)
    return {
        "entries": delivery.list_outbox(
            session=session,
            state=chosen,
            limit=100,
            recipient_unit_path=None if principal.is_admin else principal.reach.path,
        ),
        "state": chosen,
        "states": STATE_LABELS,
        "channels": contacts.list_contact_channels(
            session=session, user_id=principal.actor.user_id or 0
        ),
        "stored_policy": as_json(stored),
        "effective_policy": as_json(policy.merge(policy.default_rules(), stored)),
    }


def _refused(request: Request, session: Session, principal: Principal, form: FormState) -> Response:
    """The page again with a refused form, its input kept."""
    return render(
        request,
        "reminders.html",
        _context(session, principal, None),
        principal=principal,
        form=form,
        status_code=422,
    )


@router.get("/reminders")
def reminders(
    request: Request,
    principal: WebUser,
    session: SessionDep,
    state: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    return render(
        request, "reminders.html", _context(session, principal, state), principal=principal
    )


@router.post("/reminders/outbox/{notification_id}/retry")
def retry(
    request: Request, notification_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    authorize_admin(principal=principal)
    delivery.retry_dead(session=session, notification_id=notification_id, actor=principal.actor)
    session.commit()
    return done(request, "/reminders", "Tin đã được đưa lại vào hàng chờ gửi.")


def _me(session: Session, principal: Principal) -> User:
    user = session.get(User, principal.actor.user_id)
    assert user is not None
    authorize_user(principal=principal, user=user, unit=principal.unit, manage=True)
    return user


@router.post("/reminders/channels")
async def set_channels(request: Request, principal: WebUser, session: SessionDep) -> Response:
    form = FormState.of(await request.form(), name="channels")
    text = form.text("urls", "Địa chỉ nhận nhắc việc", required=False, max_length=4000)
    urls = [line.strip() for line in text.splitlines() if line.strip()]
    if form.ok:
        try:
            contacts.set_contact_channels(
                session=session,
                user_id=_me(session, principal).id or 0,
                urls=urls,
                actor=principal.actor,
            )
        except DomainError as error:
            session.rollback()
            form.add("urls", error.message)
    if not form.ok:
        return _refused(request, session, principal, form)
    session.commit()
    return done(request, "/reminders", "Đã lưu các kênh nhận nhắc việc của bạn.")


@router.post("/reminders/channels/{channel_id}/test")
def test_channel(
    request: Request, channel_id: PathId, principal: WebUser, session: SessionDep
) -> Response:
    url = contacts.managed_channel_url(session=session, principal=principal, channel_id=channel_id)
    session.rollback()  # nothing to keep; the send may take a while
    result = delivery.send_test(
        channel_url=url, actor=principal.actor, engine=request.app.state.engine
    )
    message = (
        f"Đã gửi tin thử tới {result.channel}; hãy kiểm tra hộp thư hoặc Zalo."
        if result.ok
        else f"Chưa gửi được tin thử tới {result.channel}: {result.error}"
    )
    return done(request, "/reminders", message)


def stored_rules(session: Session, scope: PolicyScope, scope_id: int = 0) -> str:
    """A scope's own overrides as the JSON the policy forms show."""
    stored = policy.get_policy(session=session, scope=scope, scope_id=scope_id)
    return json.dumps(stored, ensure_ascii=False, indent=2)


def as_json(rules: dict[str, Any]) -> str:
    return json.dumps(rules, ensure_ascii=False, indent=2)


def save_policy(
    session: Session,
    principal: Principal,
    form: FormState,
    scope: PolicyScope,
    scope_id: int | None = None,
) -> None:
    """Read the form's JSON rules and store them for the scope; a refusal lands on the field.
    The caller has authorised the user for the scope, and commits."""
    text = form.text("rules", "Chính sách nhắc việc", required=False, max_length=20000)
    rules: object = {}
    try:
        rules = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        form.add("rules", f"Chưa đúng cú pháp JSON ở dòng {error.lineno}, cột {error.colno}")
    if form.ok and not isinstance(rules, dict):
        form.add("rules", 'Chính sách phải là một đối tượng JSON, ví dụ {"on_due_day": true}')
    if form.ok and isinstance(rules, dict):
        try:
            policy.set_policy(
                session=session,
                scope=scope,
                scope_id=scope_id,
                rules=rules,
                actor=principal.actor,
            )
        except DomainError as error:
            session.rollback()
            form.add("rules", error.message)


@router.post("/reminders/policy")
async def set_policy(request: Request, principal: WebUser, session: SessionDep) -> Response:
    authorize_admin(principal=principal)
    form = FormState.of(await request.form(), name="policy")
    save_policy(session, principal, form, PolicyScope.GLOBAL)
    if not form.ok:
        return _refused(request, session, principal, form)
    session.commit()
    return done(request, "/reminders", "Đã lưu chính sách nhắc việc chung.")
