"""Mount the web interface on the FastAPI app: session cookie, CSRF, static files, pages."""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from settings import Settings
from web.pages import router
from web.rendering import render
from web.routing import NOT_FOUND_PAGE
from web.session import SESSION_COOKIE, configure_csrf, secure_cookies

STATIC = Path(__file__).parent / "static"
# api.app.API_PREFIX's first segment (importing api.app here would be circular).
API_PATHS = "/api/"


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

    # An address nobody serves: people get the 404 page, programs (the API) keep its JSON.
    api_handler = app.exception_handlers[HTTPException]

    async def not_found(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code != 404 or request.url.path.startswith(API_PATHS):
            answer = api_handler(request, error)
            return await answer if inspect.isawaitable(answer) else answer
        return render(request, "error.html", NOT_FOUND_PAGE, status_code=404)

    app.add_exception_handler(HTTPException, not_found)
