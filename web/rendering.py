"""Jinja2 templates and the filters that write dates, numbers and rates the Vietnamese way."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from tracking import clock, formatting
from tracking.access import Principal
from web.forms import FormState
from web.session import CSRF_FIELD, csrf_token, set_csrf_cookie

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")

# Pages load only this site's scripts, styles and images, and post forms only to it.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)

ROLE_LABELS = {
    "admin": "Quản trị viên",
    "leader": "Lãnh đạo",
    "officer": "Chuyên viên",
    "viewer": "Người xem",
}


def vn_date(value: date | datetime | None, empty: str = "—") -> str:
    if value is None:
        return empty
    if isinstance(value, datetime):
        # Stored instants are UTC; SQLite hands them back without a zone.
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return f"{aware.astimezone(clock.local_zone()):%H:%M %d/%m/%Y}"
    return f"{value:%d/%m/%Y}"


def vn_percent(rate: float | None) -> str:
    """66,7% with a decimal comma; a rate with no denominator yet is a dash."""
    return "—" if rate is None else formatting.rate(rate)


def date_text(value: str | date | None) -> str:
    """A date field's value as dd/mm/yyyy when it is a date or an ISO date; what the user
    typed otherwise (kept as typed, to be corrected)."""
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    text = value or ""
    try:
        return f"{date.fromisoformat(text):%d/%m/%Y}" if len(text) == 10 else text
    except ValueError:
        return text


def file_size(size: int) -> str:
    """850 B, 12 KB, 1,5 MB: a file's size with a decimal comma."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")


TEMPLATES.env.filters["vn_date"] = vn_date
TEMPLATES.env.filters["file_size"] = file_size
TEMPLATES.env.filters["date_text"] = date_text
TEMPLATES.env.filters["vn_percent"] = vn_percent
TEMPLATES.env.globals["ROLE_LABELS"] = ROLE_LABELS
TEMPLATES.env.globals["CSRF_FIELD"] = CSRF_FIELD


def form_named(form: FormState, name: str, values: dict[str, Any] | None = None) -> FormState:
    """The posted form when it is the one called `name` (its values and errors), else a
    fresh one: a page with several forms shows each its own input."""
    return form if form.name == name else FormState(name=name, values=values or {})


TEMPLATES.env.globals["form_named"] = form_named


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
    form: FormState | None = None,
) -> Response:
    token, signed = csrf_token(request)
    full: dict[str, Any] = {
        "principal": principal,
        "csrf_token": token,
        "form": form or FormState(),
        "today": clock.today(),
        "path": request.url.path,
        "flash": request.session.pop("flash", None),
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(request, template, full, status_code=status_code)
    set_csrf_cookie(request, response, signed)
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response
