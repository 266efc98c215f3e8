"""`nhiemvu audit verify`: the audit log's hash chain, checked read-only."""

from __future__ import annotations

import typer

from cli.common import fail, friendly_errors

audit_app = typer.Typer(help="Nhật ký thay đổi: kiểm tra không ai sửa, xóa hay chèn sự kiện.")


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
    typer.echo(f"Nhật ký toàn vẹn: {report.events} sự kiện")
    typer.echo(f"Mã băm cuối (lưu nơi khác để phát hiện mất đoạn cuối): {report.head_hash}")
