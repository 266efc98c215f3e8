"""Click's own usage errors (a missing option, an unknown one, a value its type refuses) in
Vietnamese, for every command: the top group runs the command line without Click's
standalone handling and shows such an error itself, from the exception's fields rather than
its English text. Exit code 2, as Click's."""

from __future__ import annotations

import re
import sys
from typing import Any

import typer

# Typer vendors its own Click: its exceptions, not the `click` package's, are raised.
from typer._click import exceptions as click
from typer.core import TyperGroup

# The English messages of values refused by Typer's conversion (pydantic) and Click's own
# types, and their Vietnamese.
_TYPE_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Input should be a valid integer"), "cần một số nguyên"),
    (re.compile(r"^Input should be a valid (number|decimal)"), "cần một số"),
    (re.compile(r"^Input should be a valid boolean"), "cần có hoặc không (true/false)"),
    (
        re.compile(r"^Input should be greater than or equal to (?P<n>\S+)$"),
        "phải lớn hơn hoặc bằng {n}",
    ),
    (re.compile(r"^Input should be greater than (?P<n>\S+)$"), "phải lớn hơn {n}"),
    (
        re.compile(r"^Input should be less than or equal to (?P<n>\S+)$"),
        "phải nhỏ hơn hoặc bằng {n}",
    ),
    (re.compile(r"^Input should be less than (?P<n>\S+)$"), "phải nhỏ hơn {n}"),
    (re.compile(r"^Input should be (?P<choices>'.*)$"), "phải là một trong {choices}"),
    (
        re.compile(r"^'?(?P<v>.*?)'? is not a valid integer( range)?\.$"),
        "«{v}» không phải số nguyên",
    ),
    (re.compile(r"^'?(?P<v>.*?)'? is not a valid float( range)?\.$"), "«{v}» không phải là số"),
    (re.compile(r"^'?(?P<v>.*?)'? is not a valid boolean\.$"), "«{v}» không phải có/không"),
    (
        re.compile(r"^'?(?P<v>.*?)'? is not one of (?P<choices>.*)\.$"),
        "«{v}» không thuộc các giá trị {choices}",
    ),
    (
        re.compile(r"^'?(?P<v>.*?)'? is not in the range (?P<range>.*)\.$"),
        "«{v}» nằm ngoài khoảng {range}",
    ),
    (re.compile(r"^(File|Path|Directory) '(?P<v>.*)' does not exist\.$"), "«{v}» không tồn tại"),
    (re.compile(r"^(File|Path) '(?P<v>.*)' is a directory\.$"), "«{v}» là một thư mục"),
]
_EXTRA_ARGUMENTS = re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((?P<args>.*)\)$")
_NO_SUCH_COMMAND = re.compile(r"^No such command '(?P<name>.*)'\.$")


def _param_name(error: click.UsageError) -> str:
    param = getattr(error, "param", None)
    hint = getattr(error, "param_hint", None)
    if hint:
        return " / ".join(hint) if isinstance(hint, list | tuple) else str(hint)
    if param is None:
        return ""
    if getattr(param, "param_type_name", "") == "option" and param.opts:
        return " / ".join(param.opts)
    return str(param.human_readable_name or param.name or "").upper()


def _value_message(message: str) -> str:
    for pattern, vietnamese in _TYPE_MESSAGES:
        match = pattern.match(message.strip())
        if match:
            return vietnamese.format(**match.groupdict())
    return message  # our own parsers (cli.common.parse_date) already speak Vietnamese


def message_of(error: click.UsageError) -> str:
    """The Vietnamese sentence for one of Click's usage errors."""
    if isinstance(error, click.MissingParameter):
        param_type = str(error.param_type or getattr(error.param, "param_type_name", ""))
        kind = {"option": "tùy chọn", "argument": "tham số"}.get(param_type, "tham số")
        return f"Thiếu {kind} «{_param_name(error)}»."
    if isinstance(error, click.NoSuchOption):
        text = f"Không có tùy chọn «{error.option_name}»."
        if error.possibilities:
            text += " Có phải ý bạn là " + ", ".join(f"«{p}»" for p in error.possibilities) + "?"
        return text
    if isinstance(error, click.BadOptionUsage):
        if error.message.endswith("requires an argument."):
            return f"Tùy chọn «{error.option_name}» cần một giá trị."
        return f"Cách dùng tùy chọn «{error.option_name}» không đúng."
    if isinstance(error, click.BadParameter):
        name = _param_name(error)
        where = f" cho «{name}»" if name else ""
        return f"Giá trị không hợp lệ{where}: {_value_message(error.message)}"
    extra = _EXTRA_ARGUMENTS.match(error.message)
    if extra:
        return f"Thừa tham số: {extra.group('args')}."
    command = _NO_SUCH_COMMAND.match(error.message)
    if command:
        return f"Không có lệnh «{command.group('name')}»."
    return error.message


def show(error: click.UsageError) -> None:
    """Usage line, where to find help, the error: as Click prints them, in Vietnamese."""
    context = error.ctx
    if context is not None:
        usage = context.get_usage().removeprefix("Usage:").strip()
        typer.echo(f"Cách dùng: {usage}", err=True)
        typer.echo(f"Xem «{context.command_path} --help» để được hướng dẫn.", err=True)
        typer.echo("", err=True)
    typer.echo(f"Lỗi: {message_of(error)}", err=True)


class VietnameseGroup(TyperGroup):
    """The `nhiemvu` group: Click's usage errors shown by `show`, the rest as Click does."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            if not standalone_mode:
                raise
            show(error)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            if not standalone_mode:
                raise
            error.show()
            sys.exit(error.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            typer.echo("Đã hủy.", err=True)
            sys.exit(1)
        if not standalone_mode:
            return result
        # Without standalone handling Click returns an Exit's code instead of exiting.
        sys.exit(result if isinstance(result, int) else 0)
