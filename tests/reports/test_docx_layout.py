"""The report's PDF (LibreOffice) breaks its pages as a clerk would: no page holds only the
signature block and "Nơi nhận", and no heading or lead-in line ends a page.

Checked on the seed report and on a province-wide draft long enough to break pages in many
places (many tasks, overdue and extended ones). Needs `soffice` and poppler-utils (pdftotext).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session

from models import Report, UnitKind
from models.db import make_engine
from reports import demo as report_demo
from reports import screenshots, service
from reports.pdf import docx_to_pdf, libreoffice_binary
from reports.snapshot import ReportSnapshot
from tests.world import ACTOR, WorldBuilder, issued_seed_report
from tracking import demo as task_demo
from tracking import plans, tasks
from tracking.deadlines import DeadlineRule

MISSING = [tool for tool in ("pdfinfo", "pdftotext") if shutil.which(tool) is None]
MM = 72 / 25.4
COLUMN_BOUNDARY = (30 + 62) * MM  # left margin + the header's left column
SPACES = re.compile(r"\s+")
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)

LONG_TITLE = (
    "Triển khai nền tảng tích hợp, chia sẻ dữ liệu và kết nối các hệ thống thông tin dùng chung"
    " của tỉnh với cơ sở dữ liệu quốc gia về dân cư, đất đai và doanh nghiệp tại {unit}, lần {n}"
)


def province_draft(session: Session, *, tasks_per_unit: int = 12) -> Report:
    """The seed world plus districts with many tasks of the province in Plan 61's sections
    (done, overdue, extended, not yet due), and the province's draft report of 2021 on the
    plan, with no signer given; committed."""
    world = task_demo.build(session=session)
    plan = report_demo.add_to_world(session=session).plan
    sections = plans.sections(session=session, plan_id=plan.id or 0)
    build = WorldBuilder(session)
    leads = [world.department, world.district]
    for index, name in enumerate(("Bình Sơn", "Sơn Tịnh", "Tư Nghĩa", "Mộ Đức")):
        leads.append(
            build.unit(
                f"QNG-H{index}",
                f"Ủy ban nhân dân huyện {name}",
                UnitKind.DISTRICT,
                parent=world.province,
                short_name=f"UBND huyện {name}",
            )
        )
    for lead in leads:
        for n in range(tasks_per_unit):
            kind = n % 4  # done, overdue, extended, not yet due
            due = date(2021, 12, 20) if kind == 3 else date(2021, 3 + n % 6, 10 + n)
            task = tasks.assign(
                session=session,
                actor=ACTOR,
                title=LONG_TITLE.format(unit=lead.name, n=n + 1),
                issuer_unit_id=world.province.id or 0,
                lead_unit_id=lead.id or 0,
                deadline=DeadlineRule.fixed(due),
                assigned_on=date(2021, 2, 1 + n),
                section_id=sections[n % len(sections)].id,
            )
            changes = {"session": session, "actor": ACTOR, "task_id": task.id or 0}
            if kind == 0:
                task = tasks.report_completion(
                    **changes,
                    expected_version=task.version,
                    completed_on=date(2021, 3, 1),
                    reported_on=date(2021, 3, 1),
                    result="Đã hoàn thành",
                )
                tasks.confirm_completion(
                    **changes, expected_version=task.version, confirmed_on=date(2021, 3, 2)
                )
            elif kind == 2:
                extension = tasks.request_extension(
                    **changes,
                    expected_version=task.version,
                    proposed_due_on=date(2021, 12, 1 + n),
                    requested_on=date(2021, 2, 20),
                    reason="Chờ hướng dẫn của bộ, ngành",
                )
                tasks.approve_extension(
                    session=session,
                    actor=ACTOR,
                    extension_id=extension.id or 0,
                    expected_version=task.version,
                    decided_on=date(2021, 2, 25),
                )
    session.commit()
    draft = service.create_draft(
        session=session,
        actor=ACTOR,
        kind="year",
        period_code="2021",
        unit_id=world.province.id or 0,
        as_of=date(2021, 11, 2),
        plan_id=plan.id,
        issuer_code="UBND",
    )
    session.commit()
    return draft


@dataclass(frozen=True)
class Laid:
    """A report laid out by LibreOffice: its snapshot, PDF and the text of each page."""

    snapshot: ReportSnapshot
    pdf: Path
    pages: list[list[str]]  # the lines of each page, spaces collapsed, page numbers left out


def _pages(pdf: Path) -> list[list[str]]:
    pages = []
    for page in range(1, screenshots.page_count(pdf) + 1):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lines = [SPACES.sub(" ", line).strip() for line in text.splitlines()]
        pages.append([line for line in lines if line and not line.isdigit()])
    return pages


@pytest.fixture(scope="module")
def laid_out(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Laid]:
    """The seed report (issued first: its snapshot is frozen) and the province's long draft,
    converted once: LibreOffice takes seconds to start. Laid out the same whatever the
    database, so on SQLite only."""
    if libreoffice_binary() is None:
        pytest.skip(
            "LibreOffice (soffice) không có trên PATH: apt-get install libreoffice-writer-nogui"
        )
    if MISSING:
        pytest.skip(f"Thiếu {', '.join(MISSING)}: apt-get install poppler-utils")
    folder = tmp_path_factory.mktemp("layout")
    database = folder / "nhiemvu.db"
    shutil.copy(sqlite_template, database)
    engine = make_engine(f"sqlite:///{database}")
    laid: dict[str, Laid] = {}
    with Session(engine) as session:
        for name, make in (("seed", issued_seed_report), ("province", province_draft)):
            report = make(session)
            assert report.snapshot is not None
            docx = service.render(session=session, report_id=report.id or 0, fmt="docx").content
            pdf = folder / f"{name}.pdf"
            pdf.write_bytes(docx_to_pdf(docx))
            snapshot = ReportSnapshot.from_stored(report.snapshot)
            laid[name] = Laid(snapshot, pdf, _pages(pdf))
    engine.dispose()
    return laid


def kept_texts(snapshot: ReportSnapshot) -> list[str]:
    """The headings and lead-ins (paragraphs ending in ":"), spaces collapsed."""
    return [
        SPACES.sub(" ", block.text).strip()
        for block in snapshot.blocks
        if block.kind == "heading" or (block.kind == "paragraph" and block.text.endswith(":"))
    ]


def page_ends_with_kept_line(lines: list[str], kept: list[str]) -> str | None:
    """The heading or lead-in whose line (its whole, its first, a middle or its last line)
    ends the page, if one does."""
    last = lines[-1]
    return next((text for text in kept if last in text), None)


def _closing_tail(snapshot: ReportSnapshot) -> str:
    paragraphs = [block.text for block in snapshot.blocks if block.kind == "paragraph"]
    return " ".join(paragraphs[-1].split()[-3:])


def test_the_checks_see_a_bad_page_end() -> None:
    kept = ["II. Kết quả thực hiện các nhiệm vụ, giải pháp theo Kế hoạch số 61/KH-UBND"]
    page = ["- Tỷ lệ gửi văn bản điện tử được ký số của UBND huyện đạt khoảng 99,5%.", "II. Kết"]
    assert page_ends_with_kept_line(page, kept) == kept[0]
    page[-1] = "quả thực hiện các nhiệm vụ, giải pháp theo Kế hoạch số 61/KH-UBND"
    assert page_ends_with_kept_line(page, kept) == kept[0]
    assert page_ends_with_kept_line(page[:1], kept) is None


@pytest.mark.parametrize("which", ["seed", "province"])
def test_no_heading_or_lead_in_ends_a_page(laid_out: dict[str, Laid], which: str) -> None:
    laid = laid_out[which]
    kept = kept_texts(laid.snapshot)
    assert any(text.endswith(":") for text in kept)  # the reports have lead-ins to keep
    ends = {
        number: page_ends_with_kept_line(lines, kept)
        for number, lines in enumerate(laid.pages[:-1], start=1)
    }
    assert {number: text for number, text in ends.items() if text} == {}


@pytest.mark.parametrize("which", ["seed", "province"])
def test_the_signature_page_holds_the_body_s_end(laid_out: dict[str, Laid], which: str) -> None:
    """The last page has the end of the closing paragraph above "Nơi nhận:" and the signature
    block: never the block alone."""
    laid = laid_out[which]
    assert len(laid.pages) >= (10 if which == "province" else 3)  # breaks in many places
    signed = [n for n, lines in enumerate(laid.pages) if any("Nơi nhận:" in x for x in lines)]
    assert signed == [len(laid.pages) - 1]
    last = laid.pages[-1]
    above = last[: next(i for i, line in enumerate(last) if "Nơi nhận:" in line)]
    assert above, "the last page holds only the signature block and Nơi nhận"
    assert _closing_tail(laid.snapshot) in " ".join(above)


def _words(pdf: Path, page: int) -> list[tuple[float, float, str]]:
    """(x_min, y_min, text) of each word on a page, in points from the top left."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [(float(a), float(b), html.unescape(t)) for a, b, _, _, t in WORD.findall(out)]


def _at(words: list[tuple[float, float, str]], text: str) -> tuple[float, float]:
    return next((x, y) for x, y, word in words if word == text)


def test_a_province_s_header_and_placeholder_signature(laid_out: dict[str, Laid]) -> None:
    """No parent body: "ỦY BAN NHÂN DÂN" heads the left column on the national title's line,
    "TỈNH QUẢNG NGÃI" on the next; a draft without a signer gets the committee's lines."""
    laid = laid_out["province"]
    assert laid.snapshot.header.parent_body == ""
    page1 = _words(laid.pdf, 1)
    organ_x, organ_y = _at(page1, "ỦY")
    _, nation_y = _at(page1, "CỘNG")
    place_x, place_y = _at(page1, "TỈNH")
    _, name_y = _at(page1, "NGÃI")
    assert organ_x < COLUMN_BOUNDARY and place_x < COLUMN_BOUNDARY
    assert abs(organ_y - nation_y) < 4  # no empty line above the issuing body
    assert 10 < place_y - organ_y < 20 and abs(name_y - place_y) < 1  # one line each
    last = laid.pages[-1]
    assert any("TM. ỦY BAN NHÂN DÂN" in line for line in last)
    assert any(line.endswith("CHỦ TỊCH") for line in last)


@pytest.mark.parametrize("which", ["seed", "province"])
def test_no_document_symbol_is_broken_over_two_lines(laid_out: dict[str, Laid], which: str) -> None:
    broken = [
        line
        for lines in laid_out[which].pages
        for line in lines
        if re.search(r"\d+/\w+-$", line)  # "… Kế hoạch số 61/KH-" / "UBND …"
    ]
    assert broken == []
    assert any("61/KH-UBND" in line for lines in laid_out[which].pages for line in lines)
