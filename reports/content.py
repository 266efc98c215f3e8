"""The report's content: the typed snapshot (reports.snapshot) built from the database.

`build_snapshot` reads what a report shows as of a date (figures from reports.figures, the
office's texts from the report row) and writes its sentences with the templates in
reports/templates (body.j2 for the body, phrases.j2 for the phrases), so the wording can
change without touching a query. The writers (DOCX, Markdown, XLSX) read only the snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from sqlmodel import Session

from models import Document, Plan, Unit
from models.reports import Report, ReportState
from reports import figures
from reports.snapshot import (
    Block,
    Counts,
    Figures,
    Header,
    IndicatorLine,
    IssuerCounts,
    PeriodFacts,
    PlanFacts,
    ReportFacts,
    ReportSnapshot,
    SectionCounts,
    SignatureFacts,
    TaskLine,
    UnitCounts,
    UnitFacts,
)
from tracking import formatting as fmt
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.documents import TYPE_CODES
from tracking.periods import get_period, get_report_type
from tracking.status import Category
from tracking.validation import TEXT_RULE, xml_safe_tree

TEMPLATES = Path(__file__).parent / "templates"
DRAFT_NUMBER_BLANK = "\u00a0" * 8
DOCUMENT_TYPE = "BÁO CÁO"
FILING_RECIPIENT = "Lưu: VT"  # the office's own copy, added when the list does not name one


# What the office writes goes through tracking.validation's rule here too: the command line
# (`report make --texts`) reaches the service without the API's types.
Free = Annotated[str, TEXT_RULE]


class Signature(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    authority: Free = Field(default="", max_length=200)  # "TM. ỦY BAN NHÂN DÂN"
    deputy: Free = Field(default="", max_length=200)  # "KT. CHỦ TỊCH"
    title: Free = Field(default="", max_length=200)  # "PHÓ CHỦ TỊCH"
    name: Free = Field(default="", max_length=200)  # "Lê Văn Ninh"


class ReportTexts(BaseModel):
    """What the office writes; each multi-line text is one paragraph per line."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    summary: Free = Field(default="", max_length=1000)  # trích yếu; empty = generated
    addressee: Free = Field(default="", max_length=500)  # "Kính gửi: …" when sent upward
    intro: Free = Field(default="", max_length=5000)
    results: Free = Field(default="", max_length=20000)  # section I after the indicators
    sections: dict[str, Free] = Field(default_factory=dict)  # plan section ordinal → text
    shortcomings: Free = Field(default="", max_length=20000)  # tồn tại, hạn chế, khó khăn
    recommendations: Free = Field(default="", max_length=20000)  # kiến nghị, đề xuất
    orientation_title: Free = Field(default="", max_length=500)
    orientation: Free = Field(default="", max_length=20000)  # định hướng
    closing: Free = Field(default="", max_length=5000)
    recipients: list[Free] = Field(default_factory=list, max_length=50)
    signature: Signature = Field(default_factory=Signature)


REQUIRED_TO_ISSUE: dict[str, str] = {
    "shortcomings": "Tồn tại, hạn chế, khó khăn",
    "recommendations": "Kiến nghị, đề xuất",
    "orientation": "Định hướng nhiệm vụ, giải pháp",
}


def snapshot_sha256(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _measure(item: IndicatorLine, key: str = "value") -> str:
    """An indicator's value (or target) with its unit of measure; "…" when there is none."""
    value: float | None = getattr(item, key)
    return "…" if value is None else fmt.value_with_unit(value, item.unit_of_measure)


def _plan_sentence(item: IndicatorLine, indicators: list[IndicatorLine]) -> str:
    """The plan's own sentence for an indicator, its placeholders filled in."""
    assert item.sentence is not None  # phrases.j2 writes the others itself
    mapping = {other.code: _measure(other) for other in indicators}
    mapping.update(
        value=_measure(item),
        target=_measure(item, "target"),
        note="; ".join(item.notes),
        name=item.name,
    )
    return item.sentence.format_map(mapping)


FILTERS: dict[str, Callable[..., str | list[str]]] = {
    "count": fmt.count,
    "rate": fmt.rate,
    "short_date": fmt.short_date,
    "long_date": fmt.long_date,
    "lower_first": _lower_first,
    "lines": _lines,
    "measure": _measure,
    "plan_sentence": _plan_sentence,
}


@lru_cache
def environment() -> Environment:
    """Plain text (the writers escape for DOCX and Markdown themselves); a missing value is an
    error, never an empty string in an official document."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
    )
    env.filters.update(FILTERS)
    return env


def _phrases() -> Any:
    """phrases.j2's macros, each callable as a function returning its text."""
    return environment().get_template("phrases.j2").module


class _BodyWriter:
    """Collects the blocks body.j2 writes with its heading/paragraph/chart call blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def heading(self, level: int, *, caller: Callable[[], str]) -> str:
        self.blocks.append(Block(kind="heading", level=level, text=caller()))
        return ""

    def paragraph(self, *, caller: Callable[[], str]) -> str:
        self.blocks.append(Block(kind="paragraph", text=caller()))
        return ""

    def paragraphs(self, phrase: Callable[[Any], str], items: Iterable[Any]) -> str:
        for item in items:
            self.blocks.append(Block(kind="paragraph", text=phrase(item)))
        return ""

    def chart(self, *, caller: Callable[[], str]) -> str:
        self.blocks.append(Block(kind="chart", text=caller()))
        return ""

    def free_text(self, text: str) -> str:
        """What the office wrote: one paragraph per non-empty line."""
        for line in _lines(text):
            self.blocks.append(Block(kind="paragraph", text=line))
        return ""


@dataclass(frozen=True)
class SectionView:
    """A plan section as section II shows it."""

    ordinal: int
    title: str
    counts: SectionCounts | None
    tasks: list[TaskLine]
    text: str  # what the office wrote for it


def document_reference(session: Session, document: Document) -> str:
    """How the report names a document: "Kế hoạch số 61/KH-UBND ngày 10/4/2019 của UBND tỉnh"."""
    issuer = session.get(Unit, document.issuer_unit_id) if document.issuer_unit_id else None
    issuer_name = (issuer.short_name or issuer.name) if issuer else document.issuer_name
    reference: str = _phrases().document_reference(
        TYPE_CODES.get(document.type_code or ""),
        document.symbol,
        document.issued_on,
        issuer_name,
    )
    return reference


def _plan_reference(session: Session, plan: Plan) -> str:
    document = session.get(Document, plan.document_id) if plan.document_id else None
    return document_reference(session, document) if document else plan.title


# The task lines validated as one list: a third faster than one by one.
TASK_LINES = TypeAdapter(list[TaskLine])


def _figures(scope: figures.Scope, *, session: Session) -> Figures:
    computed = figures.compute(scope, session=session)
    tasks = TASK_LINES.validate_python(computed.tasks)
    return Figures(
        totals=Counts.model_validate(computed.totals.as_json()),
        by_unit=[UnitCounts.model_validate(r) for r in computed.by_unit],
        by_issuer=[IssuerCounts.model_validate(r) for r in computed.by_issuer],
        by_section=[SectionCounts.model_validate(r) for r in computed.by_section],
        tasks=tasks,
        overdue=[t for t in tasks if t.category == Category.OVERDUE],
        extended=[t for t in tasks if t.was_extended],
    )


def _recipients(texts: ReportTexts) -> list[str]:
    """The office's list without its own bullets and punctuation (the writers add them)."""
    recipients = [r.strip().lstrip("-").strip().rstrip(";.") for r in texts.recipients]
    recipients = [r for r in recipients if r]
    if not any(r.startswith("Lưu") for r in recipients):
        recipients.append(FILING_RECIPIENT)
    return recipients


def build_snapshot(*, session: Session, report: Report) -> ReportSnapshot:
    """Everything the report shows, as of report.as_of (capped at the period's cut-off)."""
    report_type = get_report_type(session=session, kind=report.kind)
    period = get_period(session=session, kind=report.kind, code=report.period_code)
    unit = units_service.get(session=session, unit_id=report.unit_id)
    plan = plans_service.get(session=session, plan_id=report.plan_id) if report.plan_id else None
    # A draft saved before the text rule existed still regenerates; issuing checks it again.
    texts = ReportTexts.model_validate(xml_safe_tree(report.texts))
    as_of = min(report.as_of, period.end)
    scope = figures.Scope(unit=unit, as_of=as_of, period_start=period.start, plan_id=report.plan_id)

    numbers = _figures(scope, session=session)
    indicators = (
        figures.indicator_figures(
            session=session,
            plan_id=plan.id or 0,
            unit=unit,
            period_kind=report.kind,
            period_code=report.period_code,
            as_of=as_of,
        )
        if plan
        else []
    )
    section_rows = {row.section_id: row for row in numbers.by_section}
    plan_sections = plans_service.sections(session=session, plan_id=plan.id or 0) if plan else []
    sections = [
        SectionView(
            ordinal=section.ordinal,
            title=section.title,
            counts=section_rows.get(section.id),
            tasks=[t for t in numbers.tasks if t.section_id == section.id],
            text=texts.sections.get(str(section.ordinal), ""),
        )
        for section in plan_sections
    ]
    plan_facts = (
        PlanFacts(id=plan.id, title=plan.title, reference=_plan_reference(session, plan))
        if plan
        else None
    )
    period_facts = PeriodFacts.model_validate(period.as_json())
    phrases = _phrases()
    summary: str = texts.summary or phrases.summary(plan_facts, period_facts)
    number = (
        fmt.symbol(report.number, report.type_code, report.issuer_code)
        if report.number is not None
        else f"{DRAFT_NUMBER_BLANK}/{report.type_code}-{report.issuer_code}"
    )
    snapshot = ReportSnapshot(
        report=ReportFacts(
            id=report.id,
            kind=report.kind,
            kind_name=report_type.name,
            state=ReportState(report.state or ReportState.DRAFT).value,
            number=report.number,
            symbol=report.symbol,
            as_of=report.as_of,
            figures_as_of=as_of,
            document_date=report.document_date,
        ),
        period=period_facts,
        unit=UnitFacts(
            id=unit.id, code=unit.code, name=unit.name, short_name=unit.short_name or unit.name
        ),
        plan=plan_facts,
        header=Header(
            parent_body=unit.parent_body_name.upper(),
            issuing_body=unit.name.upper(),
            number_line=phrases.number_line(number),
            place_date=fmt.place_and_date(unit.place_name or unit.name, report.document_date),
            document_type=DOCUMENT_TYPE,
            summary=summary,
            addressee=texts.addressee,
        ),
        blocks=[],
        recipients=_recipients(texts),
        signature=SignatureFacts.model_validate(texts.signature.model_dump()),
        figures=numbers,
        indicators=indicators,
    )
    body = _body(snapshot, texts=texts, sections=sections, length_months=report_type.length_months)
    return snapshot.model_copy(update={"blocks": body})


def _body(
    snapshot: ReportSnapshot, *, texts: ReportTexts, sections: list[SectionView], length_months: int
) -> list[Block]:
    """The body's blocks, as body.j2 writes them from everything else the snapshot holds."""
    writer = _BodyWriter()
    environment().get_template("body.j2").render(
        snapshot=snapshot, texts=texts, sections=sections, length_months=length_months, write=writer
    )
    return writer.blocks
