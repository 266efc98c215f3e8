"""Domain errors: a stable code for programs, a Vietnamese message for people, the field."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    # Only for the hints: the command line imports these errors before it needs a database.
    from sqlmodel import Session, SQLModel

RowT = TypeVar("RowT", bound="SQLModel")


class DomainError(Exception):
    """Raised by a use case before it changes anything."""

    http_status = 422

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {"code": self.code, "message": self.message, "field": self.field}


class InvalidInput(DomainError):
    http_status = 422


class NotFound(DomainError):
    http_status = 404


class NotYetAssigned(NotFound):
    """The task is in the caller's reach but did not exist yet on the day asked for: a 404 whose
    message may be shown as is (it reveals nothing the caller may not read)."""


class Conflict(DomainError):
    """The state or version changed: the caller must reload and try again."""

    http_status = 409


class Forbidden(DomainError):
    http_status = 403


def get_or_not_found(
    session: Session, model: type[RowT], row_id: int, *, entity: str, noun: str
) -> RowT:
    """The row with this id, or NotFound "<entity>.not_found" naming the field "<entity>_id"
    ("Không tìm thấy <noun> #<id>")."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(
            f"{entity}.not_found", f"Không tìm thấy {noun} #{row_id}", field=f"{entity}_id"
        )
    return row
