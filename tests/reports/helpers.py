"""The seed world for report tests: the lead's task demo (tracking.demo) plus the reporting
half (reports.demo: Plan 61's indicators, Lý Sơn's 2021 values, the seed report's texts)."""

from __future__ import annotations

from sqlmodel import Session

from models.reports import Report
from reports import demo as report_demo
from tracking import demo as task_demo


def seed_world(session: Session) -> report_demo.SeedReportWorld:
    task_demo.build(session=session)
    world = report_demo.add_to_world(session=session)
    session.commit()
    return world


def issued_seed_report(session: Session) -> Report:
    task_demo.build(session=session)
    report = report_demo.issue_seed_report(session=session)
    session.commit()
    return report
