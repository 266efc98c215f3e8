"""What every `nhiemvu` sub-command shares: date parsing, one-line errors, the database.

Errors go to stderr as one line "Lỗi: … [code]" with a non-zero exit (2 for bad input,
3 when the database cannot be reached), never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import wraps
from typing import Any, TypeVar

import sqlalchemy as sa
import typer
from sqlmodel import Session

from models.db import get_engine, session_scope
from models.migrate import upgrade
from tracking.audit import Actor
from tracking.calendar import load_official_overrides
from tracking.errors import DomainError, InvalidInput
from tracking.validation import check_day

CLI_ACTOR = Actor(name="cli")
F = TypeVar("F", bound=Callable[..., Any])


def parse_date(text: str) -> date:
    """Accept 2021-11-02 and 02/11/2021, within the range the API and the importers accept."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            parsed = datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
        try:
            return check_day(parsed, field="", label=f"Ngày {parsed:%d/%m/%Y}")
        except InvalidInput as error:
            raise typer.BadParameter(error.message) from error
    raise typer.BadParameter(f"«{text}» không phải ngày hợp lệ (dạng 2021-11-02 hoặc 02/11/2021)")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"Lỗi: {message}", err=True)
    raise typer.Exit(code)


def friendly_errors(function: F) -> F:
    """Turn domain and database errors into one line on stderr and a non-zero exit."""

    @wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DomainError as error:
            where = f" ({error.field})" if error.field else ""
            fail(f"{error.message}{where} [{error.code}]", 2)
        except sa.exc.OperationalError as error:
            fail(f"không truy cập được cơ sở dữ liệu: {error.orig}", 3)
        return None

    return wrapper  # type: ignore[return-value]


def prepare_database() -> int:
    """Migrate to the latest schema and load the shipped calendar decisions (idempotent);
    returns how many calendar days were added."""
    upgrade(get_engine())
    with session_scope() as session:
        return load_official_overrides(session=session)


@contextmanager
def database() -> Iterator[Session]:
    """A session on an up-to-date database, committed at the end of the block."""
    prepare_database()
    with session_scope() as session:
        yield session
