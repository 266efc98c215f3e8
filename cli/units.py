"""`nhiemvu unit add|list|move|import`: the unit tree from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import change, cli_actor, database, echo_json, fail, friendly_errors

if TYPE_CHECKING:
    from models import Unit

unit_app = typer.Typer(help="Đơn vị: thêm, xem cây, chuyển, nhập cả cây từ tệp .xlsx/.csv.")

KindOption = Annotated[
    str,
    typer.Option(
        "--kind",
        help="Loại: province, department, district, commune, ward, special_zone, office, "
        "agency, other, hoặc tên tiếng Việt («Phường», «Đặc khu», «Xã», «Sở»…)",
    ),
]


def _describe(unit: Unit) -> str:
    from tracking.units import KIND_LABELS

    email = f" <{unit.email}>" if unit.email else ""
    return f"{unit.code}  {unit.name}  ({KIND_LABELS[unit.kind]}){email}"


def _public(unit: Unit, parent_code: str | None) -> dict[str, Any]:
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind.value,
        "parent_code": parent_code,
        "email": unit.email,
        "path": unit.path,
    }


@unit_app.command("add")
@friendly_errors
def unit_add(
    code: Annotated[str, typer.Argument(help="Mã đơn vị (duy nhất)")],
    name: Annotated[str, typer.Option("--name", help="Tên đơn vị")],
    kind: KindOption,
    parent: Annotated[
        str | None, typer.Option("--parent", help="Mã đơn vị cấp trên (bỏ trống: đơn vị gốc)")
    ] = None,
    short_name: Annotated[str, typer.Option("--short-name", help="Tên viết tắt")] = "",
    email: Annotated[str, typer.Option("--email", help="Hộp thư công vụ của đơn vị")] = "",
) -> None:
    """Thêm một đơn vị vào cây."""
    from tracking import units

    with database() as session:
        parent_row = units.get_by_code(session=session, code=parent) if parent else None
        unit = units.create(
            session=session,
            actor=cli_actor(),
            code=code,
            name=name,
            kind=units.parse_kind(kind),
            parent=parent_row,
            short_name=short_name,
            email=email,
        )
        where = f" thuộc {parent_row.code}" if parent_row else " (đơn vị gốc)"
        typer.echo(f"Đã thêm đơn vị {_describe(unit)}{where}.")


@unit_app.command("list")
@friendly_errors
def unit_list(
    root: Annotated[
        str | None, typer.Option("--unit", help="Mã đơn vị: chỉ nó và các đơn vị trực thuộc")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In JSON")] = False,
) -> None:
    """Cây đơn vị: mỗi cấp thụt vào hai dấu cách (mã, tên, loại)."""
    from tracking import units

    with database() as session:
        if root is None:
            rows = units.list_units(session=session)
        else:
            rows = units.subtree(
                session=session, unit=units.get_by_code(session=session, code=root)
            )
    codes = {unit.id: unit.code for unit in rows}
    ordered = _tree_order(rows)
    if as_json:
        echo_json([_public(unit, codes.get(unit.parent_id)) for unit, _depth in ordered])
        return
    if not rows:
        typer.echo("Chưa có đơn vị nào (tạo đơn vị gốc bằng «nhiemvu init --unit …»).")
    for unit, depth in ordered:
        typer.echo("  " * depth + _describe(unit))


def _tree_order(rows: list[Unit]) -> list[tuple[Unit, int]]:
    """Each unit after its parent, siblings by code, with its depth below the listing's top
    (the path order would put unit 10 before unit 2)."""
    ids = {unit.id for unit in rows}
    children: dict[int | None, list[Unit]] = {}
    for unit in rows:
        parent = unit.parent_id if unit.parent_id in ids else None
        children.setdefault(parent, []).append(unit)
    ordered: list[tuple[Unit, int]] = []
    stack = [
        (unit, 0) for unit in sorted(children.get(None, []), key=lambda u: u.code, reverse=True)
    ]
    while stack:
        unit, depth = stack.pop()
        ordered.append((unit, depth))
        below = sorted(children.get(unit.id, []), key=lambda u: u.code, reverse=True)
        stack.extend((child, depth + 1) for child in below)
    return ordered


@unit_app.command("move")
@friendly_errors
def unit_move(
    code: Annotated[str, typer.Argument(help="Mã đơn vị cần chuyển")],
    parent: Annotated[str, typer.Option("--parent", help="Mã đơn vị cấp trên mới")],
) -> None:
    """Chuyển một đơn vị (cùng các đơn vị trực thuộc, giữ nguyên nhiệm vụ) sang cấp trên khác."""
    from tracking import units

    with database() as session:
        unit = units.get_by_code(session=session, code=code)
        new_parent = units.get_by_code(session=session, code=parent)
        units.move(session=session, actor=cli_actor(), unit=unit, parent=new_parent)
        moved = len(units.subtree(session=session, unit=unit))
    typer.echo(f"Đã chuyển {code} ({moved} đơn vị) vào {parent}.")


@unit_app.command("import")
@friendly_errors
def unit_import(
    file: Annotated[Path, typer.Argument(help="Tệp .xlsx hoặc .csv", exists=True, dir_okay=False)],
) -> None:
    """Nhập cây đơn vị (mã, tên, loại, mã cấp trên, thư điện tử); có dòng lỗi thì không nhập gì."""
    from tracking import unit_import
    from tracking.importing import ImportRejected

    try:
        created = change(unit_import.import_units, content=file.read_bytes(), filename=file.name)
    except ImportRejected as rejected:
        for error in rejected.errors:
            where = f"dòng {error.row}, " if error.row else ""
            typer.echo(f"  {where}cột «{error.field}»: {error.message} [{error.code}]", err=True)
        fail(f"{rejected.message} [{rejected.code}]", 2)
    typer.echo(f"Đã nhập {len(created)} đơn vị từ {file.name}.")
