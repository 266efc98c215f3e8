"""One error shape for every failure: {"detail": [{"code", "message", "field", "row"}]}.

Domain errors keep their status (422, 404, 409, 403); request validation answers 422 with
one item per bad field; malformed JSON answers 400; HTTP errors (401, 404 route, 405) keep
their status and headers; anything unexpected answers 500 in the same shape.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from tracking.errors import DomainError, InvalidInput, NotFound
from tracking.importing import ImportRejected

logger = logging.getLogger(__name__)


class ErrorItem(BaseModel):
    code: str = Field(description="Mã lỗi ổn định cho chương trình, ví dụ `task.stale_version`")
    message: str = Field(description="Thông báo cho người đọc, bằng tiếng Việt")
    field: str | None = Field(default=None, description="Trường gây lỗi, nếu có")
    row: int | None = Field(default=None, description="Dòng của tệp nhập gây lỗi, nếu có")


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


BAD_REQUEST = _doc("Thân yêu cầu không phải JSON hợp lệ")
UNAUTHORIZED = _doc("Chưa đăng nhập hoặc mã truy cập hết hạn")
FORBIDDEN = _doc("Không có quyền thực hiện thao tác này")
NOT_FOUND = _doc("Không tìm thấy, hoặc nằm ngoài phạm vi đơn vị của người dùng")
CONFLICT = _doc("Dữ liệu đã bị người khác thay đổi (phiên bản cũ) hoặc trạng thái không cho phép")
UNPROCESSABLE = _doc("Dữ liệu không hợp lệ: mỗi mục nêu trường, mã lỗi và lý do")

# Documented on every operation (a status that cannot happen on one route is harmless).
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: BAD_REQUEST,
    401: UNAUTHORIZED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
    422: UNPROCESSABLE,
}

_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": "Thiếu trường bắt buộc",
    "json_invalid": "Nội dung JSON không hợp lệ",
    "json_type": "Nội dung phải là JSON",
    "string_type": "Phải là chuỗi ký tự",
    "string_too_short": "Chuỗi quá ngắn",
    "string_too_long": "Chuỗi quá dài",
    "string_pattern_mismatch": "Chuỗi chứa ký tự không được phép",
    "int_type": "Phải là số nguyên",
    "int_parsing": "Phải là số nguyên",
    "int_from_float": "Phải là số nguyên",
    "bool_type": "Phải là true hoặc false",
    "bool_parsing": "Phải là true hoặc false",
    "greater_than": "Giá trị quá nhỏ",
    "greater_than_equal": "Giá trị quá nhỏ",
    "less_than": "Giá trị quá lớn",
    "less_than_equal": "Giá trị quá lớn",
    "date_type": "Phải là ngày dạng YYYY-MM-DD",
    "date_parsing": "Phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "Phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_inexact": "Phải là ngày, không kèm giờ",
    "enum": "Giá trị không thuộc danh sách cho phép",
    "literal_error": "Giá trị không thuộc danh sách cho phép",
    "union_tag_invalid": "Loại thời hạn không hợp lệ",
    "union_tag_not_found": "Thiếu loại thời hạn (kind)",
    "model_attributes_type": "Phải là một đối tượng JSON",
    "dict_type": "Phải là một đối tượng JSON",
    "list_type": "Phải là một danh sách",
    "too_long": "Danh sách quá dài",
    "too_short": "Danh sách quá ngắn",
    "extra_forbidden": "Trường không được phép",
    "value_error": "Giá trị không hợp lệ",
    "uuid_parsing": "Giá trị không hợp lệ",
}

_HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("http.bad_request", "Yêu cầu không hợp lệ"),
    401: ("auth.unauthorized", "Chưa đăng nhập hoặc mã truy cập không hợp lệ, đã hết hạn"),
    403: ("http.forbidden", "Không có quyền thực hiện thao tác này"),
    404: ("http.not_found", "Không tìm thấy địa chỉ này"),
    405: ("http.method_not_allowed", "Phương thức không được hỗ trợ ở địa chỉ này"),
    406: ("http.not_acceptable", "Không thể trả lời theo định dạng yêu cầu"),
    413: ("http.too_large", "Yêu cầu quá lớn"),
    415: ("http.unsupported_media_type", "Định dạng nội dung không được hỗ trợ"),
}


def _items(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"detail": [ErrorItem(**item).model_dump() for item in items]}


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return _items([{"code": code, "message": message, "field": field}])


def _field(loc: Sequence[Any]) -> str | None:
    parts = [str(part) for part in loc]
    if len(parts) > 1 and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    # A discriminated union adds the tag as a path element: body.deadline.date.due_on.
    return ".".join(parts) or None


def validation_items(errors: Sequence[Any]) -> list[dict[str, Any]]:
    items = []
    for error in errors:
        kind = str(error.get("type", "value_error"))
        loc = error.get("loc", ())
        if "." in kind:  # a domain rule run by pydantic (api/deps.py): its own code and message
            items.append({"code": kind, "message": str(error.get("msg")), "field": _field(loc)})
            continue
        message = _VALIDATION_MESSAGES.get(kind, "Giá trị không hợp lệ")
        context = error.get("ctx") or {}
        if kind in ("string_too_long", "too_long") and "max_length" in context:
            message = f"{message} (tối đa {context['max_length']})"
        elif kind in ("less_than_equal", "less_than") and "le" in context:
            message = f"{message} (tối đa {context['le']})"
        elif kind in ("less_than", "less_than_equal") and "lt" in context:
            message = f"{message} (phải nhỏ hơn {context['lt']})"
        elif kind in ("greater_than_equal",) and "ge" in context:
            message = f"{message} (tối thiểu {context['ge']})"
        elif kind == "value_error" and context.get("error"):
            message = str(context["error"])
        field = "body" if kind == "json_invalid" else _field(loc)
        items.append({"code": f"validation.{kind}", "message": message, "field": field})
    return items


@contextlib.contextmanager
def body_references(fields: Mapping[str, str]) -> Iterator[None]:
    """A row the request body refers to that does not exist is bad input, not a missing page:
    within the block, a NotFound whose field is a key of `fields` (the service's name) becomes
    a 422 naming the field as the client sent it (the value)."""
    try:
        yield
    except NotFound as error:
        if error.field is None or error.field not in fields:
            raise
        raise InvalidInput(error.code, error.message, field=fields[error.field]) from error


def install(app: FastAPI) -> None:
    @app.exception_handler(ImportRejected)
    async def _import_rejected(_request: Request, error: ImportRejected) -> JSONResponse:
        items = [
            {"code": e.code, "message": e.message, "field": e.field, "row": e.row}
            for e in error.errors
        ]
        return JSONResponse(_items(items), status_code=error.http_status)

    @app.exception_handler(DomainError)
    async def _domain(_request: Request, error: DomainError) -> JSONResponse:
        return JSONResponse(
            error_body(error.code, error.message, error.field), status_code=error.http_status
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = error.errors()
        status = 400 if any(e.get("type") == "json_invalid" for e in errors) else 422
        return JSONResponse(_items(validation_items(errors)), status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_MESSAGES.get(error.status_code, ("http.error", "Yêu cầu lỗi"))
        if isinstance(error.detail, str) and error.detail.startswith("nhiemvu:"):
            code, message = error.detail.removeprefix("nhiemvu:").split("|", 1)
        return JSONResponse(
            error_body(code, message),
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(sa_exc.IntegrityError)
    async def _integrity(_request: Request, error: sa_exc.IntegrityError) -> JSONResponse:
        logger.warning("integrity error: %s", error.orig)
        return JSONResponse(
            error_body(
                "db.conflict",
                "Dữ liệu xung đột với dữ liệu đã có (có thể vừa được người khác thay đổi)",
            ),
            status_code=409,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        logger.exception("unexpected error", exc_info=error)
        return JSONResponse(
            error_body("server.error", "Lỗi không mong đợi ở máy chủ; đã ghi nhật ký để xử lý"),
            status_code=500,
        )
