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
    from tracking.importing import ParsedRow, RowError
    from tracking.queries import StatusCounts


# The options that create the root unit and its first administrator: all or none.
_FIRST_UNIT_OPTIONS = {"unit": "--unit", "unit_name": "--unit-name", "admin": "--admin"}


@friendly_errors
def init(
    unit: Annotated[
        str | None, typer.Option("--unit", help="Mã đơn vị gốc (khi tạo quản trị viên đầu tiên)")
    ] = None,
    unit_name: Annotated[
        str | None,
        typer.Option("--unit-name", help="Tên đơn vị gốc, ví dụ «Ủy ban nhân dân tỉnh Quảng Ngãi»"),
    ] = None,
    unit_kind: Annotated[
        str,
        typer.Option(
            "--unit-kind", help="Loại đơn vị gốc: province, district, commune, ward, special_zone"
        ),
    ] = "province",
    admin: Annotated[
        str | None, typer.Option("--admin", help="Tên đăng nhập của quản trị viên đầu tiên")
    ] = None,
    admin_name: Annotated[
        str, typer.Option("--admin-name", help="Họ và tên của quản trị viên đầu tiên")
    ] = "Quản trị hệ thống",
) -> None:
    """Tạo / nâng cấp cơ sở dữ liệu, nạp lịch nghỉ lễ đã quyết định, tạo khóa ký mã truy cập;
    với --unit, --unit-name, --admin: tạo đơn vị gốc và quản trị viên đầu tiên (cơ sở dữ liệu
    phải chưa có đơn vị nào; mật khẩu hỏi hai lần hoặc lấy từ NHIEMVU_NEW_USER_PASSWORD)."""
    from models.db import get_engine
    from settings import ensure_secret_key

    given = {"unit": unit, "unit_name": unit_name, "admin": admin}
    missing = [option for name, option in _FIRST_UNIT_OPTIONS.items() if given[name] is None]
    if missing and len(missing) < len(_FIRST_UNIT_OPTIONS):
        fail(
            f"để tạo đơn vị gốc và quản trị viên đầu tiên cần cả --unit, --unit-name, --admin; "
            f"thiếu {', '.join(missing)} [init.option_missing]",
            2,
        )
    added = prepare_database()
    typer.echo(f"Cơ sở dữ liệu sẵn sàng: {get_engine().url.render_as_string(hide_password=True)}")
    typer.echo(f"Đã nạp {added} ngày nghỉ / làm bù theo quyết định của Chính phủ.")
    key_file = ensure_secret_key().secret_key_file
    if key_file is not None:
        typer.echo(f"Khóa ký mã truy cập: {key_file.resolve()} (chỉ chủ sở hữu đọc được)")
    else:
        typer.echo("Khóa ký mã truy cập: lấy từ NHIEMVU_SECRET_KEY")
    if unit is not None and unit_name is not None and admin is not None:
        create_first_admin(
            unit_code=unit,
            unit_name=unit_name,
            unit_kind=unit_kind,
            admin_username=admin,
            admin_full_name=admin_name,
        )


def create_first_admin(
    *, unit_code: str, unit_name: str, unit_kind: str, admin_username: str, admin_full_name: str
) -> None:
    """The root unit and its first administrator, in one transaction (tracking.units.initialise);
    the inputs and the empty database are checked before the password is asked for."""
    import os

    from api.auth import hash_password
    from models.db import session_scope
    from tracking import units

    details = {
        "unit_code": unit_code,
        "unit_name": unit_name,
        "unit_kind": unit_kind,
        "admin_username": admin_username,
        "admin_full_name": admin_full_name,
    }
    with session_scope() as session:
        units.check_initialise(session=session, **details)
    password = os.environ.get("NHIEMVU_NEW_USER_PASSWORD") or typer.prompt(
        "Mật khẩu", hide_input=True, confirmation_prompt=True
    )
    password_hash = hash_password(password=password, username=units.clean_username(admin_username))
    with session_scope() as session:
        unit, user = units.initialise(
            session=session, actor=cli_actor(), password_hash=password_hash, **details
        )
    kind = units.KIND_LABELS[unit.kind].lower()
    typer.echo(f"Đã tạo đơn vị gốc «{unit.code}» ({unit.name}, cấp {kind}).")
    typer.echo(
        f"Đã tạo quản trị viên đầu tiên «{user.username}» ({user.full_name}) thuộc {unit.name}."
    )
    typer.echo("Bước tiếp theo: chạy «nhiemvu serve» rồi đăng nhập bằng tài khoản này.")


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
    as_of: AsOfOption = None,
    unit: UnitOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="In ra JSON")] = False,
) -> None:
    """Số nhiệm vụ theo từng loại tình trạng tính đến một ngày."""
    from tracking import clock
    from tracking.queries import count_by_category

    as_of = as_of or clock.today()
    with database() as session:
        scope = unit_or_none(session, unit)
        counts = count_by_category(session=session, as_of=as_of, unit=scope)
        if as_json:
            echo_json(counts.as_json() | {"unit": scope.code if scope else None})
        else:
            typer.echo(format_counts(counts, scope.name if scope else "toàn hệ thống"))


@friendly_errors
def tasks(as_of: AsOfOption = None, unit: UnitOption = None) -> None:
    """Danh sách nhiệm vụ và tình trạng của từng nhiệm vụ tính đến một ngày."""
    from tracking import clock
    from tracking.calendar import load_calendar
    from tracking.queries import tasks_as_of

    as_of = as_of or clock.today()
    with database() as session:
        rows = tasks_as_of(session=session, as_of=as_of, unit=unit_or_none(session, unit))
        calendar = load_calendar(session)
        if not rows:
            typer.echo("Không có nhiệm vụ nào.")
        for row in rows:
            due = f"hạn {row.due_on:%d/%m/%Y}" if row.due_on else "thường xuyên"
            if row.original_due_on and row.due_on != row.original_due_on:
                due += f" (hạn ban đầu {row.original_due_on:%d/%m/%Y})"
            done = row.completed_on if row.completed_on and row.completed_on <= as_of else None
            if done:
                due += f"; hoàn thành {done:%d/%m/%Y}"
            late_until = done or as_of
            if row.due_on and late_until > row.due_on:
                late = calendar.working_days_between(row.due_on, late_until)
                if late > 0:
                    due += f"; trễ {late} ngày làm việc"
            flags = " · sắp đến hạn" if row.due_soon else ""
            flags += " · chờ xác nhận" if row.awaiting_confirmation else ""
            typer.echo(f"#{row.id} [{row.category.label}{flags}] {row.lead_unit}; {due}")
            typer.echo(f"    {row.title}")


def _rejected_lines(message: str, errors: list[RowError]) -> list[str]:
    lines = [message]
    for item in errors:
        where = f"dòng {item.row}" if item.row else "tệp"
        column = f", cột «{item.field}»" if item.field and item.row else ""
        lines.append(f"  - {where}{column}: {item.message} [{item.code}]")
    return lines


def _preview_lines(parsed: list[ParsedRow]) -> list[str]:
    lines: list[str] = []
    section: str | None = None
    for item in parsed:
        if item.section != section and item.section:
            lines.append(f"[{item.section}]")
        section = item.section
        deadline = item.deadline
        if deadline.due_on is not None:
            due = f"hạn {deadline.due_on:%d/%m/%Y}"
        elif deadline.amount is not None:
            due = f"hạn sau {deadline.amount} ngày" + (
                " làm việc" if deadline.kind == "working_days" else ""
            )
        else:
            due = "thường xuyên"
        coordinators = ", ".join(unit.name for unit in item.coordinators)
        with_others = f"; phối hợp: {coordinators}" if coordinators else ""
        lines.append(
            f"  dòng {item.row}: {item.content} — chủ trì: {item.lead.name}{with_others}; {due}"
        )
    return lines


@friendly_errors
def import_tasks(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Tệp .xlsx/.csv/.docx")],
    plan: Annotated[int, typer.Option("--plan", min=1, help="Mã số kế hoạch")],
    preview: Annotated[
        bool, typer.Option("--preview", help="Chỉ xem trước mọi dòng và mọi lỗi, không lưu")
    ] = False,
    expand_groups: Annotated[
        bool,
        typer.Option(
            "--expand-groups",
            help="Chủ trì là một nhóm («Các sở, ban, ngành»): giao mỗi đơn vị một nhiệm vụ",
        ),
    ] = False,
) -> None:
    """Nhập nhiệm vụ của một kế hoạch từ tệp (.xlsx, .csv, phụ lục .docx); có dòng lỗi thì
    không nhập gì."""
    from tracking import importing
    from tracking import plans as plans_service

    try:
        with database() as session:
            the_plan = plans_service.get(session=session, plan_id=plan)
            if preview:
                parsed, errors = importing.preview(
                    session=session,
                    plan=the_plan,
                    content=file.read_bytes(),
                    filename=file.name,
                    expand_groups=expand_groups,
                )
                typer.echo(f"Sẽ nhập {len(parsed)} nhiệm vụ vào kế hoạch #{plan}:")
                typer.echo("\n".join(_preview_lines(parsed)))
                if errors:
                    raise importing.ImportRejected(errors)
                return
            result = importing.import_tasks(
                session=session,
                actor=cli_actor(),
                plan=the_plan,
                content=file.read_bytes(),
                filename=file.name,
                expand_groups=expand_groups,
            )
    except importing.ImportRejected as error:
        fail("\n".join(_rejected_lines(error.message, error.errors)), 2)
    typer.echo(f"Đã nhập {result.count} nhiệm vụ vào kế hoạch #{plan}.")


task_app = typer.Typer(
    help="Một nhiệm vụ: phân công cán bộ theo dõi, đổi đơn vị chủ trì và phối hợp.",
    no_args_is_help=True,
)


@task_app.command("officer")
@friendly_errors
def officer(
    task_id: Annotated[int, typer.Argument(help="Số nhiệm vụ")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị chủ trì hoặc phối hợp")],
    user: Annotated[
        str | None, typer.Option("--user", help="Tên đăng nhập của cán bộ theo dõi")
    ] = None,
    none: Annotated[
        bool, typer.Option("--none", help="Bỏ phân công: các cán bộ của đơn vị cùng theo dõi")
    ] = False,
) -> None:
    """Phân công cán bộ theo dõi phần việc của một đơn vị (chủ trì hoặc phối hợp) trong
    nhiệm vụ: chỉ người đó nhận nhắc việc của phần việc này."""
    if (user is None) == (not none):
        fail("cần đúng một trong --user USERNAME hoặc --none [task.officer_option]", 2)
    from tracking import tasks as tasks_service
    from tracking import units

    with database() as session:
        unit_id = units.get_by_code(session=session, code=unit).id or 0
        chosen = None
        if user is not None:
            found = units.find_user(session=session, username=user)
            if found is None:
                fail(f"không có người dùng «{user}» (--user) [user.not_found]", 2)
            chosen = found
        tasks_service.assign_officer(
            session=session,
            actor=cli_actor(),
            task_id=task_id,
            unit_id=unit_id,
            officer_id=chosen.id if chosen else None,
        )
    who = f"{chosen.full_name} ({chosen.username})" if chosen else "các cán bộ của đơn vị"
    typer.echo(f"Nhiệm vụ #{task_id}, đơn vị {unit}: cán bộ theo dõi là {who}.")


@task_app.command("reassign")
@friendly_errors
def reassign(
    task_id: Annotated[int, typer.Argument(min=1, metavar="MÃ_SỐ", help="Mã số nhiệm vụ")],
    lead: Annotated[str, typer.Option("--lead", help="Mã đơn vị chủ trì từ nay")],
    coordinators: Annotated[
        list[str] | None,
        typer.Option(
            "--coordinator",
            help="Mã một đơn vị phối hợp (lặp lại cho nhiều đơn vị); không có: bỏ hết phối hợp",
        ),
    ] = None,
    version: Annotated[
        int | None,
        typer.Option("--version", min=1, help="Phiên bản đang xem; mặc định phiên bản hiện tại"),
    ] = None,
) -> None:
    """Đổi đơn vị chủ trì và các đơn vị phối hợp (cả danh sách), theo quy tắc giao việc;
    ghi nhật ký. Nhắc việc từ lần lập sau gửi tới các đơn vị mới."""
    from tracking import tasks as tasks_service
    from tracking import units
    from tracking.errors import NotFound
    from tracking.validation import MAX_ID

    if task_id > MAX_ID:  # no such id fits the database's integer
        raise NotFound("task.not_found", f"Không tìm thấy nhiệm vụ #{task_id}", field="task_id")
    with database() as session:
        task = tasks_service.get(session=session, task_id=task_id)
        lead_unit = units.get_by_code(session=session, code=lead)
        coordinating = [units.get_by_code(session=session, code=c) for c in coordinators or []]
        tasks_service.reassign(
            session=session,
            actor=cli_actor(),
            task_id=task_id,
            expected_version=version or task.version,
            lead_unit_id=lead_unit.id or 0,
            coordinating_unit_ids=[unit.id or 0 for unit in coordinating],
        )
        names = ", ".join(unit.name for unit in coordinating) or "không có"
        typer.echo(
            f"Nhiệm vụ #{task_id} (phiên bản {task.version}): chủ trì {lead_unit.name}; "
            f"phối hợp: {names}."
        )
