"""The report snapshot, typed: everything a report shows, as stored in the report row.

reports.content builds it (figures from reports.figures, sentences from the templates); the
writers (DOCX, Markdown, XLSX) read only it. It is stored as JSON (`as_stored`) and read back
with `from_stored`, so an issued report renders the same from its frozen snapshot whatever
happens to the data or the wording later. Format 1 is the shape stored since reports exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tracking.status import Category
from tracking.validation import xml_safe_tree

SNAPSHOT_FORMAT: Literal[1] = 1


class Stored(BaseModel):
    """A part of the stored snapshot: exactly the stored keys, read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Counts(Stored):
    """Tasks per category (keys are tracking.status.Category values) and the rates."""

    counts: dict[str, int]
    total: int
    completed: int
    due: int
    due_soon: int
    completion_rate: float | None
    on_time_rate: float | None

    def of(self, category: Category) -> int:
        return self.counts[category.value]


class UnitCounts(Counts):
    """One lead unit of the subtree."""

    unit_id: int
    code: str
    name: str
    short_name: str


class IssuerCounts(Counts):
    """One body that gave tasks."""

    unit_id: int
    name: str
    short_name: str


class SectionCounts(Counts):
    """One plan section (or the tasks outside any plan or section)."""

    plan_id: int | None
    plan_title: str
    section_id: int | None
    ordinal: int | None
    section_title: str


class TaskLine(Stored):
    """One task in scope with its category and deadlines on the figures' date."""

    task_id: int
    title: str
    section_id: int | None
    lead_unit: str
    lead_unit_short: str
    assigned_on: date
    original_due_on: date | None
    due_on: date | None
    category: Category
    completed_on: date | None
    confirmed_on: date | None
    extensions: int
    working_days_overdue: int | None

    @property
    def was_extended(self) -> bool:
        """An approved extension moved the deadline in force."""
        return bool(
            self.extensions and self.original_due_on and self.original_due_on != self.due_on
        )


class IndicatorLine(Stored):
    """One indicator of the plan with the subtree's value for the period."""

    id: int
    code: str
    name: str
    unit_of_measure: str
    target: float | None
    aggregation: str
    sentence: str | None  # the plan's own wording; "" = only quoted by others
    value: float | None
    units_reporting: int
    notes: list[str]


class Figures(Stored):
    totals: Counts
    by_unit: list[UnitCounts]
    by_issuer: list[IssuerCounts]
    by_section: list[SectionCounts]
    tasks: list[TaskLine]
    overdue: list[TaskLine]
    extended: list[TaskLine]


class ReportFacts(Stored):
    id: int | None
    kind: str
    kind_name: str
    state: str
    number: int | None
    symbol: str | None
    as_of: date
    figures_as_of: date
    document_date: date


class PeriodFacts(Stored):
    """tracking.periods.Period.as_json."""

    kind: str
    code: str
    year: int
    name: str
    start: date
    end: date
    send_by: date


class UnitFacts(Stored):
    id: int | None
    code: str
    name: str
    short_name: str


class PlanFacts(Stored):
    id: int | None
    title: str
    reference: str


class Header(Stored):
    parent_body: str
    issuing_body: str
    number_line: str
    place_date: str
    document_type: str
    summary: str
    addressee: str


class Block(Stored):
    """One piece of the body, in order: a heading, a paragraph or the chart with its caption."""

    kind: Literal["heading", "paragraph", "chart"]
    text: str
    level: int | None = None  # headings: 1 for I., II., …; 2 for the plan's sections


class SignatureFacts(Stored):
    authority: str
    deputy: str
    title: str
    name: str


class ReportSnapshot(Stored):
    format: Literal[1] = SNAPSHOT_FORMAT
    report: ReportFacts
    period: PeriodFacts
    unit: UnitFacts
    plan: PlanFacts | None
    header: Header
    blocks: list[Block]
    recipients: list[str]
    signature: SignatureFacts
    figures: Figures
    indicators: list[IndicatorLine]

    @property
    def issued(self) -> bool:
        return self.report.state == "issued"

    def as_stored(self) -> dict[str, Any]:
        """The JSON the report row keeps (a block has "level" only when it is a heading)."""
        stored = self.model_dump(mode="json")
        for block in stored["blocks"]:
            if block["level"] is None:
                del block["level"]
        return stored

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> ReportSnapshot:
        """A stored snapshot without the characters XML cannot hold (rows stored before the
        text rule, frozen in an issued snapshot): the writers never fail on them."""
        return cls.model_validate(xml_safe_tree(stored))

    @classmethod
    def for_writers(cls, stored: dict[str, Any]) -> ReportSnapshot:
        """from_stored without figures.tasks, which only the XLSX annex's list of tasks
        reads: the body's sentences are written from them when the snapshot is built. A
        province's are half its snapshot (17,755 lines, 7 of 12 MB), so every other download
        would clean and validate them for nothing."""
        figures = {**stored["figures"], "tasks": []}
        return cls.from_stored({**stored, "figures": figures})
