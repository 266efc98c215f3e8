"""`nhiemvu calendar …`: deadlines in working days, the days off and the days swapped."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import DateArg, change, database, friendly_errors
from tracking.errors import InvalidInput

calendar_app = typer.Typer(help="Lịch làm việc: tính hạn, xem và đặt ngày nghỉ, ngày làm bù.")

WEEKDAYS = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"]


@calendar_app.command("due")
@friendly_errors
def calendar_due(
    start: DateArg,
    working_days: Annotated[
        int | None, typer.Option("--working-days", help="Số ngày làm việc")
    ] = None,
    days: Annotated[int | None, typer.Option("--days", help="Số ngày (theo lịch)")] = None,
) -> None:
    """In ngày đến hạn (ISO) khi tính từ START, không kể ngày đầu."""
    from tracking.calendar import load_calendar

    if (working_days is None) == (days is None):
        raise InvalidInput(
            "calendar.rule_required", "Chọn đúng một trong --working-days hoặc --days", field="rule"
        )
    with database() as session:
        calendar = load_calendar(session)
        if working_days is not None:
            typer.echo(calendar.add_working_days(start, working_days).isoformat())
        else:
            typer.echo(calendar.add_days(start, days or 0).isoformat())


@calendar_app.command("list")
@friendly_errors
def calendar_list(year: Annotated[int, typer.Argument(min=1900, max=2200)]) -> None:
    """Các ngày nghỉ lễ, nghỉ bù, hoán đổi và ngày làm bù trong năm."""
    from tracking.calendar import load_calendar

    with database() as session:
        for info in load_calendar(session).days_off_in_year(year):
            kind = "làm việc" if info.is_working_day else "nghỉ"
            weekday = WEEKDAYS[info.day.weekday()]
            typer.echo(f"{info.day.isoformat()} {weekday}  {kind:<8}  {info.reason}")


@calendar_app.command("set")
@friendly_errors
def calendar_set(
    day: DateArg,
    working: Annotated[bool, typer.Option("--working", help="Là ngày làm việc")] = False,
    day_off: Annotated[bool, typer.Option("--day-off", help="Là ngày nghỉ")] = False,
    note: Annotated[str, typer.Option("--note", help="Ghi chú")] = "",
    source: Annotated[str, typer.Option("--source", help="Căn cứ pháp lý")] = "",
) -> None:
    """Đặt một ngày là ngày làm việc hoặc ngày nghỉ (thắng mọi quy tắc khác)."""
    from tracking.calendar import set_override

    if working == day_off:
        raise InvalidInput(
            "calendar.kind_required", "Chọn đúng một trong --working hoặc --day-off", field="kind"
        )
    change(set_override, day=day, is_working_day=working, note=note, legal_source=source)
    typer.echo(f"{day.isoformat()}: {'ngày làm việc' if working else 'ngày nghỉ'} — {note}")
