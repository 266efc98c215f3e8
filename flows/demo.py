"""The demo's day through Prefect: the seed world gets a recurring duty (Sở TT&TT's monthly
report to the province's office), then the three flows run once for the seed report's date,
on the embedded Prefect, sending to a mail server started for the purpose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from prefect import State
from sqlalchemy import Engine
from sqlmodel import Session, select

from flows.daily import daily_sweep, delivery, report_drafting
from models import Obligation
from notifications.delivery import next_window_opening
from notifications.demo import DEMO_SENDER
from notifications.mailsink import local_mail_server
from settings import overridden
from tracking import demo as demo_world
from tracking import obligations, units
from tracking.audit import Actor

DEMO_ACTOR = Actor(name="demo")
DEMO_DAY = demo_world.REPORT_DATE  # 02/11/2021
DUTY_TITLE = "Báo cáo tình hình thực hiện nhiệm vụ chuyển đổi số"


@dataclass(frozen=True)
class FlowOutcome:
    flow: str
    state: str
    result: dict[str, Any]


def add_duty(*, session: Session) -> Obligation:
    """The department's monthly report to the province's office, from October 2021 (once)."""
    existing = session.exec(select(Obligation).where(Obligation.title == DUTY_TITLE)).first()
    if existing is not None:
        return existing
    return obligations.create(
        session=session,
        actor=DEMO_ACTOR,
        title=DUTY_TITLE,
        report_kind="month",
        issuer_unit_id=units.get_by_code(session=session, code=demo_world.PROVINCE_CODE).id or 0,
        lead_unit_id=units.get_by_code(session=session, code="QNG-STTTT").id or 0,
        recipient="Văn phòng UBND tỉnh",
        report_issuer_code="STTTT",
        starts_on=date(2021, 10, 1),
    )


def run_demo_day(*, engine: Engine, mail_folder: Path) -> list[FlowOutcome]:
    """Drafting, sweep and delivery for DEMO_DAY, in that order (as their schedules are);
    the delivery as at the next opening of the send window, to a local mail server."""
    with Session(engine) as session:
        add_duty(session=session)
        session.commit()
    outcomes = []
    with (
        local_mail_server(mail_folder) as sink,
        overridden(
            smtp_host=sink.host,
            smtp_port=str(sink.port),
            smtp_tls="false",
            smtp_from_name=DEMO_SENDER,
        ),
    ):
        states: list[State[dict[str, Any]]] = [
            report_drafting(as_of=DEMO_DAY, return_state=True),
            daily_sweep(as_of=DEMO_DAY, return_state=True),
            delivery(as_of=DEMO_DAY, at=next_window_opening(engine), return_state=True),
        ]
        names = (report_drafting.name, daily_sweep.name, delivery.name)
        for name, state in zip(names, states, strict=True):
            result = state.result(raise_on_failure=False) if state.is_completed() else {}
            outcomes.append(
                FlowOutcome(name, str(state.name), result if isinstance(result, dict) else {})
            )
    return outcomes


def describe(outcome: FlowOutcome) -> str:
    """One line in Vietnamese for a flow run's result."""
    r = outcome.result
    head = f"{outcome.flow} [{outcome.state}]"
    if outcome.flow == "daily-sweep" and r:
        created = r["occurrences"]["created"]
        reminders = r["reminders"]
        keys = ", ".join(c["occurrence_key"] for c in created) or "không có"
        return (
            f"{head}: tạo {len(created)} nhiệm vụ định kỳ ({keys}); "
            f"{reminders['reminders']} lời nhắc đến hạn, {reminders['reminders_new']} mới, "
            f"{reminders['messages_new']} thư mới"
        )
    if outcome.flow == "report-drafting" and r:
        keys = ", ".join(d["occurrence_key"] for d in r["drafted"]) or "không có"
        return f"{head}: soạn {len(r['drafted'])} dự thảo báo cáo ({keys}), {r['notices']} thư báo"
    if outcome.flow == "delivery" and r:
        text = f"{head}: gửi {r['sent']} thư, lỗi {r['failed']}, dừng {r['dead']}"
        return text + (f" ({r['deferred']})" if r["deferred"] else "")
    return head
