"""`nhiemvu remind`, `deliver`, `zalo-token` and `secrets …`: reminders, the outbox, the
Zalo Official Account's tokens and the keys of the secrets at rest."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import change, database, echo_json, friendly_errors, parse_date, prepare_database

if TYPE_CHECKING:
    from notifications.delivery import DeliverResult
    from notifications.planner import PlanResult


def format_plan(result: PlanResult) -> str:
    from tracking.formatting import long_date

    head = f"Nhắc việc {long_date(result.as_of)}"
    if not result.is_working_day:
        return f"{head}: ngày nghỉ, không lập nhắc việc."
    if not result.dry_run:
        return (
            f"{head}: {result.tasks_in_window} nhiệm vụ trong khung nhắc, "
            f"{result.reminders_planned} lượt nhắc. Đã thêm {result.items_added} lượt nhắc, "
            f"{result.notifications_added} thông báo vào hộp thư đi."
        )
    lines = [
        f"{head} (chạy thử, không ghi gì): {result.tasks_in_window} nhiệm vụ trong khung nhắc, "
        f"{result.reminders_planned} lượt nhắc ({len(result.new_reminders)} mới)."
    ]
    for r in result.reminders:
        mark = "mới" if r.new else "đã lập trước đó"
        lines.append(
            f"- [{r.step}] {r.task_title} → {r.recipient_name} qua {r.channel}: {r.reason} ({mark})"
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
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="In ra JSON: các số đếm và (khi chạy thử) từng lượt nhắc; ngày theo ISO 8601",
        ),
    ] = False,
) -> None:
    """Lập nhắc việc cho một ngày: ai nhận, qua kênh nào, vì sao."""
    from models.db import get_engine
    from notifications.planner import plan_with_engine
    from tracking import clock

    prepare_database()
    result = plan_with_engine(engine=get_engine(), as_of=as_of or clock.today(), dry_run=dry_run)
    if as_json:
        from api.schemas.reminders import PlanListing

        echo_json(PlanListing.of(result).model_dump(mode="json"))
    else:
        typer.echo(format_plan(result))


@friendly_errors
def deliver(
    batch: Annotated[
        int | None, typer.Option("--batch", min=1, max=1000, help="Số thông báo mỗi lượt")
    ] = None,
) -> None:
    """Gửi các thông báo đến hạn trong hộp thư đi."""
    from models.db import get_engine
    from notifications.delivery import deliver as deliver_outbox
    from notifications.delivery import oa_contact_needed

    prepare_database()
    result = deliver_outbox(engine=get_engine(), batch_size=batch)
    typer.echo(format_delivery(result))
    with database() as session:
        waiting = oa_contact_needed(session=session)
    if waiting:
        typer.echo(
            "Zalo từ chối vì người nhận chưa nhắn tin cho Official Account trong 7 ngày qua "
            "(hoặc chưa quan tâm OA); đề nghị những người sau nhắn một tin cho OA, rồi gửi lại:"
        )
        for entry in waiting:
            typer.echo(f"  {entry.recipient} (thông báo số {entry.notification_id})")
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
    from notifications.tokens import store_authorised_tokens

    change(
        store_authorised_tokens,
        oa_id=oa_id,
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in_seconds=expires_in,
    )
    typer.echo(f"Đã lưu token cho Zalo OA {oa_id} (hết hạn sau {expires_in // 3600} giờ).")


secrets_app = typer.Typer(help="Khóa mã hóa dữ liệu bí mật (kênh liên lạc, token Zalo).")


@secrets_app.command("new-key")
def new_key() -> None:
    """In ra một khóa Fernet mới, để đặt ĐẦU danh sách NHIEMVU_ENCRYPTION_KEYS."""
    from models.encryption import new_key as fernet_key

    typer.echo(fernet_key())


@secrets_app.command("rotate")
@friendly_errors
def rotate() -> None:
    """Mã hóa lại mọi dữ liệu bí mật bằng khóa đầu tiên của NHIEMVU_ENCRYPTION_KEYS."""
    from notifications.secret_keys import rotate_secrets

    result = change(rotate_secrets)
    typer.echo(
        f"Đã mã hóa lại {result.values} giá trị bí mật và {result.digests} kênh liên lạc "
        "bằng khóa mới; có thể bỏ các khóa cũ khỏi NHIEMVU_ENCRYPTION_KEYS."
    )
