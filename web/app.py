"""Mount the web interface on the FastAPI app: session cookie, CSRF, static files, pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles

from settings import Settings
from web.pages import router
from web.session import SESSION_COOKIE, configure_csrf, secure_cookies

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI, settings: Settings) -> None:
    configure_csrf()
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.token_secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.access_token_minutes * 60,
        same_site="lax",
        https_only=secure_cookies(settings),
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
