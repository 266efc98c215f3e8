"""`nhiemvu report …`: report periods, drafting a report into files, importing indicators."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import cli_actor, database, friendly_errors, parse_date
from tracking.errors import InvalidInput

report_app = typer.Typer(
    help="Báo cáo định kỳ: kỳ báo cáo, soạn báo cáo (DOCX, Markdown, XLSX, PDF), chỉ tiêu.",
    no_args_is_help=True,
)

PlanSymbolArg = Annotated[str, typer.Argument(help="Số ký hiệu kế hoạch, ví dụ 61/KH-UBND")]
SpreadsheetArg = Annotated[Path, typer.Argument(help="Tệp .csv hoặc .xlsx")]


def read_texts(path: Path) -> dict[str, Any]:
    """The office's texts from a .json or .toml file (keys as in reports.content.ReportTexts)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput(
            "report.texts_file", f"Không đọc được {path}: {error}", field="texts"
        ) from error
    try:
        data: dict[str, Any] = (
            tomllib.loads(raw.decode("utf-8"))
            if path.suffix.lower() == ".toml"
            else json.loads(raw.decode("utf-8"))
        )
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput(
            "report.texts_file", f"Tệp {path.name} không đúng định dạng: {error}", field="texts"
        ) from error
    return data


@report_app.command("kinds")
@friendly_errors
def kinds() -> None:
    """Các loại báo cáo định kỳ: mã dùng cho --kind và tên."""
    from tracking.periods import named_kinds

    with database() as session:
        kinds = named_kinds(session=session)
    width = max((len(code) for code, _ in kinds), default=0)
    for code, name in kinds:
        typer.echo(f"{code:<{width}}  {name}")


@report_app.command("periods")
@friendly_errors
def periods(
    year: Annotated[int, typer.Argument(help="Năm báo cáo")],
    kind: Annotated[
        str, typer.Option("--kind", help="month, quarter, half_year, nine_months, year")
    ],
) -> None:
    """Các kỳ báo cáo trong năm theo thời gian chốt số liệu (NĐ 09/2019) và hạn gửi."""
    from tracking.periods import list_periods

    with database() as session:
        for period in list_periods(session=session, kind=kind, year=year):
            typer.echo(
                f"{period.code:<10} {period.name:<24} "
                f"{period.start:%d/%m/%Y} – {period.end:%d/%m/%Y}  "
                f"hạn gửi {period.send_by:%d/%m/%Y}"
            )


@report_app.command("numbers")
@friendly_errors
def numbers(
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị ban hành")],
    year: Annotated[int, typer.Option("--year", help="Năm")],
) -> None:
    """Số báo cáo đã cấp gần nhất của đơn vị trong năm và số sẽ cấp tiếp theo."""
    from reports import service
    from tracking import units

    with database() as session:
        unit_row = units.get_by_code(session=session, code=unit)
        last = service.last_number(session=session, unit_id=unit_row.id or 0, year=year)
    typer.echo(f"{unit_row.code} năm {year}: đã cấp đến số {last}, số tiếp theo {last + 1}.")


@report_app.command("make")
@friendly_errors
def make(
    kind: Annotated[str, typer.Option("--kind", help="Loại báo cáo (xem `report kinds`)")],
    period: Annotated[str, typer.Option("--period", help="Kỳ: 2021, 2021-Q1, 2021-M03, 2021-H1")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị báo cáo (tính cả đơn vị con)")],
    as_of: Annotated[
        date, typer.Option("--as-of", parser=parse_date, help="Số liệu tính đến ngày")
    ],
    out: Annotated[Path, typer.Option("--out", help="Thư mục ghi tệp")],
    plan: Annotated[
        str | None, typer.Option("--plan", help="Số ký hiệu kế hoạch, ví dụ 61/KH-UBND")
    ] = None,
    issuer_code: Annotated[
        str | None, typer.Option("--issuer-code", help="Viết tắt cơ quan ban hành, ví dụ UBND")
    ] = None,
    texts: Annotated[
        Path | None, typer.Option("--texts", help="Tệp .json/.toml các phần do văn phòng viết")
    ] = None,
    issue: Annotated[
        bool, typer.Option("--issue", help="Ban hành: lấy số và khóa số liệu")
    ] = False,
    issued_on: Annotated[
        date | None, typer.Option("--issued-on", parser=parse_date, help="Ngày ban hành")
    ] = None,
    formats: Annotated[str, typer.Option("--formats", help="docx,md,xlsx,pdf")] = "docx,md,xlsx",
) -> None:
    """Soạn báo cáo của một đơn vị cho một kỳ và ghi ra DOCX, Markdown, XLSX (và PDF)."""
    from reports import service
    from tracking import plans, units

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    for name in wanted:
        if name not in {f.value for f in service.ReportFormat}:
            raise InvalidInput(
                "report.format_unknown", f"Định dạng «{name}» không hỗ trợ", field="formats"
            )
    with database() as session:
        report = service.create_draft(
            session=session,
            actor=cli_actor(),
            kind=kind,
            period_code=period,
            unit_id=units.get_by_code(session=session, code=unit).id or 0,
            plan_id=plans.get_by_symbol(session=session, symbol=plan).id if plan else None,
            as_of=as_of,
            issuer_code=issuer_code,
            document_date=issued_on,
            texts=read_texts(texts) if texts else None,
        )
        if issue:
            report = service.issue(
                session=session,
                actor=cli_actor(),
                report_id=report.id or 0,
                expected_version=report.version,
                issued_on=issued_on,
            )
        out.mkdir(parents=True, exist_ok=True)
        for rendered in service.render_files(
            session=session, report_id=report.id or 0, formats=wanted
        ):
            target = out / rendered.filename
            target.write_bytes(rendered.content)
            typer.echo(str(target))
        state = f"đã ban hành số {report.symbol}" if report.symbol else "dự thảo"
        typer.echo(f"Báo cáo #{report.id} ({state}), SHA-256 số liệu {report.snapshot_sha256}")


def import_plan_file(importer: Callable[..., Sequence[object]], plan: str, file: Path) -> int:
    """Run one of reports.indicators' importers on `file` for the plan numbered `plan`;
    returns how many rows it saved."""
    from tracking import plans

    with database() as session:
        plan_id = plans.get_by_symbol(session=session, symbol=plan).id or 0
        saved = importer(
            session=session,
            actor=cli_actor(),
            plan_id=plan_id,
            filename=file.name,
            content=file.read_bytes(),
        )
    return len(saved)


@report_app.command("import-indicators")
@friendly_errors
def import_indicators(plan: PlanSymbolArg, file: SpreadsheetArg) -> None:
    """Nhập chỉ tiêu của kế hoạch (cột: code, name, unit_of_measure, target, aggregation,
    ordinal, sentence). Một dòng lỗi thì không nhập dòng nào."""
    from reports import indicators

    typer.echo(f"Đã nhập {import_plan_file(indicators.import_indicators, plan, file)} chỉ tiêu.")


@report_app.command("import-values")
@friendly_errors
def import_values(plan: PlanSymbolArg, file: SpreadsheetArg) -> None:
    """Nhập số liệu chỉ tiêu (cột: indicator_code, unit_code, period_kind, period_code, value,
    reported_on, note). Một dòng lỗi thì không nhập dòng nào."""
    from reports import indicators

    typer.echo(f"Đã nhập {import_plan_file(indicators.import_values, plan, file)} số liệu.")
