"""The draft report of a recurring duty's period, once the period's cut-off has passed.

Idempotent: a drafted report is recorded in ObligationDraft, whose primary key is (duty,
period); a second run, a catch-up run or a concurrent run drafts nothing again. The notice to
the office that the draft is waiting is notifications.report_ready's, called by the flow.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import Obligation, ObligationDraft
from reports import service as report_service
from tracking.audit import SYSTEM, Actor
from tracking.errors import Conflict, InvalidInput, NotFound
from tracking.obligations import Occurrence, begun_occurrences, recorded_occurrences

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DraftedReport:
    """A report drafted for one period of a duty."""

    obligation: Obligation
    occurrence: Occurrence
    report_id: int

    def as_json(self) -> dict[str, Any]:
        return {
            "obligation_id": self.occurrence.obligation_id,
            "occurrence_key": self.occurrence.key,
            "report_id": self.report_id,
            "send_by": self.occurrence.due_on.isoformat(),
        }


@dataclass
class DraftRun:
    as_of: date
    reports: list[DraftedReport] = field(default_factory=list)
    # The "draft ready" messages put in the outbox for these reports (notifications.report_ready).
    notices: int = 0
    already: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)  # obligation, key, error

    @property
    def drafted(self) -> list[dict[str, Any]]:
        return [report.as_json() for report in self.reports]

    def as_json(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "drafted": self.drafted,
            "notices": self.notices,
            "already": self.already,
            "failed": self.failed,
        }


def draft_due_reports(*, session: Session, as_of: date, actor: Actor = SYSTEM) -> DraftRun:
    """Draft the report of every occurrence whose cut-off is before `as_of` and that has no
    draft yet. Flushes; the caller commits.

    A draft the reports service refuses (say, no issuer code known for the unit) is listed in
    `failed` with the reason and tried again on the next run; the others go ahead.
    """
    run = DraftRun(as_of=as_of)
    begun = begun_occurrences(session=session, as_of=as_of, drafting=True)
    drafted = recorded_occurrences(session=session, table=ObligationDraft, begun=begun)
    for obligation, occurrence in begun:
        if occurrence.period.end >= as_of:
            continue  # the cut-off has not passed yet
        if (occurrence.obligation_id, occurrence.key) in drafted:
            run.already += 1
            continue
        _draft_one(session, actor, obligation, occurrence, as_of, run)
    return run


def _draft_one(
    session: Session,
    actor: Actor,
    obligation: Obligation,
    occurrence: Occurrence,
    as_of: date,
    run: DraftRun,
) -> None:
    try:
        with session.begin_nested():
            report = report_service.create_draft(
                session=session,
                actor=actor,
                kind=obligation.report_kind,
                period_code=occurrence.key,
                unit_id=obligation.lead_unit_id,
                plan_id=obligation.plan_id,
                as_of=occurrence.period.end,
                document_date=as_of,
                issuer_code=obligation.report_issuer_code or None,
                texts={"addressee": f"Kính gửi: {obligation.recipient}"}
                if obligation.recipient
                else None,
            )
            session.add(
                ObligationDraft(
                    obligation_id=occurrence.obligation_id,
                    occurrence_key=occurrence.key,
                    report_id=report.id or 0,
                    drafted_on=as_of,
                )
            )
            session.flush()
    except IntegrityError:
        run.already += 1  # a concurrent run drafted it first
        return
    except (InvalidInput, NotFound, Conflict) as error:
        log.warning("draft of %s/%s refused: %s", obligation.id, occurrence.key, error.message)
        run.failed.append(
            {
                "obligation_id": occurrence.obligation_id,
                "occurrence_key": occurrence.key,
                "error": error.message,
                "code": error.code,
            }
        )
        return
    run.reports.append(
        DraftedReport(obligation=obligation, occurrence=occurrence, report_id=report.id or 0)
    )
