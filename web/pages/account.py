"""Sign in (throttled like the API's token endpoint), sign out, change one's own password,
one's private calendar address."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from api.auth import authenticate_throttled, set_password
from api.deps import SessionDep, SettingsDep
from api.login_throttle import LoginRefused
from models import User
from tracking import calendar_feed
from tracking.errors import DomainError, NotFound
from tracking.passwords import MAX_PASSWORD
from web.forms import FormState
from web.pages.common import done
from web.rendering import render
from web.routing import WebRoute
from web.session import MaybeUser, WebUser, safe_next, sign_in, sign_out

router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/login")
def login_form(
    request: Request,
    principal: MaybeUser,
    next_page: Annotated[str | None, Query(alias="next", max_length=2000)] = None,
) -> Response:
    target = safe_next(next_page)
    if principal is not None:
        return RedirectResponse(target, status_code=303)
    return render(request, "login.html", {"next": target})


@router.post("/login")
async def login(request: Request, session: SessionDep) -> Response:
    form = FormState.of(await request.form())
    target = safe_next(form.value("next"))
    username = form.value("username").strip()
    password = form.value("password")
    if not username:
        form.add("username", "Nhập tên đăng nhập")
    if not password:
        form.add("password", "Nhập mật khẩu")
    user: User | None = None
    if form.ok:
        try:
            user = authenticate_throttled(
                request=request, session=session, username=username, password=password
            )
        except LoginRefused as refusal:
            form.add("_form", refusal.message)
        else:
            if user is None:
                form.add("password", "Tên đăng nhập hoặc mật khẩu không đúng")
    if user is None:
        # The password is never sent back to the page.
        form.values.pop("password", None)
        return render(request, "login.html", {"next": target}, form=form, status_code=422)
    sign_in(request, user)
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    sign_out(request)
    response = RedirectResponse("/login", status_code=303)
    return response


@router.get("/account/password")
def password_form(request: Request, principal: WebUser) -> Response:
    return render(request, "password.html", principal=principal)


@router.post("/account/password")
async def change_password(request: Request, principal: WebUser, session: SessionDep) -> Response:
    form = FormState.of(await request.form())
    current, new, again = (form.value(k) for k in ("current", "new", "again"))
    if not current:
        form.add("current", "Nhập mật khẩu hiện tại")
    if not new:
        form.add("new", "Nhập mật khẩu mới")
    elif len(new) > MAX_PASSWORD:
        form.add("new", f"Mật khẩu mới không được dài quá {MAX_PASSWORD} ký tự")
    elif new != again:
        form.add("again", "Hai lần nhập mật khẩu mới chưa giống nhau")
    user = session.get(User, principal.actor.user_id)
    assert user is not None
    if form.ok:
        try:
            checked = authenticate_throttled(
                request=request, session=session, username=user.username, password=current
            )
        except LoginRefused as refusal:
            form.add("_form", refusal.message)
        else:
            if checked is None:
                form.add("current", "Mật khẩu hiện tại không đúng")
    if form.ok:
        try:
            set_password(session=session, actor=principal.actor, user=user, password=new)
        except DomainError as error:
            form.add_domain(error, {"password": "new"})
    if not form.ok:
        form.values = {}
        return render(request, "password.html", principal=principal, form=form, status_code=422)
    session.commit()
    # The password change bumped token_version: this session continues with the new one,
    # every other session and API token of the user ends.
    sign_in(request, user)
    request.session["flash"] = "Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc."
    return RedirectResponse("/", status_code=303)


def _calendar_page(
    request: Request, principal: WebUser, session: SessionDep, url: str = ""
) -> Response:
    since = calendar_feed.active_since(session=session, user_id=principal.actor.user_id or 0)
    return render(request, "calendar_feed.html", {"since": since, "url": url}, principal=principal)


@router.get("/account/calendar")
def calendar_feed_page(request: Request, principal: WebUser, session: SessionDep) -> Response:
    return _calendar_page(request, principal, session)


@router.post("/account/calendar")
def create_calendar_feed(
    request: Request, principal: WebUser, session: SessionDep, settings: SettingsDep
) -> Response:
    token = calendar_feed.create(
        session=session, actor=principal.actor, user_id=principal.actor.user_id or 0
    )
    session.commit()
    # Shown in this answer only: the token is stored nowhere, not even in the session.
    url = settings.public_base_url.rstrip("/") + calendar_feed.feed_path(token)
    return _calendar_page(request, principal, session, url)


@router.post("/account/calendar/revoke")
def revoke_calendar_feed(request: Request, principal: WebUser, session: SessionDep) -> Response:
    try:
        calendar_feed.revoke(
            session=session, actor=principal.actor, user_id=principal.actor.user_id or 0
        )
    except NotFound as missing:
        return done(request, "/account/calendar", missing.message)
    session.commit()
    return done(
        request,
        "/account/calendar",
        "Đã thu hồi địa chỉ lịch; lịch đã đăng ký sẽ không cập nhật nữa.",
    )
