"""The stored snapshot: an issued report re-renders the same from what its row keeps."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session

from reports.content import snapshot_sha256
from reports.render_docx import render_docx
from reports.render_markdown import render_markdown
from reports.render_xlsx import render_xlsx
from reports.snapshot import ReportSnapshot
from tests.world import issued_seed_report

DATA = Path(__file__).parent / "data"


def test_a_snapshot_stored_before_the_typed_model_renders_as_it_did() -> None:
    """555/BC-UBND as the first release stored it (format 1, sentences written by f-strings)
    and its Markdown then: wording changes in the templates never reach an issued report."""
    stored = json.loads((DATA / "snapshot_555_format1.json").read_text(encoding="utf-8"))
    snapshot = ReportSnapshot.from_stored(stored)
    assert snapshot.as_stored() == stored
    expected = (DATA / "snapshot_555_format1.md").read_text(encoding="utf-8")
    assert render_markdown(snapshot) == expected


def test_the_typed_snapshot_is_stored_as_json_that_reads_back_the_same(
    session: Session,
) -> None:
    report = issued_seed_report(session)
    assert report.snapshot is not None
    snapshot = ReportSnapshot.from_stored(report.snapshot)
    assert snapshot.issued and snapshot.report.symbol == "555/BC-UBND"
    assert snapshot.as_stored() == report.snapshot
    assert snapshot_sha256(snapshot.as_stored()) == report.snapshot_sha256


def test_the_writers_read_the_snapshot_without_its_task_lines(session: Session) -> None:
    """The DOCX and Markdown render the same from the snapshot without figures.tasks (the
    body's sentences were written from them), so their downloads skip them; the XLSX annex
    lists them (Biểu 07)."""
    report = issued_seed_report(session)
    assert report.snapshot is not None
    full = ReportSnapshot.from_stored(report.snapshot)
    light = ReportSnapshot.for_writers(report.snapshot)
    assert full.figures.tasks and not light.figures.tasks
    assert light.model_copy(update={"figures": full.figures}) == full
    assert render_markdown(light) == render_markdown(full)
    assert render_docx(light) == render_docx(full)
    assert render_xlsx(light) != render_xlsx(full)


def test_a_body_with_no_parent_heads_the_markdown_header_alone() -> None:
    """A province's report (no parent body): the issuing body stands first, with no empty
    cell above it, as in the DOCX."""
    stored = json.loads((DATA / "snapshot_555_format1.json").read_text(encoding="utf-8"))
    snapshot = ReportSnapshot.from_stored(stored)
    header = snapshot.header.model_copy(
        update={"parent_body": "", "issuing_body": "ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI"}
    )
    lines = render_markdown(snapshot.model_copy(update={"header": header})).splitlines()
    assert lines[2] == (
        "| **ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI** | **CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM** |"
    )
    assert lines[3] == "|  | **Độc lập - Tự do - Hạnh phúc** |"
