"""Form input as people type it: values kept for redisplay, errors by field in Vietnamese.

Pages read fields with the parse helpers below; each bad field adds one message (shown next
to the field and in the summary at the top, GOV.UK style) instead of raising, so that every
mistake of a form is reported at once. Domain errors raised by the services carry a field
name too and land in the same place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from starlette.datastructures import ImmutableMultiDict

from tracking.errors import DomainError, InvalidInput
from tracking.validation import EARLIEST_DAY, LATEST_DAY, MAX_ID, parse_day


@dataclass
class FormState:
    """A form's submitted values and its errors (field -> message), in order of the form."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Which form of the page was sent (a task page has several).
    name: str = ""
    # Set when a stale version was refused: who changed the task, and when; and the page
    # to reload (the form was posted to another address).
    stale: str = ""
    reload: str = ""

    @classmethod
    def of(cls, data: ImmutableMultiDict[str, Any], name: str = "") -> FormState:
        """From a posted form or a query string (both multi-valued; files are left out)."""
        values: dict[str, Any] = {}
        for key in data:
            items = [v for v in data.getlist(key) if isinstance(v, str)]
            values[key] = items if len(items) > 1 else (items[0] if items else "")
        return cls(values=values, name=name)

    def value(self, key: str, default: str = "") -> str:
        found = self.values.get(key, default)
        return found if isinstance(found, str) else (found[0] if found else default)

    def values_of(self, key: str) -> list[str]:
        found = self.values.get(key, [])
        return [found] if isinstance(found, str) else list(found)

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def add_domain(self, error: DomainError, fields: dict[str, str] | None = None) -> None:
        """A service's refusal, shown at the field the form calls it (else at the top)."""
        name = (fields or {}).get(error.field or "", error.field or "")
        self.add(name or "_form", error.message)

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self, key: str, label: str, *, required: bool = True, max_length: int = 4000) -> str:
        value = self.value(key).strip()
        if required and not value:
            self.add(key, f"Nhập {label.lower()}")
        elif len(value) > max_length:
            self.add(key, f"{label} không được dài quá {max_length} ký tự")
        elif "\x00" in value:
            self.add(key, f"{label} chứa ký tự không hợp lệ")
        return value

    def day(self, key: str, label: str, *, required: bool = True) -> date | None:
        """A date from <input type=date> (yyyy-mm-dd) or typed as dd/mm/yyyy."""
        raw = self.value(key).strip()
        if not raw:
            if required:
                self.add(key, f"Nhập {label.lower()}")
            return None
        try:
            return parse_day(raw, field=key, label=label)
        except InvalidInput as error:
            # The form's own wording, shorter than the API's, for the two ways a day is refused.
            if error.code == "date.invalid":
                self.add(key, f"{label} phải là một ngày có thật, ví dụ 25/12/2026")
            else:
                years = f"năm {EARLIEST_DAY.year} đến năm {LATEST_DAY.year}"
                self.add(key, f"{label} phải trong khoảng {years}")
            return None

    def number(
        self, key: str, label: str, *, low: int, high: int, required: bool = True
    ) -> int | None:
        raw = self.value(key).strip()
        if not raw:
            if required:
                self.add(key, f"Nhập {label.lower()}")
            return None
        if not raw.isdigit() or not low <= int(raw) <= high:
            self.add(key, f"{label} phải là số nguyên từ {low} đến {high}")
            return None
        return int(raw)

    def ident(self, key: str, label: str, *, required: bool = True) -> int | None:
        raw = self.value(key).strip()
        if not raw:
            if required:
                self.add(key, f"Chọn {label.lower()}")
            return None
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
            self.add(key, f"Chọn {label.lower()} trong danh sách")
            return None
        return int(raw)

    def idents(self, key: str, label: str) -> list[int]:
        chosen: list[int] = []
        for raw in self.values_of(key):
            if not raw.strip():
                continue
            if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
                self.add(key, f"Chọn {label.lower()} trong danh sách")
                return []
            chosen.append(int(raw))
        return chosen
