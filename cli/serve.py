"""`nhiemvu serve`: the API (and the web pages) with the scheduled Prefect flows."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import fail, friendly_errors


@friendly_errors
def serve(
    host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Cổng")] = 8000,
    flows: Annotated[
        bool,
        typer.Option(
            "--flows/--no-flows",
            help="Chạy cả các luồng Prefect theo lịch (rà soát, gửi nhắc, soạn báo cáo); "
            "--no-flows khi chạy nhiều tiến trình API sau một Prefect server",
        ),
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Số tiến trình API (chỉ với --no-flows); mỗi tiến trình dùng một lõi CPU. "
            "Bộ đếm đăng nhập sai nằm trong từng tiến trình: n tiến trình cho tới n lần số lần thử",
        ),
    ] = 1,
) -> None:
    """Chạy API (tài liệu tương tác ở /docs) và các luồng theo lịch."""
    import uvicorn

    from api.app import create_app
    from models.db import get_engine, session_scope
    from models.migrate import upgrade
    from settings import ensure_secret_key
    from tracking.attachments import sweep

    if flows and workers > 1:
        fail(
            "--workers lớn hơn 1 chỉ dùng cùng --no-flows (các luồng chạy trong một tiến trình)", 2
        )
    try:
        upgrade(get_engine())
        settings = ensure_secret_key()
        app = create_app(settings=settings)
    except (RuntimeError, ValueError) as error:
        fail(str(error), 2)
    # What uploads cut short by a crash left in this machine's data folder (older than the
    # sweep's grace period, so never an upload in flight).
    with session_scope() as session:
        swept = sweep(session=session, settings=settings)
    if swept.staged_removed or swept.orphans_removed:
        typer.echo(
            f"Đã dọn {swept.staged_removed} phần tệp tải dở và {swept.orphans_removed} tệp "
            "không có bản ghi."
        )
    typer.echo(f"API: http://{host}:{port}/api/v1 — tài liệu: http://{host}:{port}/docs")
    if flows:
        from flows.serving import serve_with_api

        typer.echo("Các luồng theo lịch: rà soát hằng ngày, gửi nhắc, soạn báo cáo (Prefect).")
        serve_with_api(app=app, host=host, port=port)
    elif workers == 1:
        uvicorn.run(app, host=host, port=port)
    else:
        # Python runs one thread at a time per process: on n cores, n processes. Each builds
        # its own application (the factory) after this one has migrated and made the key.
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers)
