"""Command-line pieces of the API: `nhiemvu user add`, `nhiemvu serve`, `nhiemvu import`.

`register(app)` adds them to the main Typer app in cli.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from sqlmodel import Session

from api.auth import hash_password
from models import Role
from models.db import get_engine, session_scope
from models.migrate import upgrade
from notifications import channels, contacts
from settings import ensure_secret_key
from tracking import importing
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.audit import Actor
from tracking.errors import DomainError, InvalidInput

CLI_ACTOR = Actor(name="cli")

user_app = typer.Typer(help="Người dùng: thêm tài khoản (kể cả quản trị viên đầu tiên).")


def _fail(message: str, code: int) -> None:
    typer.echo(f"Lỗi: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _database() -> Iterator[Session]:
    try:
        upgrade(get_engine())
        with session_scope() as session:
            yield session
    except importing.ImportRejected as error:
        lines = [error.message]
        for item in error.errors:
            where = f"dòng {item.row}" if item.row else "tệp"
            column = f", cột «{item.field}»" if item.field and item.row else ""
            lines.append(f"  - {where}{column}: {item.message} [{item.code}]")
        _fail("\n".join(lines), 2)
    except DomainError as error:
        where = f" ({error.field})" if error.field else ""
        _fail(f"{error.message}{where} [{error.code}]", 2)
    except sa.exc.OperationalError as error:
        _fail(f"không truy cập được cơ sở dữ liệu: {error.orig}", 3)


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị của người dùng")],
    full_name: Annotated[str, typer.Option("--name", help="Họ và tên")],
    role: Annotated[Role, typer.Option("--role", help="Vai trò")] = Role.OFFICER,
    title: Annotated[str, typer.Option("--title", help="Chức vụ")] = "",
    email: Annotated[
        str | None, typer.Option("--email", help="Địa chỉ email nhận nhắc việc")
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            "--password",
            prompt="Mật khẩu",
            hide_input=True,
            confirmation_prompt=True,
            envvar="NHIEMVU_NEW_USER_PASSWORD",
            help="Mật khẩu (hỏi khi không truyền)",
        ),
    ] = "",
) -> None:
    """Thêm một người dùng (mật khẩu lưu dạng băm argon2)."""
    with _database() as session:
        unit_row = units_service.get_by_code(session=session, code=unit)
        user = units_service.create_user(
            session=session,
            actor=CLI_ACTOR,
            username=username,
            full_name=full_name,
            unit=unit_row,
            role=role,
            title=title,
            password_hash=hash_password(password=password, username=username),
        )
        if email is not None:
            if channels.email_address(email) is None:
                raise InvalidInput("user.email", "Địa chỉ email không hợp lệ", field="email")
            contacts.add_contact_channels(
                session=session, user_id=user.id or 0, urls=[email], actor=CLI_ACTOR
            )
        typer.echo(f"Đã thêm người dùng «{user.username}» ({role.value}) thuộc {unit_row.name}.")


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
) -> None:
    """Chạy API (tài liệu tương tác ở /docs) và các luồng theo lịch."""
    import uvicorn

    from api.app import create_app

    try:
        upgrade(get_engine())
        app = create_app(settings=ensure_secret_key())
    except (RuntimeError, ValueError) as error:
        _fail(str(error), 2)
    typer.echo(f"API: http://{host}:{port}/api/v1 — tài liệu: http://{host}:{port}/docs")
    if flows:
        from flows.serving import serve_with_api

        typer.echo("Các luồng theo lịch: rà soát hằng ngày, gửi nhắc, soạn báo cáo (Prefect).")
        serve_with_api(app=app, host=host, port=port)
    else:
        uvicorn.run(app, host=host, port=port)


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Tệp .xlsx/.csv")],
    plan: Annotated[int, typer.Option("--plan", min=1, help="Mã số kế hoạch")],
) -> None:
    """Nhập nhiệm vụ của một kế hoạch từ tệp; có dòng lỗi thì không nhập gì."""
    with _database() as session:
        plan_row = plans_service.get(session=session, plan_id=plan)
        result = importing.import_tasks(
            session=session,
            actor=CLI_ACTOR,
            plan=plan_row,
            content=file.read_bytes(),
            filename=file.name,
        )
        typer.echo(f"Đã nhập {result.count} nhiệm vụ vào kế hoạch #{plan}.")


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.command("serve")(serve)
    app.command("import")(import_file)
