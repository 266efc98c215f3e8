"""Small shared column helpers."""

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, Dialect, String, TypeDecorator
from sqlmodel import Field


def utc_now() -> datetime:
    """An aware UTC instant; every stored timestamp is one."""
    return datetime.now(UTC)


def instant_field() -> Any:
    """A required timestamp column (timezone-aware), set to now when the row is made."""
    return Field(default_factory=utc_now, sa_column=Column(DateTime(timezone=True), nullable=False))


def optional_instant_field() -> Any:
    """A timestamp column (timezone-aware) that stays empty until something happens."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


class EnumText(TypeDecorator[enum.StrEnum]):
    """A string enum stored as plain text (no native PostgreSQL enum type to migrate), read
    back as the enum member."""

    impl = String(20)
    cache_ok = True

    def __init__(self, enum_type: type[enum.StrEnum]) -> None:
        super().__init__()
        self.enum_type = enum_type

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum_type(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> enum.StrEnum | None:
        return None if value is None else self.enum_type(value)
