"""`nhiemvu obligation …`: define, list and stop recurring reporting duties."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from cli.common import change, cli_actor, database, friendly_errors, parse_date

obligation_app = typer.Typer(
    help="Nghĩa vụ báo cáo định kỳ: mỗi kỳ tạo một nhiệm vụ và một dự thảo báo cáo.",
    no_args_is_help=True,
)


@obligation_app.command("add")
@friendly_errors
def add(
    title: Annotated[
        str,
        typer.Option("--title", help="Tên báo cáo, ví dụ «Báo cáo kết quả thực hiện Kế hoạch 61»"),
    ],
    kind: Annotated[
        str, typer.Option("--kind", help="Loại kỳ: month, quarter, half_year, nine_months, year")
    ],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị phải báo cáo")],
    issuer: Annotated[str, typer.Option("--issuer", help="Mã đơn vị yêu cầu báo cáo")],
    recipient: Annotated[
        str, typer.Option("--recipient", help="Gửi đến, ví dụ «Sở Thông tin và Truyền thông»")
    ] = "",
    issuer_code: Annotated[
        str, typer.Option("--issuer-code", help="Chữ viết tắt cơ quan ban hành trong số ký hiệu")
    ] = "",
    starts: Annotated[
        date | None,
        typer.Option("--starts", parser=parse_date, help="Bắt đầu từ ngày (mặc định hôm nay)"),
    ] = None,
    send_days: Annotated[
        int | None,
        typer.Option(
            "--send-days", help="Hạn gửi: số ngày làm việc sau ngày chốt (mặc định theo loại kỳ)"
        ),
    ] = None,
    no_draft: Annotated[bool, typer.Option("--no-draft", help="Không tự soạn dự thảo")] = False,
) -> None:
    """Thêm một nghĩa vụ báo cáo định kỳ."""
    from tracking import obligations, units

    with database() as session:
        obligation = obligations.create(
            session=session,
            actor=cli_actor(),
            title=title,
            report_kind=kind,
            issuer_unit_id=units.get_by_code(session=session, code=issuer).id or 0,
            lead_unit_id=units.get_by_code(session=session, code=unit).id or 0,
            recipient=recipient,
            report_issuer_code=issuer_code,
            starts_on=starts,
            send_deadline_working_days=send_days,
            draft_report=not no_draft,
        )
    typer.echo(f"Đã thêm nghĩa vụ báo cáo #{obligation.id}: {obligation.title} ({kind}).")


@obligation_app.command("list")
@friendly_errors
def list_(
    unit: Annotated[str | None, typer.Option("--unit", help="Mã đơn vị phải báo cáo")] = None,
) -> None:
    """Liệt kê các nghĩa vụ báo cáo và các kỳ đã tạo nhiệm vụ."""
    from tracking import obligations, units

    with database() as session:
        lead = units.get_by_code(session=session, code=unit) if unit else None
        rows = obligations.list_obligations(session=session, lead_unit_id=lead.id if lead else None)
        if not rows:
            typer.echo("Chưa có nghĩa vụ báo cáo nào.")
        for row in rows:
            state = "đang áp dụng" if row.active else "đã dừng"
            keys = [
                t.occurrence_key
                for t in obligations.occurrence_tasks(session=session, obligation_id=row.id or 0)
            ]
            typer.echo(
                f"#{row.id} [{row.report_kind}, {state}, phiên bản {row.version}] "
                f"{row.title}" + (f" — gửi {row.recipient}" if row.recipient else "")
            )
            typer.echo(f"    các kỳ đã giao: {', '.join(str(k) for k in keys) or 'chưa có'}")


@obligation_app.command("stop")
@friendly_errors
def stop(
    obligation_id: Annotated[int, typer.Argument(help="Mã số nghĩa vụ")],
    version: Annotated[int, typer.Option("--version", help="Phiên bản đang xem")],
) -> None:
    """Dừng một nghĩa vụ (các nhiệm vụ đã tạo giữ nguyên)."""
    from tracking import obligations

    row = change(
        obligations.set_active, obligation_id=obligation_id, expected_version=version, active=False
    )
    typer.echo(f"Đã dừng nghĩa vụ báo cáo #{row.id}.")


@obligation_app.command("edit")
@friendly_errors
def edit(
    obligation_id: Annotated[int, typer.Argument(help="Mã số nghĩa vụ")],
    version: Annotated[int, typer.Option("--version", help="Phiên bản đang xem")],
    title: Annotated[str | None, typer.Option("--title", help="Tên mới")] = None,
    recipient: Annotated[str | None, typer.Option("--recipient", help="Nơi nhận")] = None,
    issuer_code: Annotated[
        str | None, typer.Option("--issuer-code", help="Chữ viết tắt cơ quan trong số ký hiệu")
    ] = None,
    send_days: Annotated[
        int | None,
        typer.Option("--send-days", help="Hạn gửi: số ngày làm việc sau ngày chốt số liệu"),
    ] = None,
    ends: Annotated[
        date | None, typer.Option("--ends", parser=parse_date, help="Áp dụng đến ngày")
    ] = None,
    draft_report: Annotated[
        bool | None, typer.Option("--draft/--no-draft", help="Tự soạn dự thảo khi hết kỳ")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Ghi chú")] = None,
) -> None:
    """Sửa một nghĩa vụ: các kỳ sau theo giá trị mới, nhiệm vụ đã tạo giữ nguyên."""
    from tracking import obligations

    optional = {"send_deadline_working_days": send_days, "ends_on": ends}
    row = change(
        obligations.update,
        obligation_id=obligation_id,
        expected_version=version,
        title=title,
        recipient=recipient,
        report_issuer_code=issuer_code,
        draft_report=draft_report,
        note=note,
        **{name: value for name, value in optional.items() if value is not None},
    )
    typer.echo(f"Đã sửa nghĩa vụ báo cáo #{row.id} (phiên bản {row.version}).")
