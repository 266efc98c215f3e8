"""Typer commands: `remind --as-of DATE [--dry-run]`, `deliver` and `zalo-token` (wired into
cli.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from models.db import get_engine
from notifications.delivery import DeliverResult, deliver
from notifications.planner import PlanResult, plan_with_engine
from notifications.tokens import save_zalo_tokens
from settings import get_settings
from tracking import clock
from tracking.audit import record
from tracking.commandline import CLI_ACTOR, database, friendly_errors, parse_date, prepare_database
from tracking.formatting import long_date

remind_app = typer.Typer(
    help="Nhắc hạn nhiệm vụ qua email, Zalo và các kênh Apprise.", no_args_is_help=True
)


def format_plan(result: PlanResult) -> str:
    head = f"Nhắc việc {long_date(result.as_of)}"
    if not result.is_working_day:
        return f"{head}: ngày nghỉ, không lập nhắc việc."
    lines = [
        f"{head}{' (chạy thử, không ghi gì)' if result.dry_run else ''}: "
        f"{result.tasks_in_window} nhiệm vụ trong khung nhắc, "
        f"{len(result.reminders)} lượt nhắc ({len(result.new_reminders)} mới)."
    ]
    for r in result.reminders:
        mark = "mới" if r.new else "đã lập trước đó"
        lines.append(
            f"- [{r.step}] {r.task_title} → {r.recipient_name} qua {r.channel}: {r.reason} ({mark})"
        )
    if not result.dry_run:
        lines.append(
            f"Đã thêm {result.items_added} lượt nhắc, "
            f"{result.notifications_added} thông báo vào hộp thư đi."
        )
    return "\n".join(lines)


def format_delivery(result: DeliverResult) -> str:
    if result.deferred:
        return f"Chưa gửi: {result.deferred}."
    return (
        f"Đã nhận {result.claimed} thông báo: gửi được {result.sent}, lỗi sẽ thử lại "
        f"{result.failed}, dừng hẳn {result.dead}, bỏ qua {result.skipped}."
    )


@friendly_errors
def remind(
    as_of: Annotated[
        date | None,
        typer.Option("--as-of", parser=parse_date, help="Ngày lập nhắc việc (mặc định hôm nay)"),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Chỉ liệt kê, không ghi")] = False,
) -> None:
    """Lập nhắc việc cho một ngày: ai nhận, qua kênh nào, vì sao."""
    prepare_database()
    result = plan_with_engine(engine=get_engine(), as_of=as_of or clock.today(), dry_run=dry_run)
    typer.echo(format_plan(result))


@friendly_errors
def deliver_command(
    batch: Annotated[
        int | None, typer.Option("--batch", min=1, max=1000, help="Số thông báo mỗi lượt")
    ] = None,
) -> None:
    """Gửi các thông báo đến hạn trong hộp thư đi."""
    prepare_database()
    result = deliver(engine=get_engine(), batch_size=batch)
    typer.echo(format_delivery(result))
    if result.dead:
        raise typer.Exit(2)


@friendly_errors
def zalo_token(
    oa_id: Annotated[str, typer.Argument(help="Mã Official Account (OA id)")],
    access_token: Annotated[
        str, typer.Option("--access-token", prompt=True, hide_input=True, help="Access token")
    ],
    refresh_token: Annotated[
        str, typer.Option("--refresh-token", prompt=True, hide_input=True, help="Refresh token")
    ],
    expires_in: Annotated[
        int, typer.Option("--expires-in", min=60, help="Access token còn hiệu lực (giây)")
    ] = 90000,
) -> None:
    """Lưu cặp token của Zalo OA sau khi cấp quyền; hệ thống tự làm mới về sau.

    Token không truyền thì được hỏi (ẩn), để không lộ trong lịch sử lệnh."""
    with database() as session:
        row = save_zalo_tokens(
            session=session,
            oa_id=oa_id.strip(),
            app_id=get_settings().zalo_app_id,
            access_token=access_token.strip(),
            refresh_token=refresh_token.strip(),
            access_expires_at=clock.now_utc() + timedelta(seconds=expires_in),
        )
        record(
            session=session,
            actor=CLI_ACTOR,
            action="zalo.save_tokens",
            entity="zalo_token",
            entity_id=row.id,
            after={"oa_id": row.oa_id, "version": row.version},
        )
    typer.echo(f"Đã lưu token cho Zalo OA {oa_id} (hết hạn sau {expires_in // 3600} giờ).")


remind_app.command("remind")(remind)
remind_app.command("deliver")(deliver_command)
