"""The route class of every page: CSRF check on every POST, and people's answers to errors.

The API answers errors in JSON (api/errors.py); a page answers them in HTML: no session sends
the browser to the sign-in form (and back afterwards), a task out of reach is the same 404 page
as a task that does not exist, a refused action is a 403 page in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from fastapi_csrf_protect.exceptions import CsrfProtectError
from starlette.responses import RedirectResponse, Response

from tracking.errors import Forbidden, NotFound, NotYetAssigned
from web.rendering import render
from web.session import SignInRequired, check_csrf

NOT_FOUND_PAGE = {
    "title": "Không tìm thấy trang",
    "message": "Trang này không có, hoặc nằm ngoài phạm vi đơn vị của bạn.",
    "next_step": "Kiểm tra lại địa chỉ, hoặc về trang Tổng quan.",
}


def sign_in_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    # A form posted after the session ended returns to its page, not to the POST address.
    if request.method != "GET":
        target = request.headers.get("hx-current-url") or request.url.path
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                if request.method == "POST":
                    await check_csrf(request)
                return await handle(request)
            except SignInRequired:
                return sign_in_redirect(request)
            except CsrfProtectError:
                return render(
                    request,
                    "error.html",
                    {
                        "title": "Biểu mẫu đã hết hạn",
                        "message": "Biểu mẫu này đã hết hạn hoặc không được gửi từ trang của "
                        "hệ thống, nên chưa có gì được lưu.",
                        "next_step": "Hãy tải lại trang rồi gửi lại.",
                    },
                    status_code=403,
                )
            except NotYetAssigned as error:
                # The task is in reach; on the day asked for it did not exist yet.
                return render(
                    request,
                    "error.html",
                    {
                        "title": "Nhiệm vụ chưa được giao",
                        "message": error.message,
                        "next_step": "Hãy chọn một ngày từ ngày giao nhiệm vụ trở đi.",
                    },
                    status_code=404,
                )
            except (NotFound, RequestValidationError):
                # A malformed address (/tasks/abc) is as unknown as a missing task.
                return render(request, "error.html", NOT_FOUND_PAGE, status_code=404)
            except Forbidden as error:
                return render(
                    request,
                    "error.html",
                    {
                        "title": "Bạn không có quyền làm việc này",
                        "message": error.message,
                        "next_step": "Nếu cần, hãy liên hệ lãnh đạo đơn vị hoặc quản trị viên.",
                    },
                    status_code=403,
                )

        return page
