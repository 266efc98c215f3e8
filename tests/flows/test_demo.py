"""`nhiemvu demo --flows` (what `make demo` runs): the day's three flows through Prefect."""

import mailbox
import os
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def test_demo_runs_the_days_flows_once_and_a_second_demo_adds_nothing(
    engine: Engine, prefect_harness: None
) -> None:
    first = runner.invoke(app, ["demo", "--flows"])
    assert first.exit_code == 0, first.output
    assert (
        "report-drafting [Completed]: soạn 1 dự thảo báo cáo (2021-M10), 1 thư báo" in first.output
    )
    assert "daily-sweep [Completed]: tạo 2 nhiệm vụ định kỳ (2021-M10, 2021-M11)" in first.output
    assert "delivery [Completed]: gửi 1 thư" in first.output
    maildir = Path(os.environ["NHIEMVU_DATA_DIR"]) / "demo-mail"
    received = len(list(mailbox.Maildir(maildir, create=False)))
    assert received >= 2  # the report notice and the replayed reminders

    second = runner.invoke(app, ["demo", "--flows"])
    assert second.exit_code == 0, second.output
    assert "soạn 0 dự thảo báo cáo" in second.output
    assert "tạo 0 nhiệm vụ định kỳ" in second.output
    assert "lập 0 thư mới, gửi 0 thư" in second.output
    assert len(list(mailbox.Maildir(maildir, create=False))) == received
