"""Who is signed in (a signed session cookie) and the CSRF token of their forms.

The session cookie (Starlette's SessionMiddleware: signed with the token key, HttpOnly,
SameSite=Lax, Secure when the public address is HTTPS) holds the user's id and their
token_version, so a password change or a deactivation ends every web session exactly as it
revokes API tokens. CSRF protection is fastapi-csrf-protect's double submit: a signed token in
its own cookie and the same token in a hidden field of every form.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi_csrf_protect import CsrfProtect
from starlette.responses import Response

from api.deps import SessionDep, principal_of
from models import User
from settings import Settings
from tracking.access import Principal

USER_KEY = "user_id"
VERSION_KEY = "token_version"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_COOKIE = "nhiemvu_csrf"
SESSION_COOKIE = "nhiemvu_session"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in form."""


def secure_cookies(settings: Settings) -> bool:
    return settings.public_base_url.lower().startswith("https://")


def configure_csrf() -> None:
    """fastapi-csrf-protect keeps its configuration on the class, for the whole process:
    only what every app shares goes there (the token travels in a form field). The key,
    the lifetime and the cookie's flags are each app's own and are passed on every call."""

    @CsrfProtect.load_config
    def _config() -> list[tuple[str, object]]:
        return [
            ("cookie_key", CSRF_COOKIE),
            ("cookie_samesite", "lax"),
            ("httponly", True),
            ("token_location", "body"),
            ("token_key", CSRF_FIELD),
        ]


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def sign_in(request: Request, user: User) -> None:
    # A new session on sign-in: nothing from before (a planted CSRF token) carries over.
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[VERSION_KEY] = user.token_version


def sign_out(request: Request) -> None:
    request.session.clear()


def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    user_id = request.session.get(USER_KEY)
    version = request.session.get(VERSION_KEY)
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    principal = principal_of(session=session, user_id=user_id, token_version=version)
    if principal is None:
        request.session.clear()
    return principal


def required_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise SignInRequired
    return principal


WebUser = Annotated[Principal, Depends(required_principal)]
MaybeUser = Annotated[Principal | None, Depends(optional_principal)]


def csrf_token(request: Request) -> tuple[str, str | None]:
    """The session's form token, and a signed cookie value to set when it is new (or when
    the browser lost the cookie)."""
    token = request.session.get(CSRF_KEY)
    if isinstance(token, str) and request.cookies.get(CSRF_COOKIE):
        return token, None
    token, signed = CsrfProtect().generate_csrf_tokens(_settings(request).token_secret)
    request.session[CSRF_KEY] = token
    return token, signed


def set_csrf_cookie(request: Request, response: Response, signed: str | None) -> None:
    if signed is None:
        return
    settings = _settings(request)
    response.set_cookie(
        CSRF_COOKIE,
        signed,
        max_age=settings.access_token_minutes * 60,
        path="/",
        secure=secure_cookies(settings),
        httponly=True,
        samesite="lax",
    )


async def check_csrf(request: Request) -> None:
    """Raise fastapi_csrf_protect's CsrfProtectError unless the form carries the token."""
    await request.form()  # parsed once and cached: the library reads the field from it
    settings = _settings(request)
    await CsrfProtect().validate_csrf(
        request,
        secret_key=settings.token_secret,
        time_limit=settings.access_token_minutes * 60,
    )


def safe_next(target: str | None) -> str:
    """A local path to return to after signing in; anything else (another site) is "/"."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target
