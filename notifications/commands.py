"""Typer commands: `remind --as-of DATE [--dry-run]` and `deliver` (wired into cli.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from models.db import get_engine
from notifications.delivery import DeliverResult, deliver
from notifications.digest import vn_date
from notifications.planner import PlanResult, plan_with_engine
from tracking import clock
from tracking.commandline import parse_date
from tracking.errors import DomainError

remind_app = typer.Typer(help="Nhắc hạn nhiệm vụ qua email, Zalo và các kênh Apprise.",
                         no_args_is_help=True)


def format_plan(result: PlanResult) -> str:
    head = f"Nhắc việc {vn_date(result.as_of)}"
    if not result.is_working_day:
        return f"{head}: ngày nghỉ, không lập nhắc việc."
    lines = [f"{head}{' (chạy thử, không ghi gì)' if result.dry_run else ''}: "
             f"{result.tasks_in_window} nhiệm vụ trong khung nhắc, "
             f"{len(result.reminders)} lượt nhắc ({len(result.new_reminders)} mới)."]
    for r in result.reminders:
        mark = "mới" if r.new else "đã lập trước đó"
        lines.append(f"- [{r.step}] {r.task_title} → {r.recipient_name} qua {r.channel}: "
                     f"{r.reason} ({mark})")
    if not result.dry_run:
        lines.append(f"Đã thêm {result.items_added} lượt nhắc, "
                     f"{result.notifications_added} thông báo vào hộp thư đi.")
    return "\n".join(lines)


def format_delivery(result: DeliverResult) -> str:
    if result.deferred:
        return f"Chưa gửi: {result.deferred}."
    return (f"Đã nhận {result.claimed} thông báo: gửi được {result.sent}, lỗi sẽ thử lại "
            f"{result.failed}, dừng hẳn {result.dead}, bỏ qua {result.skipped}.")


def remind(
    as_of: Annotated[date | None, typer.Option("--as-of", parser=parse_date,
                                               help="Ngày lập nhắc việc (mặc định hôm nay)")]
    = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ liệt kê, không ghi")] = False,
) -> None:
    """Lập nhắc việc cho một ngày: ai nhận, qua kênh nào, vì sao."""
    try:
        result = plan_with_engine(engine=get_engine(), as_of=as_of or clock.today(),
                                  dry_run=dry_run)
    except DomainError as error:
        typer.echo(f"Lỗi: {error.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(format_plan(result))


def deliver_command(
    batch: Annotated[int | None, typer.Option("--batch", min=1, max=1000,
                                              help="Số thông báo mỗi lượt")] = None,
) -> None:
    """Gửi các thông báo đến hạn trong hộp thư đi."""
    result = deliver(engine=get_engine(), batch_size=batch)
    typer.echo(format_delivery(result))
    if result.dead:
        raise typer.Exit(2)


remind_app.command("remind")(remind)
remind_app.command("deliver")(deliver_command)
