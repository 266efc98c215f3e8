"""Checks shared by the use cases, each raising InvalidInput with a stable code."""

from __future__ import annotations

from tracking.errors import InvalidInput

MAX_TEXT = 4000


def clean_text(
    value: str, *, code: str, field: str, label: str, required: bool = True, limit: int = MAX_TEXT
) -> str:
    """The stripped text; `code` "task.title" gives "task.title_required" and
    "task.title_too_long"; `label` names the field for people."""
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"{code}_required", f"{label} không được để trống", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{code}_too_long", f"{label} dài quá {limit} ký tự", field=field)
    return value
