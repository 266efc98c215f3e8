"""`nhiemvu user add`: accounts, the first administrator's included."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from cli.common import cli_actor, database, friendly_errors

user_app = typer.Typer(help="Người dùng: thêm tài khoản (kể cả quản trị viên đầu tiên).")


# The values of models.Role, written out because Typer reads the choices while it builds the
# command tree and `models` loads SQLAlchemy; tests/test_cli_imports.py checks they agree.
RoleName = Literal["admin", "leader", "officer", "viewer"]


@user_app.command("add")
@friendly_errors
def user_add(
    username: Annotated[str, typer.Argument(help="Tên đăng nhập")],
    unit: Annotated[str, typer.Option("--unit", help="Mã đơn vị của người dùng")],
    full_name: Annotated[str, typer.Option("--name", help="Họ và tên")],
    role: Annotated[RoleName, typer.Option("--role", help="Vai trò")] = "officer",
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
    from api.auth import hash_password
    from models import Role
    from notifications import contacts
    from tracking import units

    with database() as session:
        unit_row = units.get_by_code(session=session, code=unit)
        user = units.create_user(
            session=session,
            actor=cli_actor(),
            username=username,
            full_name=full_name,
            unit=unit_row,
            role=Role(role),
            title=title,
            password_hash=hash_password(password=password, username=username),
        )
        if email is not None:
            contacts.add_email_channel(
                session=session, user_id=user.id or 0, email=email, actor=cli_actor()
            )
    typer.echo(f"Đã thêm người dùng «{user.username}» ({role}) thuộc {unit_row.name}.")
