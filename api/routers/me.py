"""The caller's own things: their private calendar subscription, and the feed it serves."""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Response, status

from api.deps import CurrentUser, SessionDep, SettingsDep
from api.errors import COMMON_RESPONSES, NOT_FOUND, UNPROCESSABLE
from api.schemas.directory import CalendarFeedCreated
from tracking import calendar_feed
from tracking.errors import NotFound

router = APIRouter(prefix="/me", tags=["me"], responses=COMMON_RESPONSES)
# Outside /api/v1: the URL a calendar application subscribes to, with no login.
feeds = APIRouter(tags=["me"])

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")
FEED_PATH = re.compile(r"/calendar/[^/?\s]+\.ics")


@router.post(
    "/calendar-feed",
    response_model=CalendarFeedCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Tạo (hoặc đổi) địa chỉ lịch riêng: hạn các nhiệm vụ đang mở của đơn vị mình",
)
def create_calendar_feed(
    principal: CurrentUser, session: SessionDep, settings: SettingsDep
) -> CalendarFeedCreated:
    token = calendar_feed.create(
        session=session, actor=principal.actor, user_id=principal.actor.user_id or 0
    )
    session.commit()
    base = settings.public_base_url.rstrip("/")
    return CalendarFeedCreated(url=f"{base}{calendar_feed.feed_path(token)}")


@router.delete(
    "/calendar-feed",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Thu hồi địa chỉ lịch riêng (địa chỉ cũ trả lời 404)",
)
def revoke_calendar_feed(principal: CurrentUser, session: SessionDep) -> Response:
    calendar_feed.revoke(
        session=session, actor=principal.actor, user_id=principal.actor.user_id or 0
    )
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@feeds.get(
    "/calendar/{token}.ics",
    response_class=Response,
    # The project's error shape (not FastAPI's default 422 model) for every error.
    responses={200: {"content": {"text/calendar": {}}}, 404: NOT_FOUND, 422: UNPROCESSABLE},
    summary="Lịch iCalendar của một địa chỉ riêng (không cần đăng nhập)",
)
def calendar_feed_ics(token: str, session: SessionDep, settings: SettingsDep) -> Response:
    user = (
        calendar_feed.user_of_token(session=session, token=token)
        if TOKEN_SHAPE.fullmatch(token)
        else None
    )
    if user is None:
        # The same answer for a malformed, unknown or revoked token.
        raise NotFound("calendar_feed.not_found", "Không có lịch ở địa chỉ này", field=None)
    body = calendar_feed.render(session=session, user=user, base_url=settings.public_base_url)
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, max-age=900"},
    )


class RedactFeedTokens(logging.Filter):
    """Keeps feed tokens out of the access log: a token is as good as the user's calendar."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(arg, str) and "/calendar/" in arg for arg in record.args
        ):
            record.args = tuple(
                FEED_PATH.sub("/calendar/***.ics", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def install_log_redaction() -> None:
    access_log = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactFeedTokens) for f in access_log.filters):
        access_log.addFilter(RedactFeedTokens())
