"""`nhiemvu obligation add/list/stop` on both databases."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cli import app
from tests.world import make_world


def test_define_list_and_stop_a_duty(engine: Engine) -> None:
    with Session(engine) as session:
        make_world(session)
    runner = CliRunner()
    added = runner.invoke(
        app,
        [
            "obligation",
            "add",
            "--title",
            "Báo cáo kết quả thực hiện Kế hoạch 61",
            "--kind",
            "year",
            "--unit",
            "P-D",
            "--issuer",
            "P",
            "--recipient",
            "Sở Thông tin và Truyền thông",
            "--issuer-code",
            "STTTT",
            "--starts",
            "01/01/2021",
        ],
    )
    assert added.exit_code == 0, added.output
    assert "Đã thêm nghĩa vụ báo cáo #1" in added.output
    bad = runner.invoke(
        app,
        [
            "obligation",
            "add",
            "--title",
            "Báo cáo tuần",
            "--kind",
            "week",
            "--unit",
            "P-D",
            "--issuer",
            "P",
        ],
    )
    assert bad.exit_code == 2 and "[report.kind_unknown]" in bad.output
    listed = runner.invoke(app, ["obligation", "list", "--unit", "P-D"])
    assert (
        "#1 [year, đang áp dụng, phiên bản 1] Báo cáo kết quả thực hiện Kế hoạch 61 — gửi Sở "
        "Thông tin và Truyền thông" in listed.output
    )
    stale = runner.invoke(app, ["obligation", "stop", "1", "--version", "7"])
    assert stale.exit_code == 2 and "[obligation.stale_version]" in stale.output
    stopped = runner.invoke(app, ["obligation", "stop", "1", "--version", "1"])
    assert stopped.exit_code == 0
    assert "đã dừng" in runner.invoke(app, ["obligation", "list"]).output
