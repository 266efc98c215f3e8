"""`nhiemvu document edit`, `nhiemvu plan edit|section`: correcting documents and plans."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import change, friendly_errors

document_app = typer.Typer(help="Văn bản: sửa trích yếu, người ký, tên cơ quan ban hành.")
plan_app = typer.Typer(help="Kế hoạch: đổi tên kế hoạch và các mục.")

VersionOption = Annotated[int, typer.Option("--version", help="Phiên bản đang xem")]


@document_app.command("edit")
@friendly_errors
def document_edit(
    document_id: Annotated[int, typer.Argument(help="Mã số văn bản")],
    version: VersionOption,
    summary: Annotated[str | None, typer.Option("--summary", help="Trích yếu")] = None,
    signer: Annotated[str | None, typer.Option("--signer", help="Người ký")] = None,
    issuer_name: Annotated[
        str | None, typer.Option("--issuer-name", help="Tên cơ quan ban hành")
    ] = None,
) -> None:
    """Sửa một văn bản (số, ký hiệu, ngày ban hành không sửa được)."""
    from tracking import documents

    row = change(
        documents.update,
        document_id=document_id,
        expected_version=version,
        summary=summary,
        signer=signer,
        issuer_name=issuer_name,
    )
    typer.echo(f"Đã sửa văn bản {row.symbol} (phiên bản {row.version}).")


@plan_app.command("edit")
@friendly_errors
def plan_edit(
    plan_id: Annotated[int, typer.Argument(help="Mã số kế hoạch")],
    version: VersionOption,
    title: Annotated[str, typer.Option("--title", help="Tên mới")],
) -> None:
    """Đổi tên một kế hoạch."""
    from tracking import plans

    row = change(plans.update, plan_id=plan_id, expected_version=version, title=title)
    typer.echo(f"Đã đổi tên kế hoạch #{row.id} (phiên bản {row.version}).")


@plan_app.command("section")
@friendly_errors
def plan_section(
    plan_id: Annotated[int, typer.Argument(help="Mã số kế hoạch")],
    section_id: Annotated[int, typer.Argument(help="Mã số mục")],
    version: VersionOption,
    title: Annotated[str, typer.Option("--title", help="Tên mới của mục")],
) -> None:
    """Đổi tên một mục của kế hoạch (phiên bản là của kế hoạch)."""
    from tracking import plans

    row = change(
        plans.update_section,
        plan_id=plan_id,
        section_id=section_id,
        expected_version=version,
        title=title,
    )
    typer.echo(f"Đã đổi tên mục {row.ordinal} của kế hoạch #{plan_id}.")
