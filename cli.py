"""The `nhiemvu` command line. Errors go to stderr with a non-zero exit code, never a traceback."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer
from sqlmodel import Session

from models import Unit
from models.db import get_engine
from notifications import demo as notifications_demo
from notifications.commands import deliver_command, remind, zalo_token
from notifications.secret_keys import secrets_app
from reports import demo as reports_demo
from reports.commands import report_app
from reports.obligation_commands import obligation_app
from settings import ensure_secret_key, get_settings
from tracking import demo as demo_world
from tracking import formatting, units
from tracking.calendar import load_calendar, set_override
from tracking.commandline import (
    CLI_ACTOR,
    database,
    fail,
    friendly_errors,
    parse_date,
    prepare_database,
)
from tracking.errors import InvalidInput
from tracking.queries import StatusCounts, count_by_category, tasks_as_of
from tracking.status import OFFICIAL_CATEGORIES, Category
from web.demo import sign_in_lines

app = typer.Typer(
    help="nhiemvu: theo dõi nhiệm vụ được giao, nhắc hạn và soạn báo cáo định kỳ.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
calendar_app = typer.Typer(help="Lịch làm việc: tính hạn, xem và đặt ngày nghỉ, ngày làm bù.")
app.add_typer(calendar_app, name="calendar")
app.add_typer(report_app, name="report")
app.add_typer(obligation_app, name="obligation")
app.add_typer(secrets_app, name="secrets")
app.command("remind")(remind)
app.command("deliver")(deliver_command)
app.command("zalo-token")(zalo_token)

DateArg = Annotated[date, typer.Argument(parser=parse_date, metavar="NGÀY")]
AsOfOption = Annotated[
    date, typer.Option("--as-of", parser=parse_date, help="Tính đến ngày (YYYY-MM-DD)")
]
UnitOption = Annotated[
    str | None, typer.Option("--unit", help="Mã đơn vị; tính cả các đơn vị trực thuộc")
]


def _unit_or_none(session: Session, code: str | None) -> Unit | None:
    return units.get_by_code(session=session, code=code) if code else None


@app.command()
@friendly_errors
def init() -> None:
    """Tạo / nâng cấp cơ sở dữ liệu, nạp lịch nghỉ lễ đã quyết định, tạo khóa ký mã truy cập."""
    added = prepare_database()
    typer.echo(f"Cơ sở dữ liệu sẵn sàng: {get_engine().url.render_as_string(hide_password=True)}")
    typer.echo(f"Đã nạp {added} ngày nghỉ / làm bù theo quyết định của Chính phủ.")
    key_file = ensure_secret_key().secret_key_file
    if key_file is not None:
        typer.echo(f"Khóa ký mã truy cập: {key_file.resolve()} (chỉ chủ sở hữu đọc được)")
    else:
        typer.echo("Khóa ký mã truy cập: lấy từ NHIEMVU_SECRET_KEY")


def format_counts(counts: StatusCounts, scope: str) -> str:
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
    rate = counts.completion_rate
    if rate is not None:
        lines.append(f"  Tỷ lệ hoàn thành (trên số nhiệm vụ đã đến hạn): {format_percent(rate)}")
    return "\n".join(lines)


def format_percent(rate: float) -> str:
    return formatting.rate(rate)


@app.command()
@friendly_errors
def status(
    as_of: AsOfOption,
    unit: UnitOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="In ra JSON")] = False,
) -> None:
    """Số nhiệm vụ theo từng loại tình trạng tính đến một ngày."""
    with database() as session:
        scope = _unit_or_none(session, unit)
        counts = count_by_category(session=session, as_of=as_of, unit=scope)
        if as_json:
            payload = counts.as_json() | {"unit": scope.code if scope else None}
            typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            typer.echo(format_counts(counts, scope.name if scope else "toàn hệ thống"))


@app.command()
@friendly_errors
def tasks(as_of: AsOfOption, unit: UnitOption = None) -> None:
    """Danh sách nhiệm vụ và tình trạng của từng nhiệm vụ tính đến một ngày."""
    with database() as session:
        rows = tasks_as_of(session=session, as_of=as_of, unit=_unit_or_none(session, unit))
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


@app.command()
@friendly_errors
def demo(
    flows: Annotated[
        bool, typer.Option("--flows", help="Chạy thêm một lần các luồng Prefect của ngày mẫu")
    ] = False,
) -> None:
    """Dựng dữ liệu mẫu (Kế hoạch 61/KH-UBND, huyện Lý Sơn, năm 2021) và in tình hình."""
    ensure_secret_key()
    with database() as session:
        world = demo_world.build(session=session)
        notifications_demo.add_contacts(session=session)
        typer.echo("Đã tạo dữ liệu mẫu." if world.created else "Dữ liệu mẫu đã có sẵn.")
        counts = count_by_category(
            session=session,
            as_of=demo_world.REPORT_DATE,
            unit=world.district,
            assigned_from=demo_world.YEAR_START,
        )
        typer.echo(demo_summary(counts, world.district))
        typer.echo("")
        typer.echo(format_counts(counts, world.district.name))
        report, files = reports_demo.write_seed_report(
            session=session, folder=get_settings().data_dir / "reports"
        )
    typer.echo("")
    typer.echo(f"Báo cáo số {report.symbol} ngày {report.document_date:%d/%m/%Y} đã được soạn:")
    for path in files:
        typer.echo(f"  {path.resolve()}")
    mail_folder = get_settings().data_dir / "demo-mail"
    if flows:
        # Importing Prefect takes seconds: only when asked. The flows run before the reminder
        # replay, so the duties' tasks they create are in it and a second demo adds nothing.
        from flows.demo import DEMO_DAY, describe, run_demo_day

        typer.echo("")
        typer.echo(f"Các luồng Prefect của ngày {DEMO_DAY:%d/%m/%Y} (Prefect cục bộ):")
        for outcome in run_demo_day(engine=get_engine(), mail_folder=mail_folder):
            typer.echo(f"  {describe(outcome)}")
    reminders = notifications_demo.send_demo_reminders(engine=get_engine(), mail_folder=mail_folder)
    typer.echo("")
    typer.echo(
        f"Nhắc việc từ {notifications_demo.DEMO_DAYS[0]:%d/%m/%Y} đến "
        f"{notifications_demo.DEMO_DAYS[1]:%d/%m/%Y}: "
        f"lập {sum(p.notifications_added for p in reminders.plans)} thư mới, "
        f"gửi {reminders.received} thư tới máy chủ thư cục bộ"
        + (f" (như vào lúc {reminders.sent_at:%H:%M %d/%m/%Y})." if reminders.sent_at else ".")
    )
    typer.echo(f"  Đọc thư: mutt -f {mail_folder.resolve()}  (hộp thư Maildir)")
    with database() as session:
        access = sign_in_lines(session=session, province=demo_world.build(session=session).province)
    typer.echo("")
    for line in access:
        typer.echo(line)


def demo_summary(counts: StatusCounts, district: Unit) -> str:
    """The sentence of the seed report, from the data."""
    in_progress = counts.counts[Category.IN_PROGRESS]
    overdue = counts.counts[Category.OVERDUE]
    sentence = (
        f"Từ đầu năm {counts.as_of.year} đến ngày {counts.as_of:%d/%m/%Y}, {district.name} có "
        f"{counts.total:02d} nhiệm vụ do UBND tỉnh, Chủ tịch UBND tỉnh giao, đã hoàn thành "
        f"{counts.completed:02d} nhiệm vụ"
    )
    if in_progress:
        sentence += f", còn {in_progress:02d} nhiệm vụ chưa đến hạn"
    if overdue:
        sentence += f", {overdue:02d} nhiệm vụ quá hạn"
    return sentence + "."


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
    with database() as session:
        for info in load_calendar(session).days_off_in_year(year):
            kind = "làm việc" if info.is_working_day else "nghỉ"
            weekday = ["T2", "T3", "T4", "T5", "T6", "T7", "CN"][info.day.weekday()]
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
    if working == day_off:
        raise InvalidInput(
            "calendar.kind_required", "Chọn đúng một trong --working hoặc --day-off", field="kind"
        )
    with database() as session:
        set_override(
            session=session,
            actor=CLI_ACTOR,
            day=day,
            is_working_day=working,
            note=note,
            legal_source=source,
        )
    typer.echo(f"{day.isoformat()}: {'ngày làm việc' if working else 'ngày nghỉ'} — {note}")


audit_app = typer.Typer(help="Nhật ký thay đổi: kiểm tra không ai sửa, xóa hay chèn sự kiện.")
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
@friendly_errors
def audit_verify() -> None:
    """Kiểm tra chuỗi mã băm của nhật ký thay đổi theo thứ tự id; gặp liên kết hỏng đầu tiên
    thì báo id và điểm sai, mã thoát 1. Chỉ đọc, không nâng cấp cơ sở dữ liệu."""
    from models.db import session_scope
    from tracking.audit import verify_chain

    with session_scope() as session:
        report = verify_chain(session=session)
    if report.broken is not None:
        fail(
            f"nhật ký thay đổi không toàn vẹn tại sự kiện id {report.broken.event_id}: "
            f"{report.broken.problem} ({report.events} sự kiện trước đó khớp chuỗi)."
        )
    else:
        typer.echo(f"Nhật ký toàn vẹn: {report.events} sự kiện")
        typer.echo(f"Mã băm cuối (lưu nơi khác để phát hiện mất đoạn cuối): {report.head_hash}")


def _register_api_commands() -> None:
    from api.commands import register

    register(app)


_register_api_commands()

if __name__ == "__main__":
    app()
