"""`nhiemvu demo`: the sample world (Kế hoạch 61/KH-UBND, huyện Lý Sơn, 2021), its seed report,
reminders sent to a local mailbox and, on request, one day of the Prefect flows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import database, friendly_errors
from cli.tasks import format_counts

if TYPE_CHECKING:
    from models import Unit
    from tracking.queries import StatusCounts


@friendly_errors
def demo(
    flows: Annotated[
        bool, typer.Option("--flows", help="Chạy thêm một lần các luồng Prefect của ngày mẫu")
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", help="Thư mục ghi ảnh PNG trang đầu, trang cuối báo cáo")
    ] = Path("out"),
) -> None:
    """Dựng dữ liệu mẫu (Kế hoạch 61/KH-UBND, huyện Lý Sơn, năm 2021) và in tình hình."""
    from models.db import get_engine
    from notifications import demo as notifications_demo
    from reports import demo as reports_demo
    from reports.screenshots import first_and_last_pages
    from settings import ensure_secret_key, get_settings
    from tracking import demo as demo_world
    from tracking.queries import count_by_category
    from web.demo import sign_in_lines

    ensure_secret_key()
    with database() as session:
        world = demo_world.build(session=session)
        notifications_demo.add_contacts(session=session)
        notifications_demo.add_fortnight_tasks(session=session)
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
    pdfs = [path for path in files if path.suffix == ".pdf"]
    pictures = first_and_last_pages(pdf=pdfs[0], folder=out) if pdfs else []
    if pictures:
        typer.echo("Ảnh trang đầu và trang cuối của báo cáo:")
    for path in pictures:
        typer.echo(f"  {path.resolve()}")
    mail_folder = get_settings().data_dir / "demo-mail"
    if flows:
        # The flows run before the reminder replay, so the duties' tasks they create are in it
        # and a second demo adds nothing.
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
    if reminders.mailbox is not None:
        for line in reminders.mailbox.lines(world.district.short_name or world.district.name):
            typer.echo(line)
    typer.echo(f"  Đọc thư: mutt -f {mail_folder.resolve()}  (hộp thư Maildir)")
    with database() as session:
        access = sign_in_lines(session=session, province=demo_world.build(session=session).province)
    typer.echo("")
    for line in access:
        typer.echo(line)


def demo_summary(counts: StatusCounts, district: Unit) -> str:
    """The sentence of the seed report, from the data."""
    from tracking.status import Category

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
