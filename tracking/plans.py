"""Plans (kế hoạch) and their sections."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from models import Document, Plan, PlanSection, Unit
from tracking import versioning
from tracking.audit import Actor, record, snapshot
from tracking.errors import Conflict, InvalidInput, NotFound, get_or_not_found
from tracking.validation import checked_text, clean_text


def _clean_title(title: str) -> str:
    return clean_text(title, code="plan.title", field="title", label="Tên kế hoạch", limit=1000)


def _clean_section_title(title: str) -> str:
    return clean_text(title, code="plan.section_title", field="title", label="Tên mục", limit=1000)


def get(*, session: Session, plan_id: int) -> Plan:
    return get_or_not_found(session, Plan, plan_id, entity="plan", noun="kế hoạch")


def get_by_symbol(*, session: Session, symbol: str) -> Plan:
    """The plan of the document numbered `symbol` (e.g. 61/KH-UBND); the latest if reused."""
    statement = (
        select(Plan)
        .join(Document, col(Document.id) == Plan.document_id)
        .where(Document.symbol == symbol.strip())
        .order_by(col(Document.issued_on).desc())
    )
    plan = session.exec(statement).first()
    if plan is None:
        raise NotFound("plan.not_found", f"Không có kế hoạch theo văn bản {symbol}", field="plan")
    return plan


def sections(*, session: Session, plan_id: int) -> list[PlanSection]:
    statement = (
        select(PlanSection).where(PlanSection.plan_id == plan_id).order_by(col(PlanSection.ordinal))
    )
    return list(session.exec(statement).all())


def with_sections(
    *, session: Session, plans: Sequence[Plan]
) -> list[tuple[Plan, list[PlanSection]]]:
    """Each plan with its sections in order, read in one query rather than one per plan."""
    by_plan: dict[int, list[PlanSection]] = {plan.id or 0: [] for plan in plans}
    if by_plan:
        statement = (
            select(PlanSection)
            .where(col(PlanSection.plan_id).in_(list(by_plan)))
            .order_by(col(PlanSection.plan_id), col(PlanSection.ordinal))
        )
        for section in session.exec(statement):
            by_plan[section.plan_id].append(section)
    return [(plan, by_plan[plan.id or 0]) for plan in plans]


def create(
    *,
    session: Session,
    actor: Actor,
    title: str,
    issuer: Unit,
    document: Document | None = None,
    section_titles: list[str] | None = None,
) -> Plan:
    title = _clean_title(title)
    titles = [
        checked_text(t, field=f"sections[{index}]", label=f"Tên mục thứ {index + 1}").strip()
        for index, t in enumerate(section_titles or [])
    ]
    for index, section_title in enumerate(titles):
        if not section_title:
            raise InvalidInput(
                "plan.section_title_required",
                f"Tên mục thứ {index + 1} của kế hoạch không được để trống",
                field=f"sections[{index}]",
            )
    plan = Plan(
        title=title,
        issuer_unit_id=issuer.id or 0,
        document_id=document.id if document else None,
    )
    session.add(plan)
    session.flush()
    for ordinal, section_title in enumerate(titles, start=1):
        session.add(PlanSection(plan_id=plan.id or 0, ordinal=ordinal, title=section_title))
    session.flush()
    record(
        session=session,
        actor=actor,
        action="plan.create",
        entity="plan",
        entity_id=plan.id,
        after={**snapshot(plan), "sections": titles},
    )
    return plan


def add_section(*, session: Session, actor: Actor, plan_id: int, title: str) -> PlanSection:
    title = _clean_section_title(title)
    last = session.exec(
        select(PlanSection.ordinal)
        .where(PlanSection.plan_id == plan_id)
        .order_by(col(PlanSection.ordinal).desc())
    ).first()
    section = PlanSection(plan_id=plan_id, ordinal=(last or 0) + 1, title=title)
    session.add(section)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="plan.add_section",
        entity="plan",
        entity_id=plan_id,
        after={"section_id": section.id, "ordinal": section.ordinal, "title": title},
    )
    return section


def update(
    *, session: Session, actor: Actor, plan_id: int, expected_version: int, title: str
) -> Plan:
    """Rename a plan; refuses a stale version (409 `plan.stale_version`) or no change."""
    plan = get(session=session, plan_id=plan_id)
    versioning.check_version(versioning.PLAN, plan, expected_version=expected_version)
    title = _clean_title(title)
    if title == plan.title:
        raise Conflict("plan.unchanged", "Không có gì thay đổi", field="title")
    before = snapshot(plan, ("title", "version"))
    versioning.bump_version(versioning.PLAN, session=session, row=plan)
    plan.title = title
    session.add(plan)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="plan.update",
        entity="plan",
        entity_id=plan.id,
        before=before,
        after=snapshot(plan, ("title", "version")),
    )
    return plan


def update_section(
    *,
    session: Session,
    actor: Actor,
    plan_id: int,
    section_id: int,
    expected_version: int,
    title: str,
) -> PlanSection:
    """Rename a section of a plan (its number stays: tasks name it). The plan's version
    guards its sections: the caller sends the plan's, and the edit bumps it."""
    plan = get(session=session, plan_id=plan_id)
    section = session.get(PlanSection, section_id)
    if section is None or section.plan_id != plan_id:
        raise NotFound(
            "plan.section_not_found",
            f"Kế hoạch #{plan_id} không có mục #{section_id}",
            field="section_id",
        )
    versioning.check_version(versioning.PLAN, plan, expected_version=expected_version)
    title = _clean_section_title(title)
    if title == section.title:
        raise Conflict("plan.unchanged", "Không có gì thay đổi", field="title")
    before = {"section_id": section.id, "title": section.title, "version": plan.version}
    versioning.bump_version(versioning.PLAN, session=session, row=plan)
    section.title = title
    session.add(section)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="plan.update_section",
        entity="plan",
        entity_id=plan_id,
        before=before,
        after={"section_id": section.id, "title": title, "version": plan.version},
    )
    return section


def list_plans(
    *,
    session: Session,
    issuer_unit_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[Plan]:
    """Plans, newest first (published acts: every signed-in user reads them)."""
    statement = select(Plan).order_by(col(Plan.id).desc())
    if issuer_unit_id is not None:
        statement = statement.where(Plan.issuer_unit_id == issuer_unit_id)
    return list(session.exec(statement.limit(limit).offset(offset)).all())
