"""`nhiemvu attachments sweep`: remove what crashed uploads left behind."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import database, friendly_errors

attachments_app = typer.Typer(help="Tệp đính kèm của báo cáo tiến độ, hoàn thành, gia hạn.")


@attachments_app.command("sweep")
@friendly_errors
def attachments_sweep(
    grace_minutes: Annotated[
        int,
        typer.Option(
            min=1,
            max=7 * 24 * 60,
            help="Chỉ xóa tệp cũ hơn chừng này phút (tệp mới hơn có thể đang được tải lên)",
        ),
    ] = 60,
) -> None:
    """Xóa phần tệp đang tải dở (thư mục .staging) và tệp không có bản ghi nào (tải lên bị
    ngắt giữa lúc đặt tệp và lúc ghi cơ sở dữ liệu) trong thư mục dữ liệu. Chạy lại bao nhiêu
    lần cũng được."""
    from datetime import timedelta

    from settings import get_settings
    from tracking.attachments import sweep

    with database() as session:
        result = sweep(
            session=session, settings=get_settings(), grace=timedelta(minutes=grace_minutes)
        )
    typer.echo(
        f"Đã xóa {result.staged_removed} phần tệp tải dở và {result.orphans_removed} tệp "
        "không có bản ghi"
    )
