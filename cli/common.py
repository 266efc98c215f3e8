"""What every `nhiemvu` sub-command shares: day parsing, one-line errors, the database, JSON.

Errors go to stderr as one line "Lỗi: … [code]" with a non-zero exit (2 for bad input,
3 when the database cannot be reached), never a traceback.

This module is imported while Typer builds the command tree, so it imports nothing heavy at
the top: the database and domain modules are imported by the functions that use them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import wraps
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer

from tracking.errors import DomainError, InvalidInput

if TYPE_CHECKING:
    from sqlmodel import Session

    from tracking.audit import Actor

P = ParamSpec("P")
R = TypeVar("R")


def parse_date(text: str) -> date:
    """Typer's parser for a day argument: tracking.validation.parse_day's rule, its refusal
    shown as Typer's usage error."""
    from tracking.validation import parse_day

    try:
        return parse_day(text, field="", label="Ngày")
    except InvalidInput as error:
        raise typer.BadParameter(error.message) from error


DateArg = Annotated[date, typer.Argument(parser=parse_date, metavar="NGÀY")]
AsOfOption = Annotated[
    date | None,
    typer.Option(
        "--as-of",
        parser=parse_date,
        help="Tính đến ngày (YYYY-MM-DD); mặc định hôm nay theo giờ Việt Nam, như API",
    ),
]
UnitOption = Annotated[
    str | None, typer.Option("--unit", help="Mã đơn vị; tính cả các đơn vị trực thuộc")
]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Lỗi: {message}", err=True)
    raise typer.Exit(code)


def friendly_errors(function: Callable[P, R]) -> Callable[P, R]:
    """Turn domain and database errors into one line on stderr and a non-zero exit."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except DomainError as error:
            where = f" ({error.field})" if error.field else ""
            fail(f"{error.message}{where} [{error.code}]", 2)
        except Exception as error:
            # Only a command that used the database can get here with one of its errors,
            # and it has loaded SQLAlchemy by then.
            import sqlalchemy.exc

            if not isinstance(error, sqlalchemy.exc.OperationalError):
                raise
            fail(f"không truy cập được cơ sở dữ liệu: {error.orig}", 3)

    return wrapper


def cli_actor() -> Actor:
    """Who the audit log names for changes made from the command line."""
    from tracking.audit import Actor

    return Actor(name="cli")


def prepare_database() -> int:
    """Migrate to the latest schema and load the shipped calendar decisions (idempotent);
    returns how many calendar days were added."""
    from models.db import get_engine, session_scope
    from models.migrate import upgrade
    from tracking.calendar import load_official_overrides

    upgrade(get_engine())
    with session_scope() as session:
        return load_official_overrides(session=session)


@contextmanager
def database() -> Iterator[Session]:
    """A session on an up-to-date database, committed at the end of the block."""
    from models.db import session_scope

    prepare_database()
    with session_scope() as session:
        yield session


def change(action: Callable[..., R], /, **arguments: Any) -> R:
    """Run one service that changes data, as the command line's actor, on an up-to-date
    database; committed when it returns."""
    with database() as session:
        return action(session=session, actor=cli_actor(), **arguments)


def echo_json(payload: Any) -> None:
    typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
