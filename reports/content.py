"""The report's content: the typed snapshot (reports.snapshot) built from the database.

`build_snapshot` reads what a report shows as of a date (figures from reports.figures, the
office's texts from the report row) and writes its sentences with the templates in
reports/templates (body.j2 for the body, phrases.j2 for the phrases), so the wording can
change without touching a query. The writers (DOCX, Markdown, XLSX) read only the snapshot.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter
from pydantic_core import PydanticCustomError
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
from tracking.errors import InvalidInput
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

# The figures the office's texts may place (docs/domain.md, "The report's text"): only these
# two names are read, with a plain substitution, never a template; any other brace is text.
PLACEHOLDER = re.compile(r"\{(nhiem_vu|chi_tieu)(?:\.([^{}\s]*))?\}")
INDICATOR_LIST = "{chi_tieu}"  # a line of section I's text alone: the plan's sentences go here
# {nhiem_vu.<name>}: the tasks' sentence, who gave them, counts and the completion rate.
TASK_FIELDS = (
    "tinh_hinh",
    "co_quan_giao",
    "tong_so",
    "da_hoan_thanh",
    "hoan_thanh_dung_han",
    "hoan_thanh_qua_han",
    "qua_han",
    "chua_den_han",
    "thuong_xuyen",
    "den_han",
    "ty_le_hoan_thanh",
)
PLACEHOLDER_HELP = (
    "dùng {nhiem_vu.<tên>} với tên là "
    + ", ".join(TASK_FIELDS)
    + "; {chi_tieu.<mã chỉ tiêu>}; hoặc {chi_tieu} một mình trên một dòng của phần I"
)


def _placeholder_error(found: str, reason: str) -> PydanticCustomError:
    return PydanticCustomError(
        "report.placeholder_unknown",
        "Trường số liệu «{found}» {reason} ({help})",
        {"found": found, "reason": reason, "help": PLACEHOLDER_HELP},
    )


def _check_placeholders(text: str, *, list_line_allowed: bool = False) -> str:
    for match in PLACEHOLDER.finditer(text):
        namespace, name = match.groups()
        if namespace == "nhiem_vu" and name not in TASK_FIELDS:
            raise _placeholder_error(match.group(), "không có")
        if namespace == "chi_tieu" and name == "":
            raise _placeholder_error(match.group(), "thiếu mã chỉ tiêu")
    lines = text.splitlines()
    bare = text.count(INDICATOR_LIST)
    if bare and not (list_line_allowed and bare == 1 and INDICATOR_LIST in map(str.strip, lines)):
        raise _placeholder_error(
            INDICATOR_LIST, "chỉ đặt được một lần, một mình trên một dòng của phần I"
        )
    return text


def _check_results(text: str) -> str:
    return _check_placeholders(text, list_line_allowed=True)


# The office's texts of the body, which may hold placeholders (the results: also the line that
# places the plan's indicator sentences).
Body = Annotated[str, TEXT_RULE, AfterValidator(_check_placeholders)]
Results = Annotated[str, TEXT_RULE, AfterValidator(_check_results)]


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
    intro: Body = Field(default="", max_length=5000)
    results: Results = Field(default="", max_length=20000)  # section I, around the indicators
    sections: dict[str, Body] = Field(default_factory=dict)  # plan section ordinal → text
    shortcomings: Body = Field(default="", max_length=20000)  # tồn tại, hạn chế, khó khăn
    recommendations: Body = Field(default="", max_length=20000)  # kiến nghị, đề xuất
    orientation_title: Free = Field(default="", max_length=500)
    orientation: Body = Field(default="", max_length=20000)  # định hướng
    closing: Body = Field(default="", max_length=5000)

    def body_texts(self) -> dict[str, str]:
        """The texts that may hold placeholders, by their field ("sections.2")."""
        texts = {
            key: getattr(self, key)
            for key in ("intro", "results", "shortcomings", "recommendations", "orientation")
        }
        texts.update({f"sections.{key}": text for key, text in self.sections.items()})
        texts["closing"] = self.closing
        return texts

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
    """Collects the blocks body.j2 writes with its heading/paragraph/chart call blocks; what
    the office wrote gets its placeholders filled in from `values` ("{nhiem_vu.tong_so}")."""

    def __init__(self, values: dict[str, str]) -> None:
        self.blocks: list[Block] = []
        self.values = values

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
            if "{" in line:
                # A name the texts' rule did not check (a generated intro quoting the summary)
                # stays as it is.
                line = PLACEHOLDER.sub(lambda m: self.values.get(m.group(), m.group()), line)
            self.blocks.append(Block(kind="paragraph", text=line))
        return ""


@dataclass(frozen=True)
class SectionView:
    """A group of section II: a plan section, or without a plan the tasks of one issuer."""

    ordinal: int
    title: str
    counts: Counts | None
    tasks: list[TaskLine]
    text: str  # what the office wrote for it


@dataclass(frozen=True)
class OfficeFigures:
    """What the body needs besides the snapshot: the placeholders' values and where the
    office's texts put them."""

    values: dict[str, str]  # "{nhiem_vu.tong_so}" → "05"
    task_summary: str  # section II's opening sentence ({nhiem_vu.tinh_hinh})
    task_summary_placed: bool  # the office's texts state it already
    results_before: str  # section I's text before the line {chi_tieu}, when it has one
    results_after: str
    listed: list[IndicatorLine]  # the plan's sentences section I states itself


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


def _figures(computed: figures.ReportFigures) -> Figures:
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


def _givers(computed: figures.ReportFigures, issuers: list[IssuerCounts]) -> dict[int, list[str]]:
    """Who gave each issuer's tasks as the report names them: the body, then the leaders who
    gave some of them ("UBND tỉnh", "Chủ tịch UBND tỉnh")."""
    return {
        row.unit_id: [row.short_name, *computed.leaders.get(row.unit_id, [])] for row in issuers
    }


def _groups(
    *,
    session: Session,
    texts: ReportTexts,
    plan: Plan | None,
    numbers: Figures,
    issuer_of: dict[int, int],
    givers: dict[int, list[str]],
) -> list[SectionView]:
    """Section II's groups: the plan's sections (and its tasks outside them), or without a
    plan the tasks of each issuer."""
    phrases = _phrases()
    if plan is None:
        by_issuer: dict[int, list[TaskLine]] = {row.unit_id: [] for row in numbers.by_issuer}
        for task in numbers.tasks:
            by_issuer[issuer_of[task.task_id]].append(task)
        return [
            SectionView(
                ordinal=ordinal,
                title=phrases.issuer_group(givers[row.unit_id]),
                counts=row,
                tasks=by_issuer[row.unit_id],
                text="",
            )
            for ordinal, row in enumerate(numbers.by_issuer, start=1)
        ]
    section_rows = {row.section_id: row for row in numbers.by_section}
    by_section: dict[int | None, list[TaskLine]] = {}
    for task in numbers.tasks:
        by_section.setdefault(task.section_id, []).append(task)
    plan_sections = plans_service.sections(session=session, plan_id=plan.id or 0)
    groups = [
        SectionView(
            ordinal=section.ordinal,
            title=section.title,
            counts=section_rows.get(section.id),
            tasks=by_section.pop(section.id, []),
            text=texts.sections.get(str(section.ordinal), ""),
        )
        for section in plan_sections
    ]
    # Tasks of the plan in no section (a section is optional on a task) still get a group.
    others = [task for tasks in by_section.values() for task in tasks]
    if others:
        groups.append(
            SectionView(
                ordinal=(groups[-1].ordinal if groups else 0) + 1,
                title=phrases.other_tasks_group(),
                counts=section_rows.get(None),
                tasks=others,
                text="",
            )
        )
    return groups


def _office_figures(
    *,
    texts: ReportTexts,
    totals: Counts,
    indicators: list[IndicatorLine],
    givers: list[str],
    task_summary: str,
) -> OfficeFigures:
    """The placeholders' values, checked against what the office's texts name: a code the
    plan has no indicator for is refused like an unknown name (report.placeholder_unknown)."""
    task_values = {
        "tinh_hinh": task_summary,
        "co_quan_giao": ", ".join(givers),
        "tong_so": fmt.count(totals.total),
        "da_hoan_thanh": fmt.count(totals.completed),
        "hoan_thanh_dung_han": fmt.count(totals.of(Category.DONE_ON_TIME)),
        "hoan_thanh_qua_han": fmt.count(totals.of(Category.DONE_LATE)),
        "qua_han": fmt.count(totals.of(Category.OVERDUE)),
        "chua_den_han": fmt.count(totals.of(Category.IN_PROGRESS)),
        "thuong_xuyen": fmt.count(totals.of(Category.NO_DEADLINE)),
        "den_han": fmt.count(totals.due),
        "ty_le_hoan_thanh": fmt.rate(totals.completion_rate),
    }
    values = {f"{{nhiem_vu.{name}}}": value for name, value in task_values.items()}
    values.update({f"{{chi_tieu.{item.code}}}": _measure(item) for item in indicators})
    quoted: set[str] = set()
    for field, text in texts.body_texts().items():
        for match in PLACEHOLDER.finditer(text):
            namespace, name = match.groups()
            if namespace != "chi_tieu" or name is None:
                continue
            if match.group() not in values:
                raise InvalidInput(
                    "report.placeholder_unknown",
                    f"Trường số liệu «{match.group()}» không có: "
                    + (
                        f"kế hoạch không có chỉ tiêu mã «{name}»"
                        if indicators
                        else "báo cáo này không có chỉ tiêu nào"
                    ),
                    field=f"texts.{field}",
                )
            quoted.add(name)
    lines = texts.results.splitlines()
    cut = next((i for i, line in enumerate(lines) if line.strip() == INDICATOR_LIST), None)
    return OfficeFigures(
        values=values,
        task_summary=task_summary,
        task_summary_placed=any(
            "{nhiem_vu.tinh_hinh}" in text for text in texts.body_texts().values()
        ),
        results_before="\n".join(lines[:cut]) if cut is not None else "",
        results_after="\n".join(lines[cut + 1 :]) if cut is not None else texts.results,
        listed=[i for i in indicators if i.sentence != "" and i.code not in quoted],
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

    computed = figures.compute(scope, session=session)
    numbers = _figures(computed)
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
    givers = _givers(computed, numbers.by_issuer)
    sections = _groups(
        session=session,
        texts=texts,
        plan=plan,
        numbers=numbers,
        issuer_of=computed.issuer_of,
        givers=givers,
    )
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
    all_givers = list(dict.fromkeys(name for names in givers.values() for name in names))
    since = phrases.since(period_facts, as_of, report_type.length_months)
    office = _office_figures(
        texts=texts,
        totals=numbers.totals,
        indicators=indicators,
        # With no task yet, the office's sentence still names who gives them.
        givers=all_givers or [_plan_issuer(session, plan)],
        task_summary=phrases.overall(since, numbers.totals, all_givers),
    )
    body = _body(snapshot, texts=texts, sections=sections, office=office)
    return snapshot.model_copy(update={"blocks": body})


def _plan_issuer(session: Session, plan: Plan | None) -> str:
    issuer = session.get(Unit, plan.issuer_unit_id) if plan else None
    return (issuer.short_name or issuer.name) if issuer else "cấp trên"


def _body(
    snapshot: ReportSnapshot,
    *,
    texts: ReportTexts,
    sections: list[SectionView],
    office: OfficeFigures,
) -> list[Block]:
    """The body's blocks, as body.j2 writes them from everything else the snapshot holds."""
    writer = _BodyWriter(office.values)
    environment().get_template("body.j2").render(
        snapshot=snapshot, texts=texts, sections=sections, office=office, write=writer
    )
    return writer.blocks
