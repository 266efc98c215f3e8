"""The FastAPI application factory."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine
from starlette.types import ASGIApp

from api import errors
from api.login_throttle import LoginThrottle
from api.middleware import BodySizeLimit, SecurityHeaders
from api.routers import (
    acts,
    attachments,
    auth,
    calendar,
    me,
    obligations,
    reminders,
    reports,
    stats,
    tasks,
    units,
    users,
)
from models.db import get_engine
from settings import Settings, get_settings
from web.app import install as install_web

API_PREFIX = "/api/v1"


class SecuredFastAPI(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's error middleware, so that even a 500 carries the headers.
        return SecurityHeaders(super().build_middleware_stack())


def create_app(*, settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """The application; raises InsecureSecretKey (a ValueError) when there is no usable key."""
    settings = settings or get_settings()
    settings.token_secret  # noqa: B018 -- fail at start, not at the first login
    app = SecuredFastAPI(
        title="nhiemvu API",
        version="1.0.0",
        summary="Theo dõi nhiệm vụ được giao, thời hạn, gia hạn và kết quả thực hiện",
        description=(
            "Đăng nhập tại `POST /api/v1/auth/token` (biểu mẫu OAuth2: username, password) để "
            "nhận mã truy cập, rồi gửi `Authorization: Bearer <mã>`. Mọi lỗi có dạng "
            '`{"detail": [{"code", "message", "field", "row"}]}`. Người dùng chỉ thấy dữ liệu '
            "của đơn vị mình và các đơn vị trực thuộc; ngoài phạm vi đó câu trả lời là 404."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url="/redoc",
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine()
    app.state.login_throttle = LoginThrottle.from_settings(settings)
    errors.install(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)

    api = APIRouter(prefix=API_PREFIX)

    @api.get("/health", tags=["health"], summary="Kiểm tra dịch vụ còn chạy")
    def health() -> dict[str, Any]:
        return {"status": "ok"}

    for router in (
        auth.router,
        units.router,
        users.router,
        acts.documents,
        acts.plans,
        tasks.router,
        attachments.router,
        calendar.router,
        stats.router,
        reminders.router,
        reports.router,
        obligations.router,
        me.router,
    ):
        api.include_router(router)
    app.include_router(api)
    app.include_router(me.feeds)
    me.install_log_redaction()
    # The web pages at /, beside the API (same services, same access rules).
    install_web(app, settings)
    return app
