"""The command line as a user types it, against SQLite and PostgreSQL."""

import json
import mailbox
import os
import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import time_machine
from docx import Document
from sqlalchemy import Engine
from typer.testing import CliRunner

from cli import app

runner = CliRunner()

SEED_SENTENCE = (
    "Từ đầu năm 2021 đến ngày 02/11/2021, Ủy ban nhân dân huyện Lý Sơn có 05 nhiệm vụ do UBND"
    " tỉnh, Chủ tịch UBND tỉnh giao, đã hoàn thành 03 nhiệm vụ, còn 02 nhiệm vụ chưa đến hạn."
)


def test_demo_prints_the_seed_summary_and_is_idempotent(engine: Engine) -> None:
    first = runner.invoke(app, ["demo"])
    assert first.exit_code == 0, first.output
    assert "Đã tạo dữ liệu mẫu." in first.output
    assert SEED_SENTENCE in first.output
    # The seed report is issued and written; the week's reminders reach a local mail server.
    data_dir = Path(os.environ["NHIEMVU_DATA_DIR"])
    assert "Báo cáo số 555/BC-UBND ngày 02/11/2021 đã được soạn:" in first.output
    docx = data_dir / "reports" / "bao-cao-555-BC-UBND.docx"
    text = "\n".join(p.text for p in Document(str(docx)).paragraphs)
    assert "Lý Sơn, ngày 02 tháng 11 năm 2021" in text or "Lý Sơn, ngày 02 tháng 11 năm 2021" in (
        "\n".join(c.text for t in Document(str(docx)).tables for r in t.rows for c in r.cells)
    )
    mails = list(mailbox.Maildir(data_dir / "demo-mail", create=False))
    assert len(mails) == 20
    assert "gửi 20 thư tới máy chủ thư cục bộ" in first.output
    subjects = {str(make_header(decode_header(m["Subject"]))) for m in mails}
    assert "[Nhắc việc] 1 nhiệm vụ cần xử lý (1 quá hạn) - ngày 29 tháng 10 năm 2021" in subjects
    # The mailbox summed up by kind of reminder and by recipient (tests/notifications/
    # test_demo_mailbox.py reads the messages themselves).
    assert (
        "  Hộp thư có 20 thư nhắc việc của hai tuần (còn 3 ngày làm việc: 4 thư; còn 1 ngày làm"
        " việc: 4 thư; đến hạn hôm nay: 3 thư; quá hạn: 7 thư; báo lên cấp trên: 4 thư)."
    ) in first.output
    assert (
        "  Tới UBND huyện Lý Sơn và các phòng: 13 thư; tới các cơ quan cấp tỉnh: 7 thư."
        in first.output
    )

    second = runner.invoke(app, ["demo"])
    assert second.exit_code == 0, second.output
    assert "Dữ liệu mẫu đã có sẵn." in second.output
    assert SEED_SENTENCE in second.output
    assert "lập 0 thư mới, gửi 0 thư" in second.output
    assert len(list(mailbox.Maildir(data_dir / "demo-mail", create=False))) == 20
    assert "  Hộp thư có 20 thư nhắc việc của hai tuần (" in second.output

    status = runner.invoke(
        app, ["status", "--as-of", "2021-11-02", "--unit", "QNG-LYSON", "--json"]
    )
    assert status.exit_code == 0, status.output
    counts = json.loads(status.output)
    # The report's five tasks from the province in 2021 (3 done, 2 not due), and the three of
    # the district's own plan of 2020 the demo's reminders are about, overdue by then.
    assert counts["counts"]["done_on_time"] == 3 and counts["counts"]["in_progress"] == 2
    assert counts["counts"]["overdue"] == 3
    assert counts["total"] == 8 and counts["unit"] == "QNG-LYSON"
    # The whole province includes the department's overdue tasks: of 30/9 and of 27/10.
    province = json.loads(runner.invoke(app, ["status", "--as-of", "02/11/2021", "--json"]).output)
    assert province["total"] == 11 and province["counts"]["overdue"] == 5

    listing = runner.invoke(app, ["tasks", "--as-of", "2021-11-02", "--unit", "QNG-LYSON"])
    assert listing.exit_code == 0
    assert "hạn 30/11/2021 (hạn ban đầu 01/11/2021)" in listing.output
    assert listing.output.count("Hoàn thành đúng hạn") == 3
    # Completed tasks show the day, late ones the working days late (the department's task).
    assert listing.output.count("; hoàn thành ") == 3
    everything = runner.invoke(app, ["tasks", "--as-of", "2021-11-02"])
    assert re.search(r"; trễ \d+ ngày làm việc", everything.output), everything.output


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["calendar", "due", "2026-02-12", "--working-days", "3"], "2026-02-24"),
        (["calendar", "due", "09/01/2026", "--working-days", "1"], "2026-01-10"),
        (["calendar", "due", "2026-02-04", "--days", "10"], "2026-02-23"),
    ],
)
def test_calendar_due(engine: Engine, arguments: list[str], expected: str) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == expected


def test_calendar_set_and_list(engine: Engine) -> None:
    result = runner.invoke(
        app, ["calendar", "set", "2026-11-25", "--day-off", "--note", "Nghỉ do bão"]
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(app, ["calendar", "list", "2026"])
    assert "2026-11-25 T4  nghỉ      Nghỉ do bão" in listing.output
    assert "2026-01-10 T7  làm việc" in listing.output
    due = runner.invoke(app, ["calendar", "due", "2026-11-24", "--working-days", "1"])
    assert due.output.strip() == "2026-11-26"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["calendar", "due", "2026-02-12"], "calendar.rule_required"),
        (["calendar", "due", "2026-02-12", "--days", "-1"], "calendar.count_out_of_range"),
        (["calendar", "set", "2026-11-25", "--note", "x"], "calendar.kind_required"),
        (["calendar", "set", "2026-11-25", "--working"], "calendar.note_required"),
        (["status", "--as-of", "2021-11-02", "--unit", "KHONG-CO"], "unit.not_found"),
        (["status", "--as-of", "2021-13-45"], "không phải ngày hợp lệ"),
    ],
)
def test_errors_are_one_line_on_stderr_without_traceback(
    engine: Engine, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_zalo_token_is_asked_for_and_stored_with_an_audit_event(engine: Engine) -> None:
    from sqlmodel import Session, select

    from models import AuditEvent, ZaloToken

    result = runner.invoke(
        app, ["zalo-token", "1234567890", "--expires-in", "3600"], input="AT-1\nRT-1\n"
    )
    assert result.exit_code == 0, result.output
    assert "AT-1" not in result.output and "RT-1" not in result.output  # hidden input
    with Session(engine) as session:
        token = session.exec(select(ZaloToken)).one()
        assert (token.oa_id, token.access_token, token.refresh_token) == (
            "1234567890",
            "AT-1",
            "RT-1",
        )
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "zalo.save_tokens")
        ).one()
        assert event.after == {"oa_id": "1234567890", "version": token.version}
    empty = runner.invoke(app, ["zalo-token", " ", "--access-token", "a", "--refresh-token", "b"])
    assert empty.exit_code == 2 and "zalo.token_missing" in empty.stderr


def test_serve_refuses_several_workers_with_the_flows(engine: Engine) -> None:
    # The scheduled flows run inside the one API process: several would each run them.
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers lớn hơn 1 chỉ dùng cùng --no-flows" in result.output


@pytest.mark.parametrize(
    ("instant", "today"),
    [
        # 23:30 in Hà Nội: still the 2nd there; 01:00 there on the 3rd is the 2nd in UTC.
        (datetime(2026, 12, 2, 16, 30, tzinfo=UTC), "2026-12-02"),
        (datetime(2026, 12, 2, 18, 0, tzinfo=UTC), "2026-12-03"),
    ],
)
def test_status_and_tasks_count_as_of_today_in_vietnam_by_default(
    engine: Engine, instant: datetime, today: str
) -> None:
    with time_machine.travel(instant, tick=False):
        status = runner.invoke(app, ["status", "--json"])
        listing = runner.invoke(app, ["tasks"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["as_of"] == today
    assert listing.exit_code == 0, listing.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["report", "make", "--kind", "year"], "Lỗi: Thiếu tùy chọn «--period»."),
        (
            ["tasks", "--as-off", "2021-11-02"],
            "Không có tùy chọn «--as-off». Có phải ý bạn là «--as-of»?",
        ),
        (["tasks", "--unit"], "Lỗi: Tùy chọn «--unit» cần một giá trị."),
        (
            ["calendar", "due", "2026-01-09", "--working-days", "ba"],
            "Lỗi: Giá trị không hợp lệ cho «--working-days»: cần một số nguyên",
        ),
        (
            ["status", "--as-of", "31/02/2021"],
            "Giá trị không hợp lệ cho «--as-of»: Ngày: «31/02/2021»",
        ),
        (["calendar", "list", "2026", "2027"], "Lỗi: Thừa tham số: 2027."),
        (["lich"], "Lỗi: Không có lệnh «lich»."),
    ],
)
def test_the_parser_speaks_vietnamese(arguments: list[str], message: str) -> None:
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2
    assert message in result.stderr
    for english in ("Missing option", "Invalid value", "No such", "Usage:", "Try '", "Error:"):
        assert english not in result.stderr


def test_report_kinds_prints_each_code_with_its_name(engine: Engine) -> None:
    result = runner.invoke(app, ["report", "kinds"])
    assert result.exit_code == 0, result.output
    lines = [line.split(maxsplit=1) for line in result.output.splitlines()]
    assert lines[0] == ["month", "Báo cáo định kỳ hằng tháng"]
    assert ["year", "Báo cáo định kỳ hằng năm"] in lines
