"""ASGI middleware: a bounded request body, and the security headers of every response."""

from __future__ import annotations

from fastapi import HTTPException
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body

TOO_LARGE_CODE = "http.too_large"


def too_large_message(max_bytes: int) -> str:
    return f"Nội dung yêu cầu lớn hơn giới hạn {max_bytes / (1024 * 1024):g} MB"


class BodySizeLimit:
    """Answer 413 to a body larger than `max_bytes`: at once when Content-Length says so,
    and as soon as the streamed (e.g. chunked) bytes pass the limit, so no body bigger than
    the limit is ever held by the application."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = JSONResponse(
                error_body(TOO_LARGE_CODE, too_large_message(self.max_bytes)),
                status_code=413,
                headers={"Connection": "close"},
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException passes FastAPI's body parsing unchanged and is answered
                    # by the app's handler in the API's error shape.
                    raise HTTPException(
                        status_code=413,
                        detail=f"nhiemvu:{TOO_LARGE_CODE}|{too_large_message(self.max_bytes)}",
                        headers={"Connection": "close"},
                    )
            return message

        await self.app(scope, limited_receive, send)


# Every response; JSON and files also get a CSP that loads and frames nothing. HTML pages
# (/docs, /redoc load Swagger UI and ReDoc from a CDN) keep working without one.
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
STRICT_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    headers[name] = value
                if not headers.get("content-type", "").startswith("text/html"):
                    headers["Content-Security-Policy"] = STRICT_CSP
                if over_https:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
