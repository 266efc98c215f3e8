"""`nhiemvu init`, `status`, `tasks` and `import`: the database and the tasks' situation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import (
    AsOfOption,
    UnitOption,
    cli_actor,
    database,
    echo_json,
    fail,
    friendly_errors,
    prepare_database,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from models import Unit
    from tracking.queries import StatusCounts


@friendly_errors
def init() -> None:
    """Tạo / nâng cấp cơ sở dữ liệu, nạp lịch nghỉ lễ đã quyết định, tạo khóa ký mã truy cập."""
    from models.db import get_engine
    from settings import ensure_secret_key

    added = prepare_database()
    typer.echo(f"Cơ sở dữ liệu sẵn sàng: {get_engine().url.render_as_string(hide_password=True)}")
    typer.echo(f"Đã nạp {added} ngày nghỉ / làm bù theo quyết định của Chính phủ.")
    key_file = ensure_secret_key().secret_key_file
    if key_file is not None:
        typer.echo(f"Khóa ký mã truy cập: {key_file.resolve()} (chỉ chủ sở hữu đọc được)")
    else:
        typer.echo("Khóa ký mã truy cập: lấy từ NHIEMVU_SECRET_KEY")


def unit_or_none(session: Session, code: str | None) -> Unit | None:
    from tracking import units

    return units.get_by_code(session=session, code=code) if code else None


def format_counts(counts: StatusCounts, scope: str) -> str:
    from tracking.formatting import rate
    from tracking.status import OFFICIAL_CATEGORIES, Category

    lines = [f"Tình hình thực hiện nhiệm vụ của {scope} tính đến ngày {counts.as_of:%d/%m/%Y}:"]
    width = max(len(c.label) for c in Category)
    for category in OFFICIAL_CATEGORIES:
        lines.append(f"  {category.label:<{width}}  {counts.counts[category]:>5}")
    lines.append(f"  {'Tổng số':<{width}}  {counts.total:>5}")
    for category in (Category.PAUSED, Category.CANCELLED):
        if counts.counts[category]:
            lines.append(f"  {category.label:<{width}}  {counts.counts[category]:>5}")
    lines.append(
        f"  Sắp đến hạn (đến {counts.due_soon_until:%d/%m/%Y}): {counts.due_soon}; "
        f"chờ xác nhận hoàn thành: {counts.awaiting_confirmation}"
    )
    if counts.completion_rate is not None:
        lines.append(
            f"  Tỷ lệ hoàn thành (trên số nhiệm vụ đã đến hạn): {rate(counts.completion_rate)}"
        )
    return "\n".join(lines)


@friendly_errors
def status(
    as_of: AsOfOption,
    unit: UnitOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="In ra JSON")] = False,
) -> None:
    """Số nhiệm vụ theo từng loại tình trạng tính đến một ngày."""
    from tracking.queries import count_by_category

    with database() as session:
        scope = unit_or_none(session, unit)
        counts = count_by_category(session=session, as_of=as_of, unit=scope)
        if as_json:
            echo_json(counts.as_json() | {"unit": scope.code if scope else None})
        else:
            typer.echo(format_counts(counts, scope.name if scope else "toàn hệ thống"))


@friendly_errors
def tasks(as_of: AsOfOption, unit: UnitOption = None) -> None:
    """Danh sách nhiệm vụ và tình trạng của từng nhiệm vụ tính đến một ngày."""
    from tracking.queries import tasks_as_of

    with database() as session:
        rows = tasks_as_of(session=session, as_of=as_of, unit=unit_or_none(session, unit))
        if not rows:
            typer.echo("Không có nhiệm vụ nào.")
        for row in rows:
            due = f"hạn {row.due_on:%d/%m/%Y}" if row.due_on else "thường xuyên"
            if row.original_due_on and row.due_on != row.original_due_on:
                due += f" (hạn ban đầu {row.original_due_on:%d/%m/%Y})"
            flags = " · sắp đến hạn" if row.due_soon else ""
            flags += " · chờ xác nhận" if row.awaiting_confirmation else ""
            typer.echo(f"#{row.id} [{row.category.label}{flags}] {row.lead_unit}; {due}")
            typer.echo(f"    {row.title}")


@friendly_errors
def import_tasks(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Tệp .xlsx/.csv")],
    plan: Annotated[int, typer.Option("--plan", min=1, help="Mã số kế hoạch")],
) -> None:
    """Nhập nhiệm vụ của một kế hoạch từ tệp; có dòng lỗi thì không nhập gì."""
    from tracking import importing
    from tracking import plans as plans_service

    try:
        with database() as session:
            result = importing.import_tasks(
                session=session,
                actor=cli_actor(),
                plan=plans_service.get(session=session, plan_id=plan),
                content=file.read_bytes(),
                filename=file.name,
            )
    except importing.ImportRejected as error:
        lines = [error.message]
        for item in error.errors:
            where = f"dòng {item.row}" if item.row else "tệp"
            column = f", cột «{item.field}»" if item.field and item.row else ""
            lines.append(f"  - {where}{column}: {item.message} [{item.code}]")
        fail("\n".join(lines), 2)
    typer.echo(f"Đã nhập {result.count} nhiệm vụ vào kế hoạch #{plan}.")
