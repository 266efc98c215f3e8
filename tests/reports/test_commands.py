"""`nhiemvu report periods` and `nhiemvu report make` against the test database."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from cli.reports import report_app
from reports import demo as report_demo
from reports.render_docx import docx_text
from tests.world import seed_world

runner = CliRunner()


def test_periods_command_lists_the_quarters(engine: Engine) -> None:
    result = runner.invoke(report_app, ["periods", "2021", "--kind", "quarter"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["2021-Q1", "quý"]
    assert "15/12/2020 – 14/03/2021" in lines[0] and "hạn gửi 15/03/2021" in lines[0]
    bad = runner.invoke(report_app, ["periods", "2021", "--kind", "weekly"])
    assert bad.exit_code == 2 and "report.kind_unknown" in bad.output


def test_make_command_writes_the_issued_seed_report(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    seed_world(session)
    texts = tmp_path / "van-ban.json"
    texts.write_text(json.dumps(report_demo.TEXTS, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(
        report_app,
        [
            "make",
            "--kind",
            "year",
            "--period",
            "2021",
            "--unit",
            "QNG-LYSON",
            "--as-of",
            "02/11/2021",
            "--out",
            str(out),
            "--plan",
            "61/KH-UBND",
            "--issuer-code",
            "UBND",
            "--texts",
            str(texts),
            "--issue",
            "--issued-on",
            "2021-11-02",
        ],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "bao-cao-01-BC-UBND-phu-luc.xlsx",
        "bao-cao-01-BC-UBND.docx",
        "bao-cao-01-BC-UBND.md",
    ]
    text = docx_text((out / "bao-cao-01-BC-UBND.docx").read_bytes())
    assert (
        "Số: 01/BC-UBND" in text and "có 05 nhiệm vụ do UBND tỉnh, Chủ tịch UBND tỉnh giao" in text
    )
