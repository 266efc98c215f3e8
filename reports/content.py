"""The report's content as data: header, body blocks written as sentences, recipients, signature.

`build_snapshot` reads everything a report shows from the database as of a date and returns
one JSON-safe dict; the renderers (DOCX, Markdown, XLSX) read only that dict, so an issued
report renders the same from its stored snapshot whatever happens to the data later.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from models import Document, Plan, Unit
from models.reports import Report, ReportState
from reports import figures
from tracking import formatting as fmt
from tracking import plans as plans_service
from tracking import units as units_service
from tracking.documents import TYPE_CODES
from tracking.periods import Period, get_period, get_report_type
from tracking.status import Category
from tracking.validation import TEXT_RULE, xml_safe_tree

SNAPSHOT_FORMAT = 1
DRAFT_NUMBER_BLANK = "\u00a0" * 8



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
MISSING_TEXT = "(Chưa có nội dung)"


def snapshot_sha256(snapshot: dict[str, Any]) -> str:
    canonical = json.dumps(snapshot, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def document_reference(session: Session, document: Document) -> str:
    """"Kế hoạch số 61/KH-UBND ngày 10/4/2019 của UBND tỉnh"; a công văn: "Công văn số …"."""
    kind = TYPE_CODES.get(document.type_code or "", "Công văn")
    reference = f"{kind} số {document.symbol} ngày {fmt.short_date(document.issued_on)}"
    issuer = session.get(Unit, document.issuer_unit_id) if document.issuer_unit_id else None
    issuer_name = (issuer.short_name or issuer.name) if issuer else document.issuer_name
    return f"{reference} của {issuer_name}" if issuer_name else reference


def _plan_reference(session: Session, plan: Plan | None) -> str:
    if plan is None:
        return ""
    document = session.get(Document, plan.document_id) if plan.document_id else None
    return document_reference(session, document) if document else plan.title


def _since(period: Period, as_of: date, length_months: int) -> str:
    if as_of >= period.end:
        return (
            f"Trong {period.name} (từ ngày {fmt.short_date(period.start)}"
            f" đến ngày {fmt.short_date(period.end)}),"
        )
    if length_months == 12:
        return f"Từ đầu năm {period.year} đến nay,"
    return f"Từ ngày {fmt.short_date(period.start)} đến nay,"


def _status_clauses(counts: dict[str, Any]) -> list[str]:
    c = counts["counts"]
    clauses = []
    if counts["completed"]:
        clause = f"đã hoàn thành {fmt.count(counts['completed'])} nhiệm vụ"
        if c[Category.DONE_LATE]:
            clause += f" (trong đó {fmt.count(c[Category.DONE_LATE])} nhiệm vụ hoàn thành quá hạn)"
        clauses.append(clause)
    if c[Category.OVERDUE]:
        clauses.append(f"{fmt.count(c[Category.OVERDUE])} nhiệm vụ quá hạn đang thực hiện")
    if c[Category.IN_PROGRESS]:
        clauses.append(
            f"còn {fmt.count(c[Category.IN_PROGRESS])} nhiệm vụ chưa đến hạn"
            " đang tích cực triển khai thực hiện"
        )
    if c[Category.NO_DEADLINE]:
        clauses.append(f"{fmt.count(c[Category.NO_DEADLINE])} nhiệm vụ thường xuyên")
    return clauses


def overall_sentence(
    *, since: str, totals: dict[str, Any], issuers: list[str], tracked_by: str
) -> str:
    """"Từ đầu năm 2021 đến nay, qua theo dõi trên hệ thống có 05 nhiệm vụ do UBND tỉnh giao,
    đã hoàn thành 03 nhiệm vụ, còn 02 nhiệm vụ chưa đến hạn đang tích cực triển khai thực hiện."""
    given_by = f" do {', '.join(issuers)} giao" if issuers else " được giao"
    if totals["total"] == 0:
        return f"{since} {tracked_by}không có nhiệm vụ nào{given_by}."
    head = f"{since} {tracked_by}có {fmt.count(totals['total'])} nhiệm vụ{given_by}"
    return ", ".join([head, *_status_clauses(totals)]) + "."


def _task_line(task: dict[str, Any]) -> str:
    category = Category(task["category"])
    due = date.fromisoformat(task["due_on"]) if task["due_on"] else None
    due_text = f"hạn {fmt.short_date(due)}" if due else ""
    extended = ""
    if task["extensions"] and task["original_due_on"] and task["original_due_on"] != task["due_on"]:
        original = fmt.short_date(date.fromisoformat(task["original_due_on"]))
        extended = f", đã gia hạn từ {original}"
    if category in (Category.DONE_ON_TIME, Category.DONE_LATE):
        done = fmt.short_date(date.fromisoformat(task["completed_on"]))
        late = ", quá hạn" if category == Category.DONE_LATE else ""
        detail = f"đã hoàn thành ngày {done}{late}" + (f" ({due_text}{extended})" if due else "")
    elif category == Category.OVERDUE:
        days = fmt.count(task["working_days_overdue"] or 0)
        detail = f"quá hạn {days} ngày làm việc ({due_text}{extended})"
    elif category == Category.IN_PROGRESS:
        detail = f"đang thực hiện, chưa đến hạn ({due_text}{extended})"
    elif category == Category.NO_DEADLINE:
        detail = "nhiệm vụ thường xuyên, đang thực hiện"
    elif category == Category.PAUSED:
        detail = "tạm dừng"
    else:
        detail = "đã hủy"
    return f"- {task['title'].rstrip('.')}: {detail}."


def indicator_sentence(item: dict[str, Any], by_code: dict[str, dict[str, Any]]) -> str | None:
    """How section I states an indicator (None when it is only quoted by others)."""

    def show(figure: dict[str, Any], key: str = "value") -> str:
        value = figure[key]
        return "…" if value is None else fmt.value_with_unit(value, figure["unit_of_measure"])

    template = item["sentence"]
    if template == "":
        return None
    if template is None:
        text = f"{item['name']}: " + ("chưa có số liệu" if item["value"] is None else show(item))
        if item["target"] is not None:
            text += f" (chỉ tiêu: {show(item, 'target')})"
        return text + "."
    mapping = {code: show(figure) for code, figure in by_code.items()}
    mapping.update(
        value=show(item),
        target=show(item, "target"),
        note="; ".join(item["notes"]),
        name=item["name"],
    )
    return template.format_map(mapping)


def build_snapshot(*, session: Session, report: Report) -> dict[str, Any]:
    """Everything the report shows, as of report.as_of (capped at the period's cut-off)."""
    report_type = get_report_type(session=session, kind=report.kind)
    period = get_period(session=session, kind=report.kind, code=report.period_code)
    unit = units_service.get(session=session, unit_id=report.unit_id)
    plan = plans_service.get(session=session, plan_id=report.plan_id) if report.plan_id else None
    # A draft saved before the text rule existed still regenerates; issuing checks it again.
    texts = ReportTexts.model_validate(xml_safe_tree(report.texts))
    as_of = min(report.as_of, period.end)
    scope = figures.Scope(unit=unit, as_of=as_of, period_start=period.start, plan_id=report.plan_id)

    totals = figures.totals(scope, session=session).as_json()
    by_unit = figures.by_unit(scope, session=session)
    by_issuer = figures.by_issuer(scope, session=session)
    by_section = figures.by_plan_section(scope, session=session)
    tasks = figures.task_list(scope, session=session)
    indicators = (
        [
            f.as_json()
            for f in figures.indicator_figures(
                session=session,
                plan_id=plan.id or 0,
                unit=unit,
                period_kind=report.kind,
                period_code=report.period_code,
                as_of=as_of,
            )
        ]
        if plan
        else []
    )
    sections = plans_service.sections(session=session, plan_id=plan.id or 0) if plan else []
    overdue = [t for t in tasks if t["category"] == Category.OVERDUE]
    extended = [
        t
        for t in tasks
        if t["extensions"] and t["original_due_on"] and t["original_due_on"] != t["due_on"]
    ]

    plan_ref = _plan_reference(session, plan)
    period_phrase = f"trong {period.name}"
    summary = texts.summary or (
        f"Kết quả thực hiện {plan_ref} {period_phrase}"
        if plan
        else f"Tình hình thực hiện nhiệm vụ được giao {period_phrase}"
    )
    number_text = (
        fmt.symbol(report.number, report.type_code, report.issuer_code)
        if report.number is not None
        else f"{DRAFT_NUMBER_BLANK}/{report.type_code}-{report.issuer_code}"
    )
    unit_label = unit.short_name or unit.name
    blocks: list[dict[str, Any]] = []

    def heading(text: str, level: int = 1) -> None:
        blocks.append({"kind": "heading", "level": level, "text": text})

    def paragraph(text: str) -> None:
        blocks.append({"kind": "paragraph", "text": text})

    def free_text(text: str, *, placeholder: bool = False) -> None:
        lines = _lines(text)
        if not lines and placeholder:
            lines = [MISSING_TEXT]
        for line in lines:
            paragraph(line)

    intro = texts.intro or (
        f"{unit_label} báo cáo {_lower_first(summary)} như sau:"
    )
    free_text(intro)

    heading("I. Kết quả thực hiện mục tiêu, chỉ tiêu")
    by_code = {item["code"]: item for item in indicators}
    stated = 0
    for item in indicators:
        sentence = indicator_sentence(item, by_code)
        if sentence is not None:
            paragraph(f"- {sentence}")
            stated += 1
    free_text(texts.results)
    if not stated and not texts.results:
        paragraph("Chưa có số liệu chỉ tiêu cho kỳ báo cáo.")

    since = _since(period, as_of, report_type.length_months)
    issuers = [row["short_name"] for row in by_issuer]
    heading(
        "II. Kết quả thực hiện các nhiệm vụ, giải pháp"
        + (f" theo {plan_ref}" if plan else " được giao")
    )
    paragraph(
        overall_sentence(
            since=since, totals=totals, issuers=issuers, tracked_by="qua theo dõi trên hệ thống "
        )
    )
    section_counts = {row["section_id"]: row for row in by_section}
    for section in sections:
        heading(f"{section.ordinal}. {section.title}:", level=2)
        row = section_counts.get(section.id)
        section_tasks = [t for t in tasks if t["section_id"] == section.id]
        if row and row["total"]:
            clauses = _status_clauses(row)
            paragraph(
                f"Có {fmt.count(row['total'])} nhiệm vụ được giao"
                + (", " + ", ".join(clauses) if clauses else "")
                + "."
            )
        for task in section_tasks:
            paragraph(_task_line(task))
        free_text(texts.sections.get(str(section.ordinal), ""))
        if not section_tasks and not texts.sections.get(str(section.ordinal)):
            paragraph("Trong kỳ không có nhiệm vụ được giao thuộc nội dung này.")
    if not sections:
        for task in tasks:
            paragraph(_task_line(task))
    if len(by_unit) > 0:
        rates = "; ".join(
            f"{row['short_name']}: {fmt.count(row['completed'])}/{fmt.count(row['due'])}"
            f" nhiệm vụ đến hạn đã hoàn thành ({fmt.rate(row['completion_rate'])})"
            for row in by_unit
        )
        paragraph(f"Kết quả thực hiện theo đơn vị chủ trì: {rates}.")
        blocks.append({"kind": "chart", "text": "Biểu đồ: Kết quả thực hiện nhiệm vụ theo đơn vị"})
    if overdue:
        paragraph(f"Các nhiệm vụ quá hạn ({fmt.count(len(overdue))} nhiệm vụ):")
        for task in overdue:
            paragraph(
                f"- {task['title'].rstrip('.')} ({task['lead_unit_short']}): quá hạn"
                f" {fmt.count(task['working_days_overdue'] or 0)} ngày làm việc."
            )
    else:
        paragraph("Không có nhiệm vụ quá hạn.")
    if extended:
        paragraph(f"Các nhiệm vụ được gia hạn ({fmt.count(len(extended))} nhiệm vụ):")
        for task in extended:
            original = fmt.short_date(date.fromisoformat(task["original_due_on"]))
            new = fmt.short_date(date.fromisoformat(task["due_on"]))
            paragraph(
                f"- {task['title'].rstrip('.')}: hạn ban đầu {original}, hạn sau gia hạn {new}."
            )

    heading("III. Một số tồn tại, hạn chế, khó khăn")
    free_text(texts.shortcomings, placeholder=True)
    heading("IV. Kiến nghị, đề xuất")
    free_text(texts.recommendations, placeholder=True)
    heading(f"V. {texts.orientation_title or 'Định hướng nhiệm vụ, giải pháp thời gian tới'}")
    free_text(texts.orientation, placeholder=True)
    closing = texts.closing or (
        f"Trên đây là báo cáo {_lower_first(summary)} của {unit.name}"
        + (f", báo cáo {texts.addressee} tổng hợp" if texts.addressee else "")
        + "./."
    )
    free_text(closing)

    recipients = [r.strip().lstrip("-").strip().rstrip(";.") for r in texts.recipients]
    recipients = [r for r in recipients if r]
    if not any(r.startswith("Lưu") for r in recipients):
        recipients.append("Lưu: VT")

    return {
        "format": SNAPSHOT_FORMAT,
        "report": {
            "id": report.id,
            "kind": report.kind,
            "kind_name": report_type.name,
            "state": ReportState(report.state or ReportState.DRAFT).value,
            "number": report.number,
            "symbol": report.symbol,
            "as_of": report.as_of.isoformat(),
            "figures_as_of": as_of.isoformat(),
            "document_date": report.document_date.isoformat(),
        },
        "period": period.as_json(),
        "unit": {"id": unit.id, "code": unit.code, "name": unit.name, "short_name": unit_label},
        "plan": {"id": plan.id, "title": plan.title, "reference": plan_ref} if plan else None,
        "header": {
            "parent_body": unit.parent_body_name.upper(),
            "issuing_body": unit.name.upper(),
            "number_line": f"Số: {number_text}",
            "place_date": fmt.place_and_date(unit.place_name or unit.name, report.document_date),
            "document_type": "BÁO CÁO",
            "summary": summary,
            "addressee": texts.addressee,
        },
        "blocks": blocks,
        "recipients": recipients,
        "signature": texts.signature.model_dump(),
        "figures": {
            "totals": totals,
            "by_unit": by_unit,
            "by_issuer": by_issuer,
            "by_section": by_section,
            "tasks": tasks,
            "overdue": overdue,
            "extended": extended,
        },
        "indicators": indicators,
    }
