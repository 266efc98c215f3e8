"""Deadline rules: a fixed date, n working days, n calendar days, or none (thường xuyên)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models import DeadlineKind
from tracking.calendar import WorkCalendar
from tracking.errors import InvalidInput
from tracking.validation import MAX_DEADLINE_DAYS, check_day


@dataclass(frozen=True)
class DeadlineRule:
    kind: DeadlineKind
    due_on: date | None = None  # for DATE
    amount: int | None = None  # for WORKING_DAYS and DAYS

    @classmethod
    def fixed(cls, due_on: date) -> DeadlineRule:
        return cls(DeadlineKind.DATE, due_on=due_on)

    @classmethod
    def working_days(cls, amount: int) -> DeadlineRule:
        return cls(DeadlineKind.WORKING_DAYS, amount=amount)

    @classmethod
    def days(cls, amount: int) -> DeadlineRule:
        return cls(DeadlineKind.DAYS, amount=amount)

    @classmethod
    def none(cls) -> DeadlineRule:
        return cls(DeadlineKind.NONE)

    def validate(self, *, assigned_on: date) -> None:
        if self.kind == DeadlineKind.DATE:
            if self.due_on is None:
                raise InvalidInput(
                    "deadline.date_required", "Thời hạn phải có ngày cụ thể", field="due_on"
                )
            check_day(self.due_on, field="due_on", label="Thời hạn")
            if self.due_on < assigned_on:
                raise InvalidInput(
                    "deadline.before_assigned",
                    "Thời hạn không được trước ngày giao nhiệm vụ",
                    field="due_on",
                )
        elif self.kind in (DeadlineKind.WORKING_DAYS, DeadlineKind.DAYS) and (
            self.amount is None or not 1 <= self.amount <= MAX_DEADLINE_DAYS
        ):
            raise InvalidInput(
                "deadline.amount_out_of_range",
                f"Số ngày của thời hạn phải từ 1 đến {MAX_DEADLINE_DAYS}",
                field="deadline_amount",
            )

    def due_date(self, *, assigned_on: date, calendar: WorkCalendar) -> date | None:
        """The due date for a task assigned on `assigned_on`; None for a standing task."""
        self.validate(assigned_on=assigned_on)
        match self.kind:
            case DeadlineKind.DATE:
                return self.due_on
            case DeadlineKind.WORKING_DAYS:
                assert self.amount is not None
                return calendar.add_working_days(assigned_on, self.amount)
            case DeadlineKind.DAYS:
                assert self.amount is not None
                return calendar.add_days(assigned_on, self.amount)
        return None
