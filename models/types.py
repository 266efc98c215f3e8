"""Small shared column helpers."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """An aware UTC instant; every stored timestamp is one."""
    return datetime.now(UTC)
